#include "adapters/sim/spot_market.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "adapters/data/iso_time.h"

namespace shoal {
namespace {

constexpr Seconds kDay = 24 * kHour;
constexpr Seconds kMonth = 30 * kDay;  // the Advisor's "per month"
// Monthly interruption probability at the middle of each Advisor bucket; the
// open-ended top bucket (>20%) is taken as 25%.
constexpr double kBucketMidpoint[] = {0.025, 0.075, 0.125, 0.175, 0.25};
// AWS's global rate is "<10%", i.e. bucket 1, the guess for a type with history but no Advisor row.
constexpr int kDefaultBucket = 1;
constexpr double kScoreDropPerBucket = 0.15;
constexpr double kScoreFactorAfterBurst = 0.5;
constexpr Seconds kScoreRecovery = 2 * kHour;  // a pool stays "recently short" this long after a shortage

// Movement references for derived prices: the only real histories near the
// types the project uses (see data/README.md).
constexpr const char* kUsEast1Region = "us-east-1";
constexpr const char* kUsEast1RefType = "c5a.2xlarge";
constexpr const char* kUsEast1RefZone = "us-east-1b";
constexpr const char* kOtherRefType = "m5d.large";
constexpr const char* kOtherRefZone = "eu-west-3a";

struct PricePath {
  std::vector<Seconds> times;  // from 0, strictly increasing
  std::vector<double> prices;  // no two neighbours equal: every point is a change
  Seconds period = kDay;
};

// Drops points that repeat the previous price (AWS republishes unchanged
// prices daily), so NextPriceChange only reports real changes.
void DropRepeats(PricePath& path) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < path.times.size(); ++i) {
    if (kept > 0 && path.prices[kept - 1] == path.prices[i]) continue;
    path.times[kept] = path.times[i];
    path.prices[kept] = path.prices[i];
    ++kept;
  }
  path.times.resize(kept);
  path.prices.resize(kept);
}

// A real series shifted to start at 0. It repeats after last - first (at
// least a day), so the last point only closes the period; of two points at
// the same time the later one (in file order) wins.
PricePath PathFromSeries(const SpotPriceSeries& series) {
  PricePath path;
  const std::int64_t first = series.points.front().unix_seconds;
  path.period = std::max<Seconds>(series.points.back().unix_seconds - first, kDay);
  for (const PricePoint& p : series.points) {
    const Seconds rel = p.unix_seconds - first;
    if (rel >= path.period) break;
    if (!path.times.empty() && path.times.back() == rel) {
      path.prices.back() = p.usd_per_hour;
      continue;
    }
    path.times.push_back(rel);
    path.prices.push_back(p.usd_per_hour);
  }
  DropRepeats(path);
  return path;
}

double TimeWeightedMean(const PricePath& path) {
  double sum = 0;
  for (std::size_t i = 0; i < path.times.size(); ++i) {
    const Seconds until = i + 1 < path.times.size() ? path.times[i + 1] : path.period;
    sum += path.prices[i] * static_cast<double>(until - path.times[i]);
  }
  return sum / static_cast<double>(path.period);
}

// Index of the point in effect at t (the last at or before t mod period).
std::size_t PointAt(const std::vector<Seconds>& times, Seconds period, Seconds t) {
  const Seconds r = std::max<Seconds>(t, 0) % period;
  return static_cast<std::size_t>(std::upper_bound(times.begin(), times.end(), r) - times.begin()) - 1;
}

// Fixed 64-bit mixing (FNV-1a, then the splitmix64 finalizer): unlike
// std::hash it gives the same value with every compiler and library.
std::uint64_t Fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Exponential waiting times drawn by hand: std::exponential_distribution's
// algorithm is up to the library, mt19937_64's output is not.
double ExponentialDraw(std::mt19937_64& rng, double rate) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
  return -std::log1p(-u) / rate;
}

std::vector<Burst> DrawBursts(std::uint64_t seed, double rate_per_second, const SpotMarketOptions& o) {
  std::vector<Burst> bursts;
  if (rate_per_second <= 0) return bursts;
  std::mt19937_64 rng(seed);
  double t = 0;
  while (true) {
    t += ExponentialDraw(rng, rate_per_second);
    if (t >= static_cast<double>(o.horizon)) break;
    const auto start = static_cast<Seconds>(t);
    const Seconds end = start + o.burst_spread;
    bursts.push_back(Burst{start, end, end + o.shortage_after_burst});
  }
  return bursts;
}

const SpotPriceSeries* FindSeries(const PriceTables& tables, const std::string& type, const std::string& zone) {
  for (const SpotPriceSeries& s : tables.spot) {
    if (s.instance_type == type && s.zone == zone && !s.points.empty()) return &s;
  }
  return nullptr;
}

// The real series whose relative movement a derived pool borrows.
const SpotPriceSeries* MovementReference(const PriceTables& tables, const std::string& zone) {
  const std::string region = RegionOfZone(zone);
  if (region != kUsEast1Region) return FindSeries(tables, kOtherRefType, kOtherRefZone);
  if (const SpotPriceSeries* same_letter = FindSeries(tables, kUsEast1RefType, zone)) return same_letter;
  return FindSeries(tables, kUsEast1RefType, kUsEast1RefZone);
}

std::string Fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string DateRange(const SpotPriceSeries& s) {
  return FormatIsoDate(s.points.front().unix_seconds) + ".." + FormatIsoDate(s.points.back().unix_seconds);
}

std::string HistorySource(const SpotPriceSeries& s, const PricePath& path) {
  char days[32];
  std::snprintf(days, sizeof days, "%.1f", static_cast<double>(path.period) / kDay);
  return "real history: " + s.instance_type + " " + s.zone + " (" + std::to_string(s.points.size()) +
         " price events, " + DateRange(s) + ", repeats every " + days + " days)";
}

struct Derivation {
  PricePath path;
  std::string source;
};

// Level from the Advisor, movement (price / time-weighted mean) from the
// reference series, never above on-demand.
Derivation DerivePath(const PriceTables& tables, const MarketPool& pool, double on_demand,
                      const AdvisorEntry& advisor) {
  const double level = on_demand * (1.0 - advisor.savings_pct / 100.0);
  Derivation d;
  d.source = "derived: " + pool.instance_type + " " + RegionOfZone(pool.zone) + " on-demand " + Fixed4(on_demand) +
             " x (1 - " + std::to_string(advisor.savings_pct) + "% Advisor savings), ";
  const SpotPriceSeries* ref = MovementReference(tables, pool.zone);
  if (ref == nullptr) {
    // Small hand-made tables (tests, experiments) may lack the reference; a flat level still runs.
    d.path.times = {0};
    d.path.prices = {std::min(level, on_demand)};
    d.source += "flat (no movement reference series in the price tables)";
    return d;
  }
  d.path = PathFromSeries(*ref);
  const double mean = TimeWeightedMean(d.path);
  for (double& p : d.path.prices) p = std::min(level * p / mean, on_demand);
  DropRepeats(d.path);  // capping can make neighbours equal
  d.source += "movement of " + ref->instance_type + " " + ref->zone + " (real history, " + DateRange(*ref) + ")";
  return d;
}

Status CheckOptions(const SpotMarketOptions& o) {
  if (!(o.burst_hit_probability > 0 && o.burst_hit_probability <= 1)) {
    return Status::InvalidArgument("spot market: burst_hit_probability must be in (0, 1]");
  }
  if (o.horizon < 0 || o.burst_spread < 0 || o.shortage_after_burst < 0) {
    return Status::InvalidArgument("spot market: horizon, burst_spread and shortage_after_burst must be >= 0");
  }
  if (!(o.interruption_rate_scale >= 0) || !std::isfinite(o.interruption_rate_scale)) {
    return Status::InvalidArgument("spot market: interruption_rate_scale must be a finite number >= 0");
  }
  return Status::Ok();
}

}  // namespace

Result<SpotMarket> SpotMarket::Build(const PriceTables& tables, const std::vector<MarketPool>& pools,
                                     const SpotMarketOptions& options) {
  SHOAL_RETURN_IF_ERROR(CheckOptions(options));
  SpotMarket m;
  for (const MarketPool& pool : pools) {
    const std::string region = RegionOfZone(pool.zone);
    const std::string name = pool.instance_type + " " + pool.zone;
    auto od = tables.on_demand.find({pool.instance_type, region});
    if (od == tables.on_demand.end()) {
      return Status::NotFound("spot pool " + name + ": no on-demand price for " + pool.instance_type + " in " +
                              region + "; add a row '" + pool.instance_type + "," + region +
                              ",<usd_per_hour>' to ondemand_prices.csv");
    }
    m.on_demand_.emplace(pool.instance_type, od->second);
    auto advisor = tables.advisor.find({pool.instance_type, region});
    const bool has_advisor = advisor != tables.advisor.end();
    PricePath path;
    std::string source;
    if (const SpotPriceSeries* history = FindSeries(tables, pool.instance_type, pool.zone)) {
      path = PathFromSeries(*history);
      source = HistorySource(*history, path);
    } else if (has_advisor) {
      Derivation d = DerivePath(tables, pool, od->second, advisor->second);
      path = std::move(d.path);
      source = std::move(d.source);
    } else {
      return Status::NotFound("spot pool " + name + ": no spot price history for it in spot_prices.csv and no " +
                              "Spot Advisor entry for (" + pool.instance_type + ", " + region +
                              ") in spot_advisor_interruption.csv to derive a price from");
    }
    m.paths_.push_back(Path{std::move(path.times), std::move(path.prices), path.period});
    m.price_source_.push_back(std::move(source));

    const int bucket = has_advisor ? advisor->second.interruption_bucket : kDefaultBucket;
    const double monthly = kBucketMidpoint[bucket] * options.interruption_rate_scale;
    // hit probability x bursts per month = an instance's monthly interruption probability.
    const double rate = monthly / options.burst_hit_probability / static_cast<double>(kMonth);
    const std::uint64_t child_seed = Mix(options.seed ^ Fnv1a(pool.instance_type + "/" + pool.zone));
    m.buckets_.push_back(bucket);
    m.monthly_probability_.push_back(monthly);
    m.bursts_.push_back(DrawBursts(child_seed, rate, options));
    m.pools_.push_back(pool);
  }
  // Other types (e.g. on-demand-only capacity) priced in the configured region.
  for (const auto& [key, price] : tables.on_demand) {
    if (key.second == options.region) m.on_demand_.emplace(key.first, price);
  }
  return m;
}

double SpotMarket::Price(std::size_t pool, Seconds t) const {
  const Path& p = paths_[pool];
  return p.prices[PointAt(p.times, p.period, t)];
}

Seconds SpotMarket::NextPriceChange(std::size_t pool, Seconds t) const {
  const Path& p = paths_[pool];
  if (p.times.size() < 2) return kNever;  // one price, forever
  const Seconds from = std::max<Seconds>(t, 0);
  const Seconds cycle_start = from - from % p.period;
  const std::size_t i = PointAt(p.times, p.period, from) + 1;
  if (i < p.times.size()) return cycle_start + p.times[i];
  // The path wraps; the wrap is a change only if the last price differs from the first.
  const Seconds next_cycle = cycle_start + p.period;
  return p.prices.back() != p.prices.front() ? next_cycle : next_cycle + p.times[1];
}

double SpotMarket::OnDemandPrice(const std::string& instance_type) const {
  auto it = on_demand_.find(instance_type);
  return it == on_demand_.end() ? 0.0 : it->second;
}

double SpotMarket::MonthlyInterruptionProbability(std::size_t pool) const { return monthly_probability_[pool]; }

namespace {
// The latest burst starting at or before t, or nullptr. Every burst's shortage
// lasts equally long, so this one also ends last among those started.
const Burst* LatestBurst(const std::vector<Burst>& bursts, Seconds t) {
  auto it = std::upper_bound(bursts.begin(), bursts.end(), t,
                             [](Seconds v, const Burst& b) { return v < b.start; });
  return it == bursts.begin() ? nullptr : &*(it - 1);
}
}  // namespace

bool SpotMarket::HasCapacity(std::size_t pool, Seconds t) const {
  const Burst* b = LatestBurst(bursts_[pool], t);
  return b == nullptr || t >= b->shortage_end;
}

double SpotMarket::CapacityScore(std::size_t pool, Seconds t) const {
  double score = 1.0 - kScoreDropPerBucket * buckets_[pool];
  const Burst* b = LatestBurst(bursts_[pool], t);
  if (b != nullptr && t < b->shortage_end + kScoreRecovery) score *= kScoreFactorAfterBurst;
  return std::clamp(score, 0.0, 1.0);
}

}  // namespace shoal
