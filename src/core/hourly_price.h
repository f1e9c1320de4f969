// What an instance costs per hour at the prices the loop last observed. The
// dashboard's cost history and /metrics' cost rate both read it, so the two
// never disagree about what the fleet costs now.
#pragma once

#include "core/decide.h"
#include "core/instance.h"

namespace shoal {

// A spot instance at its pool's price, anything else at the on-demand price;
// 0 once terminated and while stopped (a stopped warm-pool instance bills
// only its disk, which the observation does not price).
double HourlyPrice(const Instance& in, const Observation& seen);

}  // namespace shoal
