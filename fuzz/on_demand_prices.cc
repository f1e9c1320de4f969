// The on-demand list price reader (data/ondemand_prices.csv, `simulate --on-demand-prices`).
#include "adapters/data/prices.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto table = shoal::ParseOnDemandPrices(shoal::fuzz::Text(data, size), "fuzz.csv");
  if (!table.ok()) {
    FUZZ_CHECK(shoal::fuzz::StartsWith(table.status().message(), "fuzz.csv:"), table.status().message());
    return 0;
  }
  FUZZ_CHECK(!table->empty(), "an accepted file has rows");
  for (const auto& [key, price] : *table) {
    FUZZ_CHECK(!key.first.empty() && !key.second.empty(), key.first + " " + key.second);
    FUZZ_CHECK(price > 0, std::to_string(price));
  }
  return 0;
}
