#include "adapters/data/prices.h"

#include <algorithm>
#include <cctype>

#include "adapters/data/csv.h"
#include "adapters/data/iso_time.h"

namespace shoal {
namespace {

constexpr std::string_view kSpotHeader = "timestamp,instance_type,zone,spot_price_usd_per_hour";
constexpr std::string_view kOnDemandHeader = "instance_type,region,usd_per_hour";
constexpr std::string_view kAdvisorHeader =
    "instance_type,region,interruption_bucket,interruption_frequency,savings_vs_ondemand_pct";
// The Advisor's label for each bucket; a row whose label disagrees with its
// bucket number has its columns mixed up.
constexpr std::string_view kBucketLabels[] = {"<5%", "5-10%", "10-15%", "15-20%", ">20%"};

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// A price in USD per hour: a finite number above zero.
Status ParsePrice(std::string_view field, const std::string& column, const std::string& source, int line,
                  double& out) {
  if (!ParseDouble(field, out)) {
    return CsvLineError(source, line, column + " is not a number (" + Quoted(field) + ")");
  }
  if (out <= 0) return CsvLineError(source, line, column + " must be above 0 (" + Quoted(field) + ")");
  return Status::Ok();
}

Status RequireName(std::string_view field, const std::string& column, const std::string& source, int line) {
  if (field.empty()) return CsvLineError(source, line, column + " is empty");
  return Status::Ok();
}

Status ParseIntInRange(std::string_view field, const std::string& column, int lo, int hi,
                       const std::string& source, int line, int& out) {
  std::int64_t v = 0;
  if (!ParseInt64(field, v)) return CsvLineError(source, line, column + " is not an integer (" + Quoted(field) + ")");
  if (v < lo || v > hi) {
    return CsvLineError(source, line,
                        column + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                            std::to_string(v));
  }
  out = static_cast<int>(v);
  return Status::Ok();
}

// Both lookup tables reject a second row for the same key: which one is
// right cannot be guessed.
template <typename V>
Status InsertUnique(std::map<TypeRegion, V>& table, std::map<TypeRegion, int>& first_line, TypeRegion key,
                    V value, const std::string& source, int line) {
  auto [it, inserted] = first_line.emplace(key, line);
  if (!inserted) {
    return CsvLineError(source, line,
                        "duplicate row for (" + key.first + ", " + key.second + "), first on line " +
                            std::to_string(it->second));
  }
  table.emplace(std::move(key), std::move(value));
  return Status::Ok();
}

template <typename T>
Result<T> LoadOne(const std::string& path, Result<T> (*parse)(const std::string&, const std::string&)) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return parse(*text, path);
}

}  // namespace

Result<std::vector<SpotPriceSeries>> ParseSpotPrices(const std::string& csv_text, const std::string& source) {
  std::map<std::pair<std::string, std::string>, std::vector<PricePoint>> by_pool;
  Status status = ForEachCsvRow(
      csv_text, source, kSpotHeader, [&](const std::vector<std::string_view>& f, int line) -> Status {
        Result<std::int64_t> when = ParseIsoUtc(f[0]);
        if (!when.ok()) return CsvLineError(source, line, when.status().message());
        SHOAL_RETURN_IF_ERROR(RequireName(f[1], "instance_type", source, line));
        SHOAL_RETURN_IF_ERROR(RequireName(f[2], "zone", source, line));
        double price = 0;
        SHOAL_RETURN_IF_ERROR(ParsePrice(f[3], "spot_price_usd_per_hour", source, line, price));
        by_pool[{std::string(f[1]), std::string(f[2])}].push_back(PricePoint{*when, price});
        return Status::Ok();
      });
  if (!status.ok()) return status;
  std::vector<SpotPriceSeries> out;
  out.reserve(by_pool.size());
  for (auto& [key, points] : by_pool) {
    // Stable: of two rows with the same time, the later one in the file stays last (and so wins).
    std::stable_sort(points.begin(), points.end(),
                     [](const PricePoint& a, const PricePoint& b) { return a.unix_seconds < b.unix_seconds; });
    out.push_back(SpotPriceSeries{key.first, key.second, std::move(points)});
  }
  return out;
}

Result<std::map<TypeRegion, double>> ParseOnDemandPrices(const std::string& csv_text, const std::string& source) {
  std::map<TypeRegion, double> table;
  std::map<TypeRegion, int> first_line;
  Status status = ForEachCsvRow(
      csv_text, source, kOnDemandHeader, [&](const std::vector<std::string_view>& f, int line) -> Status {
        SHOAL_RETURN_IF_ERROR(RequireName(f[0], "instance_type", source, line));
        SHOAL_RETURN_IF_ERROR(RequireName(f[1], "region", source, line));
        double price = 0;
        SHOAL_RETURN_IF_ERROR(ParsePrice(f[2], "usd_per_hour", source, line, price));
        return InsertUnique(table, first_line, {std::string(f[0]), std::string(f[1])}, price, source, line);
      });
  if (!status.ok()) return status;
  return table;
}

Result<std::map<TypeRegion, AdvisorEntry>> ParseSpotAdvisor(const std::string& csv_text, const std::string& source) {
  std::map<TypeRegion, AdvisorEntry> table;
  std::map<TypeRegion, int> first_line;
  Status status = ForEachCsvRow(
      csv_text, source, kAdvisorHeader, [&](const std::vector<std::string_view>& f, int line) -> Status {
        SHOAL_RETURN_IF_ERROR(RequireName(f[0], "instance_type", source, line));
        SHOAL_RETURN_IF_ERROR(RequireName(f[1], "region", source, line));
        AdvisorEntry e;
        SHOAL_RETURN_IF_ERROR(ParseIntInRange(f[2], "interruption_bucket", 0, 4, source, line, e.interruption_bucket));
        if (f[3] != kBucketLabels[e.interruption_bucket]) {
          return CsvLineError(source, line,
                              "interruption_frequency " + Quoted(f[3]) + " does not match bucket " +
                                  std::to_string(e.interruption_bucket) + " (expected " +
                                  Quoted(kBucketLabels[e.interruption_bucket]) + ")");
        }
        SHOAL_RETURN_IF_ERROR(ParseIntInRange(f[4], "savings_vs_ondemand_pct", 0, 100, source, line, e.savings_pct));
        return InsertUnique(table, first_line, {std::string(f[0]), std::string(f[1])}, e, source, line);
      });
  if (!status.ok()) return status;
  return table;
}

Result<PriceTables> LoadPriceTables(const std::string& spot_prices_csv, const std::string& on_demand_csv,
                                    const std::string& advisor_csv) {
  PriceTables tables;
  auto spot = LoadOne(spot_prices_csv, &ParseSpotPrices);
  if (!spot.ok()) return spot.status();
  auto on_demand = LoadOne(on_demand_csv, &ParseOnDemandPrices);
  if (!on_demand.ok()) return on_demand.status();
  auto advisor = LoadOne(advisor_csv, &ParseSpotAdvisor);
  if (!advisor.ok()) return advisor.status();
  tables.spot = std::move(spot).value();
  tables.on_demand = std::move(on_demand).value();
  tables.advisor = std::move(advisor).value();
  return tables;
}

std::string RegionOfZone(const std::string& zone) {
  std::size_t end = zone.size();
  while (end > 0 && std::isalpha(static_cast<unsigned char>(zone[end - 1]))) --end;
  // Only a suffix after a digit is a zone letter; "local" or "" stay as they are.
  if (end == 0 || !std::isdigit(static_cast<unsigned char>(zone[end - 1]))) return zone;
  return zone.substr(0, end);
}

}  // namespace shoal
