#include "core/instance.h"

#include <array>
#include <string>

#include "core/enum_names.h"

namespace shoal {
namespace {

constexpr std::array<std::string_view, 8> kStateNames = {
    "pending", "provisioning", "in-service", "draining", "terminated", "unhealthy", "interrupted", "terminating",
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
                        S::kInterrupted, S::kTerminating},
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
      return to == S::kTerminating || to == S::kTerminated;
    case S::kTerminating:
      return to == S::kTerminated;
    case S::kTerminated:
      return false;
  }
  return false;
}

Status Transition(Instance& inst, InstanceState to, Seconds now) {
  if (!IsLegalTransition(inst.state, to)) {
    return Status::IllegalTransition("instance " + FormatInstanceId(inst.id) + " cannot go from " +
                                     std::string(ToString(inst.state)) + " to " +
                                     std::string(ToString(to)));
  }
  inst.state = to;
  inst.state_since = now;
  if (to == InstanceState::kInService) inst.in_service_at = now;
  return Status::Ok();
}

std::optional<InstanceId> ParseInstanceId(std::string_view text) {
  constexpr std::size_t kMaxDigits = 16;  // 64 bits
  if (!text.starts_with("i-")) return std::nullopt;
  const std::string_view digits = text.substr(2);
  if (digits.empty() || digits.size() > kMaxDigits) return std::nullopt;
  InstanceId id = 0;
  for (char c : digits) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return std::nullopt;
    id = (id << 4) | static_cast<InstanceId>(v);
  }
  return id;
}

std::string FormatInstanceId(InstanceId id) {
  constexpr std::string_view kHexDigits = "0123456789abcdef";
  constexpr int kDigits = 16;  // fixed width so ids sort and align like the cloud's
  std::string out = "i-";
  out.resize(2 + kDigits);
  for (int i = kDigits - 1; i >= 0; --i) {
    out[2 + i] = kHexDigits[id & 0xF];
    id >>= 4;
  }
  return out;
}

}  // namespace shoal
