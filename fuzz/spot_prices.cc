// The spot price history reader (data/spot_prices.csv, `simulate --spot-prices`).
#include "adapters/data/iso_time.h"
#include "adapters/data/prices.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto series = shoal::ParseSpotPrices(shoal::fuzz::Text(data, size), "fuzz.csv");
  if (!series.ok()) {
    FUZZ_CHECK(shoal::fuzz::StartsWith(series.status().message(), "fuzz.csv:"), series.status().message());
    return 0;
  }
  FUZZ_CHECK(!series->empty(), "an accepted file has a series");
  for (const shoal::SpotPriceSeries& s : *series) {
    FUZZ_CHECK(!s.points.empty() && !s.instance_type.empty() && !s.zone.empty(), s.instance_type + " " + s.zone);
    for (std::size_t i = 0; i < s.points.size(); ++i) {
      const shoal::PricePoint& p = s.points[i];
      FUZZ_CHECK(p.usd_per_hour > 0, std::to_string(p.usd_per_hour));
      FUZZ_CHECK(i == 0 || s.points[i - 1].unix_seconds <= p.unix_seconds, "points sorted by time");
      // The time reads back from its own text (the format the file uses).
      const std::string iso = shoal::FormatIsoUtc(p.unix_seconds);
      shoal::Result<std::int64_t> again = shoal::ParseIsoUtc(iso);
      FUZZ_CHECK(again.ok() && *again == p.unix_seconds, iso);
    }
  }
  return 0;
}
