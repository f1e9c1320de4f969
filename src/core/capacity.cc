#include "core/capacity.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_set>
#include <utility>

namespace shoal {
namespace {

constexpr double kEpsilon = 1e-9;
// price-capacity-optimized treats scores this close to the best as equally good.
constexpr double kScoreBand = 0.1;
// Pools priced within this fraction of the cheapest deep pool share new
// instances: spreading over nearly-equal prices costs little and divides risk.
constexpr double kPriceBand = 0.05;

double PricePerUnit(const PoolView& p) { return p.price / p.weight; }

// Pools that may take a new instance. A non-positive weight would make the
// price per unit meaningless, so such a pool is never chosen either.
std::vector<const PoolView*> EligiblePools(const std::vector<PoolView>& pools) {
  std::vector<const PoolView*> out;
  for (const PoolView& p : pools) {
    if (p.available && p.weight > 0) out.push_back(&p);
  }
  return out;
}

void SortByPricePerUnit(std::vector<const PoolView*>& pools) {
  std::sort(pools.begin(), pools.end(), [](const PoolView* a, const PoolView* b) {
    return std::make_tuple(PricePerUnit(*a), a->index) < std::make_tuple(PricePerUnit(*b), b->index);
  });
}

// Instances a pool holds counting the ones chosen so far in this call, so
// that repeated picks spread the way the running ones already are.
class Occupancy {
 public:
  int Of(const PoolView* p) const {
    auto it = chosen_count_.find(p->index);
    return p->running + (it == chosen_count_.end() ? 0 : it->second);
  }
  void Add(const PoolView* p) {
    ++chosen_count_[p->index];
    chosen_.push_back(p->index);
  }
  std::vector<int> Take() { return std::move(chosen_); }

 private:
  std::map<int, int> chosen_count_;  // pool index -> picks so far
  std::vector<int> chosen_;          // in order
};

// Spreads over the `spot_instance_pools` cheapest pools: each pick goes to the
// least occupied of them (ties: cheaper first), which is plain round-robin
// from the cheapest when they start even, and evens them out across calls
// when they do not.
std::vector<int> LowestPrice(const CapacitySpec& spec, std::vector<const PoolView*> pools,
                             int count) {
  SortByPricePerUnit(pools);
  const auto spread = static_cast<std::size_t>(std::max(1, spec.spot_instance_pools));
  if (pools.size() > spread) pools.resize(spread);
  Occupancy occ;
  for (int i = 0; i < count; ++i) {
    const PoolView* best = pools.front();
    for (const PoolView* p : pools) {
      if (occ.Of(p) < occ.Of(best)) best = p;  // strict: earlier (cheaper) wins ties
    }
    occ.Add(best);
  }
  return occ.Take();
}

std::vector<int> CapacityOptimized(const std::vector<const PoolView*>& pools, int count) {
  Occupancy occ;
  for (int i = 0; i < count; ++i) {
    const PoolView* best = nullptr;
    for (const PoolView* p : pools) {
      if (best == nullptr ||
          std::make_tuple(-p->capacity_score, occ.Of(p), p->index) <
              std::make_tuple(-best->capacity_score, occ.Of(best), best->index)) {
        best = p;
      }
    }
    occ.Add(best);
  }
  return occ.Take();
}

// The cheapest of the pools near the best score, moving on to the next
// cheapest once a pool holds more than an even share of the running plus
// the new instances.
std::vector<int> PriceCapacityOptimized(const std::vector<const PoolView*>& available, int count) {
  double best_score = available.front()->capacity_score;
  for (const PoolView* p : available) best_score = std::max(best_score, p->capacity_score);
  std::vector<const PoolView*> pools;
  for (const PoolView* p : available) {
    if (p->capacity_score >= best_score - kScoreBand - kEpsilon) pools.push_back(p);
  }
  SortByPricePerUnit(pools);
  const double cheapest = PricePerUnit(*pools.front());
  std::erase_if(pools, [&](const PoolView* p) { return PricePerUnit(*p) > cheapest * (1 + kPriceBand) + kEpsilon; });

  int total_running = 0;
  for (const PoolView* p : pools) total_running += p->running;
  const int n = static_cast<int>(pools.size());
  const int share = (total_running + count + n - 1) / n;  // ceil

  Occupancy occ;
  for (int i = 0; i < count; ++i) {
    const PoolView* pick = nullptr;
    for (const PoolView* p : pools) {
      if (occ.Of(p) <= share) {
        pick = p;
        break;
      }
    }
    // Unreachable by counting (some pool is always below the share); kept so
    // that a pick always exists.
    if (pick == nullptr) pick = pools.front();
    occ.Add(pick);
  }
  return occ.Take();
}

}  // namespace

CapacitySplit SplitCapacity(int desired, int on_demand_base, int on_demand_percent_above_base) {
  desired = std::max(0, desired);
  on_demand_base = std::max(0, on_demand_base);
  const int percent = std::clamp(on_demand_percent_above_base, 0, 100);
  const int above = std::max(0, desired - on_demand_base);
  // Integer ceiling, so 50% of an odd count gives the extra unit to on-demand.
  const int above_on_demand = static_cast<int>((static_cast<long long>(above) * percent + 99) / 100);
  CapacitySplit split;
  split.on_demand = std::min(desired, on_demand_base) + above_on_demand;
  split.spot = desired - split.on_demand;
  return split;
}

std::vector<int> ChooseSpotPools(const CapacitySpec& spec, const std::vector<PoolView>& pools,
                                 int count) {
  if (count <= 0) return {};
  std::vector<const PoolView*> eligible = EligiblePools(pools);
  if (eligible.empty()) return {};
  switch (spec.strategy) {
    case AllocationStrategy::kLowestPrice:
      return LowestPrice(spec, std::move(eligible), count);
    case AllocationStrategy::kCapacityOptimized:
      return CapacityOptimized(eligible, count);
    case AllocationStrategy::kPriceCapacityOptimized:
      return PriceCapacityOptimized(eligible, count);
  }
  return {};
}

namespace {

// Removal order without the on-demand-excess key: not yet serving first, then
// the oldest version, the oldest launch, the lowest id.
bool RemovedEarlier(const Instance* a, const Instance* b) {
  const bool a_serving = a->state == InstanceState::kInService;
  const bool b_serving = b->state == InstanceState::kInService;
  return std::make_tuple(a_serving, a->version, a->launched_at, a->id) <
         std::make_tuple(b_serving, b->version, b->launched_at, b->id);
}

// Marks the on-demand instances that sit beyond the on-demand target. Walks
// the counted on-demand instances from the one removal would keep longest
// (protected ones first, as they cannot go), adding up units; an instance
// whose running total passes the target is beyond it. So exactly the excess
// is marked, and it is the part removal would reach first anyway.
std::unordered_set<const Instance*> OnDemandBeyondTarget(const std::vector<const Instance*>& counted,
                                                  double on_demand_target) {
  std::vector<const Instance*> od;
  for (const Instance* i : counted) {
    if (i->market == Market::kOnDemand) od.push_back(i);
  }
  std::sort(od.begin(), od.end(), [](const Instance* a, const Instance* b) {
    if (a->scale_in_protected != b->scale_in_protected) return a->scale_in_protected;
    return RemovedEarlier(b, a);
  });
  std::unordered_set<const Instance*> beyond;
  double units = 0;
  for (const Instance* i : od) {
    units += i->weight;
    if (units > on_demand_target + kEpsilon) beyond.insert(i);
  }
  return beyond;
}

}  // namespace

std::vector<InstanceId> ChooseScaleIn(const std::vector<const Instance*>& instances, double units,
                                      double on_demand_target) {
  if (units <= kEpsilon) return {};
  std::vector<const Instance*> counted;
  for (const Instance* i : instances) {
    if (i != nullptr && CountsTowardCapacity(i->state)) counted.push_back(i);
  }
  // A set: groups may hold up to 100000 instances, and the sort asks often.
  const std::unordered_set<const Instance*> beyond = OnDemandBeyondTarget(counted, on_demand_target);
  auto is_beyond = [&beyond](const Instance* i) { return beyond.count(i) > 0; };

  std::vector<const Instance*> candidates;
  for (const Instance* i : counted) {
    if (!i->scale_in_protected) candidates.push_back(i);
  }
  std::sort(candidates.begin(), candidates.end(), [&](const Instance* a, const Instance* b) {
    const bool a_serving = a->state == InstanceState::kInService;
    const bool b_serving = b->state == InstanceState::kInService;
    if (a_serving != b_serving) return !a_serving;
    if (a->at_risk() != b->at_risk()) return a->at_risk();
    const bool a_beyond = is_beyond(a);
    const bool b_beyond = is_beyond(b);
    if (a_beyond != b_beyond) return a_beyond;
    return RemovedEarlier(a, b);
  });

  std::vector<InstanceId> chosen;
  double removed = 0;
  for (const Instance* i : candidates) {
    if (removed >= units - kEpsilon) break;
    chosen.push_back(i->id);
    removed += i->weight;
  }
  return chosen;
}

}  // namespace shoal
