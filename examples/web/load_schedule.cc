#include "load_schedule.h"

#include <algorithm>
#include <cmath>

namespace shoal::web {

uint64_t PlannedCount(const LoadPlan& plan) {
  const double area = (plan.start_rate + plan.end_rate) / 2.0 * plan.duration_s;
  const auto count = static_cast<uint64_t>(std::floor(area + 1e-9));
  return std::min(count, plan.max_requests);
}

double DueOffsetSeconds(const LoadPlan& plan, uint64_t index) {
  // Requests sent by time t: N(t) = a t + b t^2 / 2, with a the start rate and
  // b the slope. Solving N(t) = i in the form 2i / (a + sqrt(a^2 + 2 b i))
  // stays exact for a flat rate (b = 0) and for a ramp that starts at zero.
  const double a = plan.start_rate;
  const double b = plan.duration_s > 0 ? (plan.end_rate - plan.start_rate) / plan.duration_s : 0;
  const double i = static_cast<double>(index);
  if (i == 0) return 0;
  const double denominator = a + std::sqrt(std::max(0.0, a * a + 2 * b * i));
  if (denominator <= 0) return plan.duration_s;
  return std::min(2 * i / denominator, plan.duration_s);
}

}  // namespace shoal::web
