#include "core/activity.h"

namespace shoal {

std::string_view ToString(ActivityKind k) {
  switch (k) {
    case ActivityKind::kScaleOut: return "scale-out";
    case ActivityKind::kScaleIn: return "scale-in";
    case ActivityKind::kSetDesired: return "set-desired";
    case ActivityKind::kSpotNotice: return "spot-notice";
    case ActivityKind::kReplace: return "replace";
    case ActivityKind::kFallbackOnDemand: return "fallback-on-demand";
    case ActivityKind::kRebalance: return "rebalance";
    case ActivityKind::kUnhealthy: return "unhealthy";
    case ActivityKind::kLoadBalancer: return "load-balancer";
  }
  return "unknown";
}

}  // namespace shoal
