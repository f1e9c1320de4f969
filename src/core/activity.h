// Every change of capacity is an activity with its cause, and so is what
// happens to the load balancer in front of a group.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.h"

namespace shoal {

enum class ActivityKind : std::uint8_t {
  kScaleOut,          // a policy raised desired
  kScaleIn,           // a policy lowered desired
  kSetDesired,        // an operator (or another group's notice rule) set desired
  kSpotNotice,        // a spot instance got its two-minute notice
  kReplace,           // a launch replacing an interrupted or unhealthy instance
  kFallbackOnDemand,  // spot could not be had: on-demand launched instead
  kRebalance,         // on-demand above target replaced by spot; a spot instance at risk replaced
  kUnhealthy,         // an instance failed provisioning or health checks
  kLaunchFailed,      // the cloud refused a launch, or it failed too often to retry
  kInventory,         // the inventory pass found the cloud and the state apart and mended it
  kLoadBalancer,      // the load balancer in front of the group stopped, was restarted, ...
  kDeploy,            // a deploy began, replaced a batch, analysed it, rolled back or ended
  kWarmPool,          // a warm-pool instance was stopped into the pool, started from it, or returned to it
};

std::string_view ToString(ActivityKind k);
// The kind whose ToString is `text`; false when none is.
bool ParseActivityKind(std::string_view text, ActivityKind* out);

struct Activity {
  Seconds time = 0;
  std::string group;
  ActivityKind kind = ActivityKind::kScaleOut;
  std::string cause;  // which alarm/policy/notice, in words
  int from = 0;       // desired (or units) before
  int to = 0;         // and after
};

}  // namespace shoal
