// The "record" half of acting: what a call to the cloud or the load balancer
// answered, folded back into the group's state. Failures are kept and retried
// with backoff (a pending launch or an instance's due call stays due); errors
// a retry cannot fix surface as conditions and back the group off.
#include <algorithm>

#include "core/decide.h"

namespace shoal {
namespace {

constexpr Seconds kFirstRetry = 5;
constexpr Seconds kMaxRetry = 300;
// Failures in a row of a retryable call before it also shows as a condition.
constexpr int kConditionAfter = 3;

std::uint64_t Fnv1a(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Where(const GroupSpec& spec, Market market, int pool) {
  return market == Market::kSpot && pool >= 0 && pool < static_cast<int>(spec.capacity.spot_pools.size())
             ? "spot " + spec.capacity.spot_pools[pool].name
             : "on-demand " + spec.capacity.on_demand_type;
}

const char* ConditionType(ActionKind kind) {
  switch (kind) {
    case ActionKind::kLaunch: return "LaunchFailing";
    case ActionKind::kRegister: return "RegisterFailing";
    case ActionKind::kDrain: return "DrainFailing";
    case ActionKind::kTerminate: return "TerminateFailing";
    case ActionKind::kBumpDesired: return "BumpFailing";
    case ActionKind::kStop: return "StopFailing";
    case ActionKind::kStart: return "StartFailing";
  }
  return "Failing";
}

// A failed call: counted, its next attempt scheduled, and shown as a
// condition when no retry can fix it or it keeps failing.
void Fail(GroupState& state, Retry& retry, ActionKind kind, const Status& error, std::string_view salt,
          Seconds now) {
  ++retry.attempts;
  retry.next_at = now + RetryDelay(retry.attempts, salt);
  if (!IsRetryable(error.code()) || retry.attempts >= kConditionAfter) {
    SetCondition(state, ConditionType(kind), error, now);
  }
}

}  // namespace

std::string LaunchToken(const std::string& group, std::int64_t decision, int slot) {
  // Group names are at most 63 characters; keep the token within EC2's 64
  // by shortening long names to a prefix and a hash of the whole name.
  constexpr std::size_t kMaxName = 36;
  std::string name = group;
  if (name.size() > kMaxName) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::uint64_t h = Fnv1a(group, 0);
    name = group.substr(0, kMaxName - 9) + "~";
    for (int i = 7; i >= 0; --i) name += kHex[(h >> (4 * i)) & 15];
  }
  return name + "-" + std::to_string(decision) + "-" + std::to_string(slot);
}

Seconds RetryDelay(int attempts, std::string_view salt) {
  Seconds cap = kFirstRetry;
  for (int i = 1; i < attempts && cap < kMaxRetry; ++i) cap *= 2;
  cap = std::min(cap, kMaxRetry);
  // "Equal jitter": half the delay fixed, half spread by a hash, so retries
  // of many instances do not arrive together yet never come too soon.
  const Seconds half = cap / 2;
  const auto spread = static_cast<Seconds>(Fnv1a(salt, static_cast<std::uint64_t>(attempts)) %
                                           static_cast<std::uint64_t>(cap - half + 1));
  return half + spread;
}

void SetCondition(GroupState& state, const std::string& type, const Status& error, Seconds now) {
  for (Condition& c : state.conditions) {
    if (c.type != type) continue;
    c.code = error.code();
    c.message = error.message();
    c.last_seen = now;
    ++c.count;
    return;
  }
  state.conditions.push_back({type, error.code(), error.message(), now, now, 1});
}

void ClearFailingCondition(GroupState& state, ActionKind kind) { ClearCondition(state, ConditionType(kind)); }

void ClearCondition(GroupState& state, const std::string& type) {
  std::erase_if(state.conditions, [&](const Condition& c) { return c.type == type; });
}

bool RecordLaunchOutcome(const GroupSpec& spec, GroupState& state, const std::string& token,
                         const Result<LaunchedInstance>& outcome, int group_index, Seconds now,
                         std::vector<Activity>* activities) {
  auto it = std::find_if(state.launches.begin(), state.launches.end(),
                         [&](const PendingLaunch& p) { return p.token == token; });
  if (it == state.launches.end()) return false;  // already settled (adopted by the inventory)
  PendingLaunch& p = *it;
  auto note = [&](std::string cause) {
    if (activities != nullptr) {
      activities->push_back({now, spec.name, ActivityKind::kLaunchFailed, std::move(cause), state.desired,
                             state.desired});
    }
  };
  if (outcome.ok()) {
    Instance in;
    in.id = outcome->id;
    in.address = outcome->address;
    in.group = group_index;
    in.market = p.market;
    in.pool = p.market == Market::kSpot ? p.pool : kOnDemandPool;
    in.weight = p.weight;
    in.launched_at = now;
    in.state_since = now;
    in.replaces = p.replaces;
    in.simple_activity = p.simple_activity && state.simple_activity_open;
    in.launch_token = p.token;
    in.version = outcome->version;
    // A warm-pool launch boots and provisions, then is stopped (ApplyObservation).
    in.warm = p.warm;
    if (p.warm) in.state = InstanceState::kWarming;
    state.launches.erase(it);
    ClearCondition(state, ConditionType(ActionKind::kLaunch));
    state.launch_retry = {};
    if (state.Find(in.id) != nullptr) return false;  // the cloud answered a retried token with one we track
    auto at = std::lower_bound(state.instances.begin(), state.instances.end(), in.id,
                               [](const Instance& x, InstanceId v) { return x.id < v; });
    state.instances.insert(at, std::move(in));
    return false;
  }
  const Status& error = outcome.status();
  const std::string what = "launch " + p.token + " (" + Where(spec, p.market, p.pool) + ")";
  p.last_error = error.code();
  if (error.code() == StatusCode::kInsufficientCapacity) {
    // Nothing was made: the capacity goes to another pool (or on-demand) in
    // this same tick, and this pool is avoided for a while.
    const int pool = p.market == Market::kSpot ? p.pool : kOnDemandPool;
    state.launches.erase(it);
    if (pool >= 0) {
      RecordCapacityError(spec, state, pool, now);
      return true;
    }
    Fail(state, state.launch_retry, ActionKind::kLaunch, error, spec.name, now);
    note(what + " failed: " + error.message() + "; retrying in " +
         std::to_string(state.launch_retry.next_at - now) + "s");
    return false;
  }
  if (!IsRetryable(error.code())) {
    // Permission, quota or a malformed request: a person must act. The
    // group backs off (doubling) and says why until a launch succeeds.
    state.launches.erase(it);
    Fail(state, state.launch_retry, ActionKind::kLaunch, error, spec.name, now);
    note(what + " refused (" + std::string(ToString(error.code())) + "): " + error.message() +
         "; launches wait " + std::to_string(state.launch_retry.next_at - now) + "s");
    return false;
  }
  // Unavailable, throttled, a timeout: the cloud may have made it. Ask
  // again later with the same token, which returns it if it exists.
  Fail(state, p.retry, ActionKind::kLaunch, error, p.token, now);
  if (p.retry.attempts >= kMaxLaunchAttempts) {
    const int attempts = p.retry.attempts;
    state.launches.erase(it);
    note(what + " given up after " + std::to_string(attempts) + " attempts: " + error.message() +
         " (an instance it made is adopted by the inventory pass)");
  }
  return false;
}

void RecordOutcome(GroupState& state, const Action& action, const Status& outcome, Seconds now) {
  Instance* in = state.Find(action.instance);
  if (in == nullptr) return;  // confirmed gone meanwhile
  if (!outcome.ok()) {
    Fail(state, in->retry, action.kind, outcome, in->id.str(), now);
    return;
  }
  in->retry = {};
  ClearCondition(state, ConditionType(action.kind));
  switch (action.kind) {
    case ActionKind::kRegister:
      in->registered = true;
      break;
    case ActionKind::kDrain:
      in->drain_requested = true;
      break;
    case ActionKind::kTerminate:
      in->terminate_requested = true;
      in->registered = false;
      // Asked again if the cloud has not confirmed it gone by then.
      in->retry.next_at = now + kTerminateConfirmTimeout;
      break;
    case ActionKind::kStop:
      in->stop_requested = true;
      in->registered = false;
      break;
    case ActionKind::kStart:
      in->start_requested = true;
      break;
    case ActionKind::kLaunch:
    case ActionKind::kBumpDesired:
      break;
  }
}

void AdoptInstance(GroupState& state, const Instance& described, Seconds now) {
  if (state.Find(described.id) != nullptr) return;
  Instance in = described;
  if (!in.launch_token.empty()) {
    if (PendingLaunch* p = state.FindLaunch(in.launch_token)) {
      in.replaces = p->replaces;
      in.pool = p->pool;
      in.market = p->market;
      in.weight = p->weight;
      in.warm = p->warm;
      std::erase_if(state.launches, [&](const PendingLaunch& x) { return x.token == in.launch_token; });
    }
  }
  in.state = in.warm ? InstanceState::kWarming : InstanceState::kPending;
  in.state_since = now;
  in.registered = false;
  auto at = std::lower_bound(state.instances.begin(), state.instances.end(), in.id,
                             [](const Instance& x, InstanceId v) { return x.id < v; });
  state.instances.insert(at, std::move(in));
}

}  // namespace shoal
