// The Spot Advisor reader (data/spot_advisor_interruption.csv, `simulate --advisor`).
#include "adapters/data/prices.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto table = shoal::ParseSpotAdvisor(shoal::fuzz::Text(data, size), "fuzz.csv");
  if (!table.ok()) {
    FUZZ_CHECK(shoal::fuzz::StartsWith(table.status().message(), "fuzz.csv:"), table.status().message());
    return 0;
  }
  FUZZ_CHECK(!table->empty(), "an accepted file has rows");
  for (const auto& [key, entry] : *table) {
    FUZZ_CHECK(!key.first.empty() && !key.second.empty(), key.first + " " + key.second);
    FUZZ_CHECK(entry.interruption_bucket >= 0 && entry.interruption_bucket <= 4,
               std::to_string(entry.interruption_bucket));
    FUZZ_CHECK(entry.savings_pct >= 0 && entry.savings_pct <= 100, std::to_string(entry.savings_pct));
  }
  return 0;
}
