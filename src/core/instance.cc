#include "core/instance.h"

#include <array>
#include <ostream>
#include <string>

#include "core/enum_names.h"

namespace shoal {
namespace {

constexpr std::array<std::string_view, 11> kStateNames = {
    "pending",     "provisioning", "in-service", "draining", "terminated", "unhealthy",
    "interrupted", "terminating",  "warming",    "stopped",  "starting",
};

}  // namespace

std::string_view ToString(InstanceState s) {
  const auto i = static_cast<std::size_t>(s);
  return i < kStateNames.size() ? kStateNames[i] : "unknown";
}

std::string_view ToString(Market m) { return m == Market::kSpot ? "spot" : "on-demand"; }

bool ParseInstanceState(std::string_view text, InstanceState* out) {
  using S = InstanceState;
  return ParseEnumName(text,
                       {S::kPending, S::kProvisioning, S::kInService, S::kDraining, S::kTerminated, S::kUnhealthy,
                        S::kInterrupted, S::kTerminating, S::kWarming, S::kStopped, S::kStarting},
                       out);
}

bool IsLegalTransition(InstanceState from, InstanceState to) {
  using S = InstanceState;
  if (from == to) return false;
  switch (from) {
    case S::kPending:
      return to == S::kProvisioning || to == S::kUnhealthy || to == S::kInterrupted ||
             to == S::kTerminating || to == S::kTerminated;
    case S::kProvisioning:
      return to == S::kInService || to == S::kUnhealthy || to == S::kInterrupted ||
             to == S::kTerminating || to == S::kTerminated;
    case S::kInService:
      // Never back to provisioning: a serving instance that fails becomes unhealthy.
      return to == S::kDraining || to == S::kUnhealthy || to == S::kInterrupted ||
             to == S::kTerminating || to == S::kTerminated;
    case S::kUnhealthy:
    case S::kInterrupted:
      // On their way out: drained first, or taken by the cloud.
      return to == S::kDraining || to == S::kTerminating || to == S::kTerminated;
    case S::kDraining:
      // A warm-pool instance goes back to the pool once drained.
      return to == S::kTerminating || to == S::kTerminated || to == S::kStopped;
    case S::kWarming:
      return to == S::kStopped || to == S::kUnhealthy || to == S::kInterrupted || to == S::kTerminating ||
             to == S::kTerminated;
    case S::kStopped:
      return to == S::kStarting || to == S::kTerminating || to == S::kTerminated;
    case S::kStarting:
      // Scaled in before it served: stopped again.
      return to == S::kInService || to == S::kStopped || to == S::kUnhealthy || to == S::kInterrupted ||
             to == S::kTerminating || to == S::kTerminated;
    case S::kTerminating:
      return to == S::kTerminated;
    case S::kTerminated:
      return false;
  }
  return false;
}

std::string InstanceAddress::ToString() const {
  if (empty()) return "";
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::ostream& operator<<(std::ostream& out, const InstanceAddress& a) { return out << a.ToString(); }

Status Transition(Instance& inst, InstanceState to, Seconds now) {
  if (!IsLegalTransition(inst.state, to)) {
    return Status::IllegalTransition("instance " + inst.id.str() + " cannot go from " +
                                     std::string(ToString(inst.state)) + " to " +
                                     std::string(ToString(to)));
  }
  inst.state = to;
  inst.state_since = now;
  if (to == InstanceState::kInService) inst.in_service_at = now;
  return Status::Ok();
}

}  // namespace shoal
