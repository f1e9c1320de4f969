// When each request of an open-loop run is due. The rate ramps linearly from
// start_rate to end_rate over the duration, so the i-th request is due when
// the integral of the rate reaches i. Requests go out on this schedule whether
// or not earlier ones have answered: a slow server does not slow the load.
#pragma once

#include <cstdint>

namespace shoal::web {

struct LoadPlan {
  double start_rate = 0;    // requests per second at t = 0
  double end_rate = 0;      // requests per second at t = duration
  double duration_s = 0;
  uint64_t max_requests = 0;  // hard cap on the count, whatever the rates say
};

// How many requests the plan sends: the integral of the rate, capped.
uint64_t PlannedCount(const LoadPlan& plan);
// Seconds from the start at which request `index` (0-based) is due.
double DueOffsetSeconds(const LoadPlan& plan, uint64_t index);

}  // namespace shoal::web
