// What the operator asks of a deploy (start, roll back, revert) and which
// release a launch boots. The per-tick steps are Decide's (decide.cc).
#include <algorithm>
#include <map>

#include "core/decide.h"

namespace shoal {
namespace {

// The release most in-service instances run (ties: the lower), else the
// version the group boots now, else 0.
int RunningVersion(const GroupState& state) {
  std::map<int, int> count;
  for (const Instance& in : state.instances) {
    if (in.state == InstanceState::kInService) ++count[in.version];
  }
  int best = state.release_version;
  int most = 0;
  for (const auto& [version, n] : count) {
    if (n > most) best = version, most = n;
  }
  return best;
}

Activity DeployActivity(const GroupSpec& spec, const GroupState& state, Seconds now, std::string cause) {
  return Activity{now, spec.name, ActivityKind::kDeploy, std::move(cause), state.desired, state.desired};
}

}  // namespace

std::string ReleaseRef(const GroupSpec& spec, int v) { return v > 0 ? std::to_string(v) : spec.launch.release; }

namespace {

// The version BootRelease names: 0 for the spec's launch.release.
int BootVersionOrSpec(const GroupState& state) {
  // Blue/green: until the switch, a scale-out adds to the serving (old)
  // set; the held set grows to match it.
  if (state.deploy && state.deploy->blue_green() && state.deploy->phase == DeployPhase::kGreenLaunching) {
    return state.deploy->from_version;
  }
  if (state.deploy && state.deploy->active()) return state.deploy->target_version();
  return state.release_version;
}

}  // namespace

std::string BootRelease(const GroupSpec& spec, const GroupState& state) {
  return ReleaseRef(spec, BootVersionOrSpec(state));
}

std::optional<int> BootVersion(const GroupSpec& spec, const GroupState& state) {
  if (const int v = BootVersionOrSpec(state); v > 0) return v;
  // The spec's own launch.release: a version only when it is one (config
  // validation allows digits, latest and latest-stable).
  const std::string& ref = spec.launch.release;
  if (ref.empty() || ref.size() > 9 || !std::all_of(ref.begin(), ref.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoi(ref);
}

Result<Activity> StartDeploy(const GroupSpec& spec, GroupState& state, DeployRequest request, Seconds now) {
  if (request.to_version <= 0) return Status::InvalidArgument("a deploy needs a release version of 1 or more");
  if (state.deploy && state.deploy->active()) {
    return Status::Conflict("group " + spec.name + " is already " + std::string(ToString(state.deploy->phase)) +
                            " (deploy " + std::to_string(state.deploy->id) + " to release " +
                            std::to_string(state.deploy->request.to_version) +
                            "): wait for it, or `shoal revert " + spec.name + "` to roll it back");
  }
  const bool blue_green = request.settings.strategy == DeployStrategy::kBlueGreen;
  if (blue_green && !request.only.empty()) {
    return Status::InvalidArgument("a canary (--instance) replaces one instance; blue/green brings up a whole "
                                   "second set: use --strategy rolling for a canary");
  }
  if (!request.only.empty()) {
    const Instance* canary = state.Find(request.only);
    if (canary == nullptr || canary->state != InstanceState::kInService) {
      return Status::InvalidArgument("instance " + request.only.str() + " of group " + spec.name +
                                     " is not in service: a canary replaces a serving instance");
    }
    if (canary->version == request.to_version) {
      return Status::InvalidArgument("instance " + request.only.str() + " runs release " +
                                     std::to_string(request.to_version) + " already");
    }
  }
  bool all_there = true;
  int counted = 0;
  for (const Instance& in : state.instances) {
    if (!CountsTowardCapacity(in.state)) continue;
    ++counted;
    all_there = all_there && in.version == request.to_version;
  }
  if (counted > 0 && all_there && state.launches.empty()) {
    return Status::InvalidArgument("every instance of group " + spec.name + " runs release " +
                                   std::to_string(request.to_version) + " already");
  }
  DeployState d;
  d.id = ++state.deploys;
  d.from_version = RunningVersion(state);
  d.release_before = state.release_version;
  d.phase = blue_green ? DeployPhase::kGreenLaunching : DeployPhase::kRolling;
  d.started_at = now;
  d.phase_since = now;
  d.request = std::move(request);
  if (blue_green) d.analysis_from_minute = MinuteOf(now);  // the old release's traffic from here is the baseline
  const std::string cause = "deploy " + std::to_string(d.id) + " (release " + std::to_string(d.from_version) +
                            " -> " + std::to_string(d.request.to_version) + ") begins" +
                            (d.request.only.empty() ? "" : " on canary " + d.request.only.str()) +
                            (blue_green ? " (blue/green)" : "") + ": " +
                            d.request.cause;
  state.deploy = std::move(d);
  return DeployActivity(spec, state, now, cause);
}

namespace {

// A blue/green rollback is immediate: before the switch the held new
// instances are terminated (they never took a request); after it the old
// set serves again (made serving before the new one drains: DueOperations
// orders the calls) and the new set drains. No launch is needed: that is
// what keeping the old set was for.
Activity BlueGreenRollBack(const GroupSpec& spec, GroupState& state, const std::string& why, Seconds now) {
  DeployState& d = *state.deploy;
  const bool switched = d.phase == DeployPhase::kSwitched;
  int gone = 0;
  int back = 0;
  for (Instance& in : state.instances) {
    if (!CountsTowardCapacity(in.state)) continue;
    const bool fresh = switched ? !in.held : in.held;
    if (!fresh) {
      if (in.held) {
        in.held = false;
        in.serving_synced = false;
        ++back;
      }
      continue;
    }
    ++gone;
    if (switched && in.state == InstanceState::kInService && Transition(in, InstanceState::kDraining, now).ok()) {
      in.drain_requested = false;
      in.retry = {};
    } else if (Transition(in, InstanceState::kTerminating, now).ok()) {
      in.terminate_requested = false;
      in.retry = {};
    }
  }
  d.phase = DeployPhase::kRolledBack;
  d.phase_since = now;
  d.ended_at = now;
  d.analysis_until = 0;
  d.batch_open = false;
  d.result = why;
  state.release_version = d.release_before;
  return DeployActivity(spec, state, now,
                        "deploy " + std::to_string(d.id) + " (release " + std::to_string(d.from_version) + " -> " +
                            std::to_string(d.request.to_version) + ", blue/green) rolled-back: " + why + "; " +
                            (switched ? "switched back: " + std::to_string(back) +
                                            " old instance(s) serve again, " + std::to_string(gone) +
                                            " new one(s) drain"
                                      : "never switched: " + std::to_string(gone) +
                                            " held new instance(s) terminated"));
}

}  // namespace

Result<Activity> RollBackDeploy(const GroupSpec& spec, GroupState& state, const std::string& why, Seconds now) {
  if (state.deploy && state.deploy->blue_green() &&
      (state.deploy->phase == DeployPhase::kGreenLaunching || state.deploy->phase == DeployPhase::kSwitched)) {
    return BlueGreenRollBack(spec, state, why, now);
  }
  if (!state.deploy || state.deploy->phase != DeployPhase::kRolling) {
    return Status::InvalidArgument("group " + spec.name + " has no deploy rolling forward to roll back");
  }
  DeployState& d = *state.deploy;
  d.phase = DeployPhase::kRollingBack;
  d.phase_since = now;
  d.batches = 0;
  d.batch_open = false;
  d.replaced = 0;
  d.analysis_until = 0;
  d.result = why;
  return DeployActivity(spec, state, now,
                        "deploy " + std::to_string(d.id) + " rolls back to release " +
                            std::to_string(d.from_version) + ": " + why);
}

Result<Activity> Revert(const GroupSpec& spec, GroupState& state, DeploySettings settings, Seconds now) {
  if (state.deploy && (state.deploy->phase == DeployPhase::kRolling ||
                       state.deploy->phase == DeployPhase::kGreenLaunching ||
                       state.deploy->phase == DeployPhase::kSwitched)) {
    return RollBackDeploy(spec, state, "shoal revert", now);
  }
  if (state.deploy && state.deploy->phase == DeployPhase::kRollingBack) {
    return Status::Conflict("group " + spec.name + " is rolling back already (deploy " +
                            std::to_string(state.deploy->id) + ")");
  }
  if (state.previous_release_version <= 0) {
    return Status::InvalidArgument("group " + spec.name +
                                   " has no earlier release to go back to (no deploy has succeeded): "
                                   "deploy one with `shoal deploy " + spec.name + " --release N`");
  }
  // As fast as the health checks allow: one batch, no analysis.
  settings.batch_count = 0;
  settings.batch_percent = 100;
  settings.analysis = 0;
  DeployRequest r;
  r.to_version = state.previous_release_version;
  r.ref = "revert";
  r.settings = settings;
  r.cause = "shoal revert";
  return StartDeploy(spec, state, std::move(r), now);
}

}  // namespace shoal
