// How capacity is divided between on-demand and spot, which spot pools get
// new instances, and which instances go first on scale-in. Pure functions.
#pragma once

#include <vector>

#include "core/group.h"
#include "core/instance.h"

namespace shoal {

struct CapacitySplit {
  int on_demand = 0;  // units
  int spot = 0;       // units
};

// on_demand = min(desired, base) + ceil((desired - base)+ * percent / 100);
// fractions round toward on-demand. spot = desired - on_demand.
CapacitySplit SplitCapacity(int desired, int on_demand_base, int on_demand_percent_above_base);

// What the decision knows about one spot pool right now.
struct PoolView {
  int index = 0;             // into CapacitySpec::spot_pools
  double price = 0;          // current spot price, USD per instance-hour
  double weight = 1;         // capacity units per instance
  double capacity_score = 1; // 0..1, higher = more spare capacity / fewer interruptions
  bool available = true;     // false: avoided (recent interruption or capacity error) or price above bid
  int running = 0;           // instances of the group in this pool that count toward capacity
};

// The pool for each of `count` new spot instances, by the group's strategy:
//  - lowest-price: round-robin over the `spot_instance_pools` cheapest
//    available pools by price per unit (ties by index);
//  - capacity-optimized: the pool with the highest capacity score each time
//    (ties: fewer running, then index);
//  - price-capacity-optimized: among pools whose score is within 0.1 of the
//    best, those priced within 5% of the cheapest per unit; instances spread
//    over these, the cheapest first, moving to the next when a pool already
//    holds more than its share.
// Returns fewer than `count` entries (maybe none) when no pool is available.
std::vector<int> ChooseSpotPools(const CapacitySpec& spec, const std::vector<PoolView>& pools,
                                 int count);

// Which instances to remove so that `units` capacity units go away, in order:
// not in service first (pending, provisioning), then spot instances at risk
// of interruption (removing one spares its replacement), then on-demand
// beyond `on_demand_target` units, then the oldest version, then the oldest launch
// (then lowest id, for determinism). Protected instances are never chosen.
// Only instances that count toward capacity are candidates. May return
// fewer units than asked when protection forbids.
std::vector<InstanceId> ChooseScaleIn(const std::vector<const Instance*>& instances, double units,
                                      double on_demand_target);

}  // namespace shoal
