// The simulated spot market: a price path and an interruption model per pool,
// all fixed up front from the price tables and a seed, so a run is
// reproducible and the same for every config compared.
//
// Price: real history where the tables have the (type, zone); otherwise the
// level is the on-demand price times (1 - Advisor savings), and the movement
// is the relative movement (price / its time-weighted mean) of a real series
// of a similar type (see docs/ARCHITECTURE.md, "Spot market"). Histories are
// shifted to start at simulated time 0 and repeat when the run is longer.
//
// Interruptions: per pool, bursts arrive as a Poisson process; in a burst each
// instance of the pool is hit with probability `burst_hit_probability`, its
// notice falling within `burst_spread` of the burst start, so most
// interruptions in a pool come within minutes of each other. The burst rate is
// chosen so that an instance's monthly interruption probability matches the
// Advisor bucket's midpoint (2.5%, 7.5%, 12.5%, 17.5%, 25%). During a burst and
// for `shortage_after_burst` after it the pool has no capacity: launches fail.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "adapters/data/prices.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

struct SpotMarketOptions {
  std::string region = "us-east-1";
  std::uint64_t seed = 1;
  Seconds horizon = 30 * 24 * kHour;  // bursts are drawn up to here
  double burst_hit_probability = 0.5;
  Seconds burst_spread = 5 * kMinute;
  Seconds shortage_after_burst = 30 * kMinute;
  double interruption_rate_scale = 1.0;  // multiplies every pool's rate (0 = none)
};

struct MarketPool {
  std::string instance_type;
  std::string zone;
};

struct Burst {
  Seconds start = 0;
  Seconds end = 0;            // start + spread
  Seconds shortage_end = 0;   // no capacity until here
};

class SpotMarket {
 public:
  // Fails (naming what) when a pool's type has no on-demand price in the
  // region, or no Advisor entry and no history to derive a price from.
  static Result<SpotMarket> Build(const PriceTables& tables, const std::vector<MarketPool>& pools,
                                  const SpotMarketOptions& options);

  std::size_t size() const { return pools_.size(); }
  double Price(std::size_t pool, Seconds t) const;
  // Next instant after t at which pool's price changes, or kNever.
  Seconds NextPriceChange(std::size_t pool, Seconds t) const;
  // The on-demand price of a pool's type in the pool's region, or of any
  // other type in options.region; 0 when the tables have neither.
  double OnDemandPrice(const std::string& instance_type) const;
  double MonthlyInterruptionProbability(std::size_t pool) const;
  // The Advisor bucket (0..4) the pool's interruptions are drawn from; 1 (AWS's
  // global "<10%") for a pool that has real history but no Advisor entry.
  int InterruptionBucket(std::size_t pool) const { return buckets_[pool]; }
  const std::vector<Burst>& Bursts(std::size_t pool) const { return bursts_[pool]; }
  bool HasCapacity(std::size_t pool, Seconds t) const;
  // A 0..1 score of spare capacity: lower when the pool's Advisor bucket is
  // high or a burst is recent (what capacity-optimized allocation reads).
  double CapacityScore(std::size_t pool, Seconds t) const;
  // How the price path of a pool was made, for the report and docs.
  const std::string& PriceSource(std::size_t pool) const { return price_source_[pool]; }

 private:
  struct Path {
    std::vector<Seconds> times;   // sorted, times[0] == 0
    std::vector<double> prices;
    Seconds period = 0;           // the path repeats after this
  };
  std::vector<MarketPool> pools_;
  std::vector<Path> paths_;
  std::vector<std::string> price_source_;
  std::vector<double> monthly_probability_;
  std::vector<int> buckets_;
  std::vector<std::vector<Burst>> bursts_;
  std::map<std::string, double> on_demand_;  // by instance type, in the region
};

}  // namespace shoal
