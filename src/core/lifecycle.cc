// Observed facts → lifecycle transitions (the "observe" half of a tick).
#include <algorithm>
#include <cmath>

#include "core/decide.h"

namespace shoal {
namespace {

std::string Describe(const GroupSpec& spec, const Instance& in) {
  std::string where = in.market == Market::kSpot && in.pool >= 0
                          ? "spot " + spec.capacity.spot_pools[in.pool].name
                          : "on-demand " + spec.capacity.on_demand_type;
  return in.id.str() + " (" + where + ")";
}

Activity Make(const GroupSpec& spec, Seconds now, ActivityKind kind, std::string cause, int from,
              int to) {
  return {now, spec.name, kind, std::move(cause), from, to};
}

void Emit(std::vector<Activity>* out, Activity a) {
  if (out != nullptr) out->push_back(std::move(a));
}

// Capacity `in` gave is lost: the next launch says it replaces it. Not so
// when a launch-first replacement of it is already under way (it was at
// risk), which then simply counts as capacity (ReleaseOrphanedReplacements
// in decide), nor when `in` was itself such a replacement: it was counted
// as extra, so its loss leaves no shortfall (its instance gets another).
void NoteLost(GroupState& state, const Instance& in, const std::string& cause) {
  if (!in.replaces.empty() || state.IsBeingReplaced(in.id)) return;
  state.replace_causes.push_back(cause + " " + in.id.str());
}

void AvoidPool(GroupState& state, int pool, Seconds until) {
  if (pool >= 0 && pool < static_cast<int>(state.pool_avoid_until.size())) {
    state.pool_avoid_until[pool] = std::max(state.pool_avoid_until[pool], until);
  }
}

// An EC2 rebalance recommendation: the spot instance is at elevated risk of
// interruption. It is only marked here; Decide launches its replacement in
// another pool and drains it once the replacement serves.
Status MarkAtRisk(const GroupSpec& spec, GroupState& state, Instance& in, Seconds now,
                  std::vector<Activity>* activities) {
  // A group without Capacity Rebalancing waits for the notice, as an EC2
  // Auto Scaling group without it does.
  if (!spec.spot.capacity_rebalance) return Status::Ok();
  // Only spot capacity can be interrupted: a recommendation for an on-demand
  // instance is a provider's mistake, and replacing it would be churn.
  if (in.market != Market::kSpot) return Status::Ok();
  // Draining, interrupted (noticed), unhealthy or terminating instances are
  // already leaving and replaced or removed by their own path: a second,
  // launch-first replacement would be capacity nobody asked for.
  if (!CountsTowardCapacity(in.state)) return Status::Ok();
  // EC2 keeps answering the recommendation, and the agent and the provider
  // may both report it: the first one counts.
  if (in.at_risk()) return Status::Ok();
  in.rebalance_recommended_at = now;
  // The pool as a whole is at risk: new capacity goes elsewhere for as long
  // as after an interruption.
  AvoidPool(state, in.pool, now + spec.spot.avoid_pool_after_interruption);
  Emit(activities, Make(spec, now, ActivityKind::kRebalance,
                        "rebalance recommendation for " + Describe(spec, in) +
                            ": at elevated risk of interruption, to be replaced launch-first",
                        state.desired, state.desired));
  return Status::Ok();
}

// A warm-pool instance booted and provisioned: it is stopped (the call is
// due from Decide) and waits in the pool.
Status StopWarm(const GroupSpec& spec, GroupState& state, Instance& in, Seconds now,
                std::vector<Activity>* activities) {
  SHOAL_RETURN_IF_ERROR(Transition(in, InstanceState::kStopped, now));
  in.stop_requested = false;
  in.retry = {};
  Emit(activities, Make(spec, now, ActivityKind::kWarmPool,
                        Describe(spec, in) + " provisioned: stopped into the warm pool", state.desired,
                        state.desired));
  return Status::Ok();
}

}  // namespace

Instance* GroupState::Find(InstanceId id) {
  auto it = std::lower_bound(instances.begin(), instances.end(), id,
                             [](const Instance& in, InstanceId v) { return in.id < v; });
  return it != instances.end() && it->id == id ? &*it : nullptr;
}

const Instance* GroupState::Find(InstanceId id) const {
  auto it = std::lower_bound(instances.begin(), instances.end(), id,
                             [](const Instance& in, InstanceId v) { return in.id < v; });
  return it != instances.end() && it->id == id ? &*it : nullptr;
}

bool GroupState::IsBeingReplaced(InstanceId id) const {
  return std::any_of(instances.begin(), instances.end(),
                     [&](const Instance& x) { return x.replaces == id && CountsTowardCapacity(x.state); }) ||
         std::any_of(launches.begin(), launches.end(), [&](const PendingLaunch& p) { return p.replaces == id; });
}

PendingLaunch* GroupState::FindLaunch(const std::string& token) {
  for (PendingLaunch& p : launches) {
    if (p.token == token) return &p;
  }
  return nullptr;
}

GroupState InitialState(const GroupSpec& spec) {
  GroupState s;
  s.desired = spec.desired;
  s.alarm_states.assign(spec.alarms.size(), AlarmState::kInsufficientData);
  s.tt_high_states.assign(spec.policies.size(), AlarmState::kInsufficientData);
  s.tt_low_states.assign(spec.policies.size(), AlarmState::kInsufficientData);
  s.tt_last_scale_in.assign(spec.policies.size(), kNever);
  s.learned.assign(spec.policies.size(), PolicyLearning{});
  s.pool_avoid_until.assign(spec.capacity.spot_pools.size(), 0);
  std::size_t keep = 16;
  for (const auto& a : spec.alarms) keep = std::max<std::size_t>(keep, MinutesNeeded(a) + 2);
  for (const auto& p : spec.policies) {
    if (p.type != PolicyType::kTargetTracking) continue;
    keep = std::max<std::size_t>(keep, MinutesNeeded(TargetTrackingHighAlarm(p)) + 2);
    keep = std::max<std::size_t>(keep, MinutesNeeded(TargetTrackingLowAlarm(p)) + 2);
  }
  if (const std::int64_t minutes = LoadMinutesNeeded(spec.policies); minutes > 0) s.load = LoadHistory(minutes);
  s.cpu = MetricHistory(keep);
  s.requests_per_target = MetricHistory(keep);
  return s;
}

GroupState Rebase(const GroupSpec& old_spec, const GroupSpec& new_spec, const GroupState& old) {
  GroupState s = InitialState(new_spec);
  s.desired = std::clamp(old.desired, new_spec.min, new_spec.max);
  auto pool_index = [&](int old_pool) {
    if (old_pool < 0 || old_pool >= static_cast<int>(old_spec.capacity.spot_pools.size())) return kOnDemandPool;
    const std::string& name = old_spec.capacity.spot_pools[old_pool].name;
    for (std::size_t p = 0; p < new_spec.capacity.spot_pools.size(); ++p) {
      if (new_spec.capacity.spot_pools[p].name == name) return static_cast<int>(p);
    }
    return kOnDemandPool;
  };
  s.instances = old.instances;
  for (Instance& in : s.instances) in.pool = pool_index(in.pool);
  s.launches = old.launches;
  for (PendingLaunch& p : s.launches) p.pool = pool_index(p.pool);
  // A pending spot launch whose pool the new spec dropped still finishes
  // (the token is asked again); it is then an instance of no known pool.
  for (std::size_t a = 0; a < new_spec.alarms.size(); ++a) {
    for (std::size_t o = 0; o < old_spec.alarms.size(); ++o) {
      if (old_spec.alarms[o].name == new_spec.alarms[a].name) s.alarm_states[a] = old.alarm_states[o];
    }
  }
  for (std::size_t p = 0; p < new_spec.policies.size(); ++p) {
    for (std::size_t o = 0; o < old_spec.policies.size(); ++o) {
      if (old_spec.policies[o].name != new_spec.policies[p].name) continue;
      s.tt_high_states[p] = old.tt_high_states[o];
      s.tt_low_states[p] = old.tt_low_states[o];
      s.tt_last_scale_in[p] = old.tt_last_scale_in[o];
    }
  }
  for (std::size_t p = 0; p < new_spec.capacity.spot_pools.size(); ++p) {
    for (std::size_t o = 0; o < old_spec.capacity.spot_pools.size(); ++o) {
      if (old_spec.capacity.spot_pools[o].name == new_spec.capacity.spot_pools[p].name) {
        s.pool_avoid_until[p] = old.pool_avoid_until[o];
      }
    }
  }
  s.cpu = old.cpu;
  s.requests_per_target = old.requests_per_target;
  s.units_per_request = old.units_per_request;
  s.forecast_raise = old.forecast_raise;
  s.simple_activity_open = old.simple_activity_open;
  s.simple_activity_started = old.simple_activity_started;
  s.simple_cooldown = old.simple_cooldown;
  s.simple_cooldown_until = old.simple_cooldown_until;
  s.last_evaluated_minute = old.last_evaluated_minute;
  s.replace_causes = old.replace_causes;
  s.failed_launches = old.failed_launches;
  s.launch_backoff_until = old.launch_backoff_until;
  s.launch_decisions = old.launch_decisions;
  s.launch_retry = old.launch_retry;
  s.conditions = old.conditions;
  s.deploy = old.deploy;
  s.deploys = old.deploys;
  s.release_version = old.release_version;
  s.previous_release_version = old.previous_release_version;
  // The load a predictive policy learns from is the group's, not the
  // spec's: a changed policy keeps what was seen.
  if (s.load.enabled()) s.load = old.load.Resized(LoadMinutesNeeded(new_spec.policies));
  return s;
}

Seconds LaunchBackoff(int failed) {
  if (failed <= 1) return 0;
  Seconds wait = 5;
  for (int i = 2; i < failed && wait < 300; ++i) wait *= 2;
  return std::min<Seconds>(wait, 300);
}

void RecordFailedLaunch(GroupState& state, Seconds now) {
  ++state.failed_launches;
  state.launch_backoff_until = now + LaunchBackoff(state.failed_launches);
}

namespace {

// ApplyObservation, or (erase_terminated false) its batch form: see decide.h.
Status Apply(const GroupSpec& spec, GroupState& state, const InstanceObservation& obs, Seconds now,
             std::vector<Activity>* activities, bool erase_terminated) {
  Instance* in = state.Find(obs.id);
  if (in == nullptr || (!erase_terminated && in->state == InstanceState::kTerminated)) {
    return Status::NotFound("no instance " + obs.id.str() + " in group " + spec.name);
  }
  const bool counted = CountsTowardCapacity(in->state);
  switch (obs.event) {
    case InstanceEvent::kBooted:
      if (in->state != InstanceState::kPending) return Status::Ok();  // late or repeated fact
      return Transition(*in, InstanceState::kProvisioning, now);
    case InstanceEvent::kProvisioned:
      // A warm-pool instance is ready once provisioned: it is stopped now.
      if (in->state == InstanceState::kWarming) return StopWarm(spec, state, *in, now, activities);
      return Status::Ok();  // health checks decide when it serves
    case InstanceEvent::kHealthy: {
      if (in->state == InstanceState::kInService) return Status::Ok();
      if (in->state == InstanceState::kWarming) return StopWarm(spec, state, *in, now, activities);
      if (in->state == InstanceState::kStopped) return Status::Ok();  // a check that passed before it stopped
      if (in->state == InstanceState::kPending) {
        SHOAL_RETURN_IF_ERROR(Transition(*in, InstanceState::kProvisioning, now));
      }
      SHOAL_RETURN_IF_ERROR(Transition(*in, InstanceState::kInService, now));
      in->simple_activity = false;
      state.failed_launches = 0;
      return Status::Ok();
    }
    case InstanceEvent::kUnhealthy: {
      if (in->state == InstanceState::kWarming) {
        // Its provisioning failed: replaced by the refill, after the backoff.
        RecordFailedLaunch(state, now);
        SHOAL_RETURN_IF_ERROR(Transition(*in, InstanceState::kUnhealthy, now));
        Emit(activities, Make(spec, now, ActivityKind::kUnhealthy,
                              Describe(spec, *in) + " (warm pool) " +
                                  (obs.reason.empty() ? "failed while warming" : obs.reason),
                              state.desired, state.desired));
        return Status::Ok();
      }
      if (!counted) return Status::Ok();
      if (in->in_service_at == kNever) RecordFailedLaunch(state, now);
      SHOAL_RETURN_IF_ERROR(Transition(*in, InstanceState::kUnhealthy, now));
      in->simple_activity = false;
      Emit(activities, Make(spec, now, ActivityKind::kUnhealthy,
                            Describe(spec, *in) + " " + (obs.reason.empty() ? "failed its health check" : obs.reason),
                            state.desired, state.desired));
      NoteLost(state, *in, "unhealthy");
      return Status::Ok();
    }
    case InstanceEvent::kNotice: {
      const bool repeated = in->notice_deadline != kNever;
      in->notice_deadline = obs.deadline;
      AvoidPool(state, in->pool, now + spec.spot.avoid_pool_after_interruption);
      if (!counted) return Status::Ok();  // already leaving; the notice only sets the deadline
      if (spec.spot.on_notice == NoticeAction::kNone) {
        // A plain EC2 group: nothing now; the termination, when it comes,
        // is replaced as any lost instance.
        if (repeated) return Status::Ok();
        Emit(activities, Make(spec, now, ActivityKind::kSpotNotice,
                              "spot interruption notice for " + Describe(spec, *in) + ", terminates in " +
                                  std::to_string(obs.deadline - now) + "s; nothing done before (on_notice: none)",
                              state.desired, state.desired));
        return Status::Ok();
      }
      if (spec.spot.on_notice == NoticeAction::kBumpGroupOnly) {
        // The seed as written: the instance keeps serving until the cloud
        // takes it, and Decide bumps the other group once. Nothing is
        // drained or replaced here; the termination, when it comes, is.
        if (in->notice_bumped) return Status::Ok();  // a repeated notice
        Emit(activities, Make(spec, now, ActivityKind::kSpotNotice,
                              "spot interruption notice for " + Describe(spec, *in) + ", terminates in " +
                                  std::to_string(obs.deadline - now) + "s; raising group '" +
                                  spec.spot.bump_group + "' by one, nothing else",
                              state.desired, state.desired));
        return Status::Ok();
      }
      SHOAL_RETURN_IF_ERROR(Transition(*in, InstanceState::kInterrupted, now));
      in->simple_activity = false;
      const bool replaced = state.IsBeingReplaced(in->id);
      Emit(activities, Make(spec, now, ActivityKind::kSpotNotice,
                            "spot interruption notice for " + Describe(spec, *in) + ", terminates in " +
                                std::to_string(obs.deadline - now) + "s" +
                                (replaced ? "; its replacement is already launched" : ""),
                            state.desired, state.desired));
      NoteLost(state, *in, "spot notice");
      return Status::Ok();
    }
    case InstanceEvent::kRebalanceRecommended:
      return MarkAtRisk(spec, state, *in, now, activities);
    case InstanceEvent::kDrained:
      in->drained = true;
      return Status::Ok();
    case InstanceEvent::kTerminated: {
      // A termination Shoal asked for, now confirmed: it leaves the state.
      if (counted) {
        NoteLost(state, *in, "lost");
        Emit(activities, Make(spec, now, ActivityKind::kUnhealthy,
                              Describe(spec, *in) + " " + (obs.reason.empty() ? "terminated by the cloud" : obs.reason),
                              state.desired, state.desired));
      }
      if (in->state != InstanceState::kTerminated) {
        SHOAL_RETURN_IF_ERROR(Transition(*in, InstanceState::kTerminated, now));
      }
      if (erase_terminated) state.instances.erase(state.instances.begin() + (in - state.instances.data()));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

Status ApplyObservation(const GroupSpec& spec, GroupState& state, const InstanceObservation& obs,
                        Seconds now, std::vector<Activity>* activities) {
  return Apply(spec, state, obs, now, activities, /*erase_terminated=*/true);
}

Status ApplyObservationInBatch(const GroupSpec& spec, GroupState& state, const InstanceObservation& obs,
                               Seconds now, std::vector<Activity>* activities) {
  return Apply(spec, state, obs, now, activities, /*erase_terminated=*/false);
}

void DropTerminated(GroupState& state) {
  std::erase_if(state.instances, [](const Instance& in) { return in.state == InstanceState::kTerminated; });
}

void RecordCapacityError(const GroupSpec& spec, GroupState& state, int pool, Seconds now) {
  if (pool < 0 || pool >= static_cast<int>(state.pool_avoid_until.size())) return;
  state.pool_avoid_until[pool] =
      std::max(state.pool_avoid_until[pool], now + spec.spot.avoid_pool_after_capacity_error);
}

namespace {
// Mean CPU at or above which a minute's CPU may understate the demand.
constexpr double kSaturatedCpu = 95;
// Minutes that calibrate the CPU cost of a request: busy enough that idle
// CPU does not dominate, clear of saturation.
constexpr double kCalibrateCpuLow = 10;
constexpr double kCalibrateCpuHigh = 90;
constexpr double kCalibrateWeight = 0.1;  // of the newest minute in the running mean
// A saturated minute's load is taken as at most this many times what its CPU
// shows: a request count gone wild (a counter reset read as a jump) cannot
// make the policy ask for the whole account.
constexpr double kMaxSaturatedFactor = 10;
}  // namespace

void RecordMetrics(GroupState& state, std::int64_t minute, const Datapoint& cpu,
                   const Datapoint& requests_per_target) {
  state.cpu.Record(minute, cpu);
  state.requests_per_target.Record(minute, requests_per_target);
  if (cpu.missing()) return;
  // CPU% summed over the instances / 100 = units of work, whatever the size.
  double units = cpu.sum / 100.0;
  const double mean_cpu = cpu.sum / cpu.count;
  const bool requests_known =
      !requests_per_target.missing() && requests_per_target.sum > 0 && std::isfinite(requests_per_target.sum);
  if (requests_known && mean_cpu >= kCalibrateCpuLow && mean_cpu < kCalibrateCpuHigh) {
    const double cost = units / requests_per_target.sum;
    state.units_per_request = state.units_per_request > 0
                                  ? (1 - kCalibrateWeight) * state.units_per_request + kCalibrateWeight * cost
                                  : cost;
  }
  if (requests_known && mean_cpu >= kSaturatedCpu && state.units_per_request > 0) {
    const double estimate = requests_per_target.sum * state.units_per_request;
    if (std::isfinite(estimate)) units = std::clamp(estimate, units, kMaxSaturatedFactor * units);
  }
  if (state.load.enabled()) state.load.Record(minute, units);
}

Activity SetDesired(const GroupSpec& spec, GroupState& state, int desired, Seconds now,
                    ActivityKind kind, std::string cause) {
  const int to = std::clamp(desired, spec.min, spec.max);
  Activity a = Make(spec, now, kind, std::move(cause), state.desired, to);
  state.desired = to;
  return a;
}

}  // namespace shoal
