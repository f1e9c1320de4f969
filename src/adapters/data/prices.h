// Price tables: spot price history, on-demand list prices, and the Spot
// Advisor's interruption buckets (formats in data/README.md).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace shoal {

struct PricePoint {
  std::int64_t unix_seconds = 0;  // UTC
  double usd_per_hour = 0;
};

struct SpotPriceSeries {
  std::string instance_type;
  std::string zone;
  std::vector<PricePoint> points;  // sorted by time, price holds until the next
};

struct AdvisorEntry {
  int interruption_bucket = 0;   // 0..4: <5%, 5-10%, 10-15%, 15-20%, >20% per month
  int savings_pct = 0;           // average spot savings vs on-demand
};

using TypeRegion = std::pair<std::string, std::string>;  // (instance_type, region)

struct PriceTables {
  std::vector<SpotPriceSeries> spot;             // timestamp,instance_type,zone,spot_price_usd_per_hour
  std::map<TypeRegion, double> on_demand;        // instance_type,region,usd_per_hour
  std::map<TypeRegion, AdvisorEntry> advisor;    // instance_type,region,interruption_bucket,interruption_frequency,savings_vs_ondemand_pct
};

Result<std::vector<SpotPriceSeries>> ParseSpotPrices(const std::string& csv_text, const std::string& source);
Result<std::map<TypeRegion, double>> ParseOnDemandPrices(const std::string& csv_text, const std::string& source);
Result<std::map<TypeRegion, AdvisorEntry>> ParseSpotAdvisor(const std::string& csv_text, const std::string& source);

// Loads the three files; any missing or malformed file is an error naming it.
Result<PriceTables> LoadPriceTables(const std::string& spot_prices_csv, const std::string& on_demand_csv,
                                    const std::string& advisor_csv);

// "us-east-1a" -> "us-east-1".
std::string RegionOfZone(const std::string& zone);

}  // namespace shoal
