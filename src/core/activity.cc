#include "core/activity.h"

#include "core/enum_names.h"

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
    case ActivityKind::kLaunchFailed: return "launch-failed";
    case ActivityKind::kInventory: return "inventory";
    case ActivityKind::kLoadBalancer: return "load-balancer";
    case ActivityKind::kDeploy: return "deploy";
    case ActivityKind::kWarmPool: return "warm-pool";
  }
  return "unknown";
}

bool ParseActivityKind(std::string_view text, ActivityKind* out) {
  using K = ActivityKind;
  return ParseEnumName(text,
                       {K::kScaleOut, K::kScaleIn, K::kSetDesired, K::kSpotNotice, K::kReplace, K::kFallbackOnDemand,
                        K::kRebalance, K::kUnhealthy, K::kLaunchFailed, K::kInventory, K::kLoadBalancer, K::kDeploy,
                        K::kWarmPool},
                       out);
}

}  // namespace shoal
