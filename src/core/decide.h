// The decision for one group at one instant: pure function of the group's
// spec, its decision state, what was observed and `now`. The controller owns
// the state, persists it, and applies the returned plan through the ports;
// the simulator and the daemon call exactly this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/activity.h"
#include "core/alarm.h"
#include "core/deploy.h"
#include "core/forecast.h"
#include "core/seasonality.h"
#include "core/group.h"
#include "core/instance.h"
#include "core/metric.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

// A launch asked of the cloud whose instance is not known yet: planned and
// persisted before the call, so a crash or a lost answer never launches it
// twice — the retry carries the same token and the cloud answers with the
// instance the first call made. It counts toward capacity meanwhile.
struct PendingLaunch {
  std::string token;                   // deterministic: group, decision, slot (LaunchToken)
  Market market = Market::kOnDemand;
  int pool = kOnDemandPool;            // spot pool index, or kOnDemandPool
  double weight = 1.0;
  InstanceId replaces;                 // rebalance or deploy: the instance it replaces
  std::string release;                 // what it boots ("" none, "latest-stable", "latest", "N"), fixed when planned
  bool simple_activity = false;
  bool warm = false;                   // for the warm pool: booted, provisioned, then stopped; counts toward nothing
  bool held = false;                   // blue/green: registered held (Instance::held); counts toward nothing
  Seconds planned_at = 0;
  Retry retry;                         // failed attempts so far and when to try again
  StatusCode last_error = StatusCode::kOk;
};

// Something wrong with a group that needs a person or persists, shown in
// `describe` and the API until it clears (like a Kubernetes condition).
struct Condition {
  std::string type;      // "LaunchFailing", "TerminateFailing", "RegisterFailing", "DrainFailing"
  StatusCode code = StatusCode::kOk;
  std::string message;   // the last error, with its context
  Seconds since = 0;     // first seen
  Seconds last_seen = 0;
  int count = 0;         // failures since it was set
};

// A predictive policy's raise of desired, remembered so that what it raised
// for can be given back once the forecast no longer wants it
// (GiveBackForecastRaise) instead of after target tracking's calm window,
// which the forecast burst's own busy minutes would hold up.
struct ForecastRaise {
  int from = -1;             // desired before the first raise of the run (-1: none under way)
  std::int64_t minute = -1;  // the minute of that first raise
};

// What the decision remembers between ticks (persisted by the daemon).
struct GroupState {
  int desired = 0;
  std::vector<Instance> instances;          // alive ones; terminated are dropped
  std::vector<AlarmState> alarm_states;     // per GroupSpec::alarms
  std::vector<AlarmState> tt_high_states;   // per GroupSpec::policies (target tracking only)
  std::vector<AlarmState> tt_low_states;
  std::vector<Seconds> tt_last_scale_in;    // per policy
  MetricHistory cpu{64};
  MetricHistory requests_per_target{64};
  LoadHistory load;                         // only when a predictive policy needs it
  // Capacity units of CPU one request per minute costs, learned from minutes
  // the group was not saturated (0: not yet known); while CPU is saturated
  // it turns the request rate into the load (RecordMetrics). Derived from
  // the metric rows, which are replayed on a restart.
  double units_per_request = 0;
  std::vector<PolicyLearning> learned;      // per policy (predictive only); derived, not persisted
  // Simple scaling: one activity at a time, then the cooldown.
  bool simple_activity_open = false;
  Seconds simple_activity_started = 0;
  Seconds simple_cooldown = 0;              // length to apply when the open activity completes
  Seconds simple_cooldown_until = 0;
  std::vector<Seconds> pool_avoid_until;    // per spot pool
  std::int64_t last_evaluated_minute = -1;
  ForecastRaise forecast_raise;
  std::vector<std::string> replace_causes;  // capacity lost since the last launch, in words
  // Launches that failed before ever serving, in a row; while they keep
  // failing, replacements back off (a broken image must not crash-loop).
  int failed_launches = 0;
  Seconds launch_backoff_until = 0;
  // Launches asked of the cloud, instance not known yet (see PendingLaunch).
  std::vector<PendingLaunch> launches;
  std::int64_t launch_decisions = 0;  // decisions that launched: the middle part of tokens
  // Launch calls the cloud refused outright (permission, quota, bad
  // request): new launches wait until then, doubling, while it persists.
  Retry launch_retry;
  std::vector<Condition> conditions;
  // The deploy under way, or the last one (kept to show and to revert).
  std::optional<DeployState> deploy;
  std::int64_t deploys = 0;  // deploys begun: the next one's id
  // The release launches boot once a deploy has moved the group (0: the
  // spec's launch.release), and the one before it (what a revert goes back to).
  int release_version = 0;
  int previous_release_version = 0;

  Instance* Find(InstanceId id);  // instances are kept sorted by id
  const Instance* Find(InstanceId id) const;
  PendingLaunch* FindLaunch(const std::string& token);
  // A launch-first replacement of `id` is under way: a pending launch, or an
  // instance that counts toward capacity, marked as replacing it.
  bool IsBeingReplaced(InstanceId id) const;
};

// Fresh state for a group: desired from the spec, alarms INSUFFICIENT_DATA.
GroupState InitialState(const GroupSpec& spec);

struct PoolObservation {
  double price = 0;           // current spot price, USD/h
  double capacity_score = 1;  // 0..1 (see PoolView)
  double on_demand_price = 0; // of the pool's type: the default bid
};

struct Observation {
  std::vector<PoolObservation> pools;  // per GroupSpec spot pool
  double on_demand_price = 0;          // USD/h of the on-demand type
  bool evaluate_alarms = false;        // a minute completed since the last tick
};

// What the controller must do for a plan. Launch, register, drain and
// terminate come from the state (a pending launch or an instance whose call
// is due), so a failed call simply stays due and is retried with backoff;
// the controller reports each call's outcome through RecordOutcome.
// kStop and kStart are the warm pool's (Cloud::Stop, Cloud::Start).
// kSetServing: tell the load balancer whether the instance takes requests
// (Instance::held), keeping it registered and checked either way.
enum class ActionKind : std::uint8_t { kLaunch, kRegister, kDrain, kTerminate, kBumpDesired, kStop, kStart, kSetServing };

struct Action {
  ActionKind kind = ActionKind::kLaunch;
  std::string token;                  // launch: the pending launch's idempotency key
  InstanceId instance;            // register, drain, terminate
  Market market = Market::kOnDemand;  // launch
  int pool = kOnDemandPool;           // launch
  InstanceId replaces;            // launch for rebalance (on-demand to spot, or an at-risk spot instance)
  bool simple_activity = false;       // launch belongs to the open simple activity
  bool warm = false;                  // launch into the warm pool
  std::string target_group;           // bump-desired
  std::string reason;
};

struct Plan {
  std::vector<Action> actions;
  std::vector<Activity> activities;
};

// Instance facts the controller learns from the cloud and the load balancer.
enum class InstanceEvent : std::uint8_t {
  kBooted,       // pending → provisioning
  kProvisioned,  // setup step done; health checks may now pass
  kHealthy,      // health check passed → in service
  kUnhealthy,    // health check failed or provisioning failed
  kNotice,       // spot interruption notice (deadline given)
  kRebalanceRecommended,  // spot instance at elevated risk of interruption (EC2 rebalance recommendation)
  kDrained,      // no more in-flight requests
  kTerminated,   // gone
};

struct InstanceObservation {
  InstanceId id;
  InstanceEvent event = InstanceEvent::kBooted;
  Seconds deadline = kNever;  // for kNotice
  // For kUnhealthy / kTerminated, what the provider saw, when it knows more
  // than "failed its health check" ("exited with status 127 during
  // provisioning step 2"); empty otherwise.
  std::string reason;
};

// How long to wait before the next launch after `failed` launches in a row
// failed before serving: none after the first, then 5 s doubling to 5 min.
Seconds LaunchBackoff(int failed);
// Records a launch that failed before it ever served.
void RecordFailedLaunch(GroupState& state, Seconds now);

// Applies one observed fact to the state (lifecycle transitions). Facts about
// unknown instances or that would be illegal transitions are ignored and
// reported through the returned Status; the state stays consistent.
Status ApplyObservation(const GroupSpec& spec, GroupState& state, const InstanceObservation& obs,
                        Seconds now, std::vector<Activity>* activities);

// ApplyObservation for one of a batch of facts (the controller's poll): a
// terminated instance is marked, not removed, and a later fact about it is
// refused as about an unknown instance; DropTerminated then removes the
// marked ones in one pass, leaving the state as ApplyObservation one by one
// would (instead of one erase from the middle of the id-sorted instances
// per termination).
Status ApplyObservationInBatch(const GroupSpec& spec, GroupState& state, const InstanceObservation& obs,
                               Seconds now, std::vector<Activity>* activities);
void DropTerminated(GroupState& state);

// The state of a group carried over to a changed spec (`shoal apply`):
// desired clamped to the new bounds, instances kept (pools matched by name),
// alarm and policy states matched by name, the rest fresh.
GroupState Rebase(const GroupSpec& old_spec, const GroupSpec& new_spec, const GroupState& old_state);

// The idempotency key of slot `slot` of launch decision `decision` of a
// group: at most 64 printable characters (EC2's ClientToken limit).
std::string LaunchToken(const std::string& group, std::int64_t decision, int slot);

// Delay before attempt `attempts + 1` of a failed call: 5 s doubling to
// 5 min, with jitter derived from `salt` (deterministic: the same state gives
// the same schedule, while different instances spread out).
Seconds RetryDelay(int attempts, std::string_view salt);

// A launch that keeps failing with retryable errors is given up after this
// many attempts (the inventory pass adopts an instance it may have made).
inline constexpr int kMaxLaunchAttempts = 8;
// A termination the cloud accepted but has not confirmed is asked again
// after this long.
inline constexpr Seconds kTerminateConfirmTimeout = 300;

// The outcome of one launch call for the pending launch `token`: the
// instance joins the state, or the launch waits for a retry, or (capacity,
// refusal, too many attempts) it is dropped and the pool avoided or the
// group backed off. Activities explain failures. Returns true when a spot
// pool had no capacity (decide again: the capacity goes elsewhere).
bool RecordLaunchOutcome(const GroupSpec& spec, GroupState& state, const std::string& token,
                         const Result<LaunchedInstance>& outcome, int group_index, Seconds now,
                         std::vector<Activity>* activities);

// The outcome of a register, drain or terminate call for `action`.
void RecordOutcome(GroupState& state, const Action& action, const Status& outcome, Seconds now);

// An instance the cloud runs that the state does not know (a crash between
// a launch and the save after it, a lost answer, a record lost outside
// Shoal): a pending launch with its token becomes it, else it is adopted.
// It counts from now on; its health decides when it serves.
void AdoptInstance(GroupState& state, const Instance& described, Seconds now);

// Conditions: set (or refreshed) by a failure, cleared by a success.
void SetCondition(GroupState& state, const std::string& type, const Status& error, Seconds now);
void ClearCondition(GroupState& state, const std::string& type);
// Clears the "<Kind>Failing" condition of one kind of call.
void ClearFailingCondition(GroupState& state, ActionKind kind);

// Records that a spot launch in `pool` failed for lack of capacity; the next
// Decide (in the same tick) places that capacity elsewhere.
void RecordCapacityError(const GroupSpec& spec, GroupState& state, int pool, Seconds now);

// Records the metric datapoints of a completed minute. The load a
// predictive policy learns from is the CPU's units of work, except while
// the CPU is saturated: then it cannot show more than the capacity there
// was, and the load is the request rate times the CPU cost of a request
// seen when it was not (a burst is learned at its real height, not at the
// capacity it found).
void RecordMetrics(GroupState& state, std::int64_t minute, const Datapoint& cpu,
                   const Datapoint& requests_per_target);

// Sets desired (operator or another group's rule), clamped to min/max.
Activity SetDesired(const GroupSpec& spec, GroupState& state, int desired, Seconds now,
                    ActivityKind kind, std::string cause);

// The release a launch planned now boots: the deploy's target while one is
// under way, else the version the last deploy left, else the spec's
// launch.release ("" when the group boots none).
std::string BootRelease(const GroupSpec& spec, const GroupState& state);
// The same as a release version, when it is one (nullopt: the group boots
// none, or a ref like latest-stable that the cloud resolves at launch).
std::optional<int> BootVersion(const GroupSpec& spec, const GroupState& state);
// Version `v` as a launch names it: "v", or the spec's launch.release for 0.
std::string ReleaseRef(const GroupSpec& spec, int v);

// Begins a deploy of `request.to_version` (`shoal deploy`). Refused, with
// the state unchanged, when one is under way, when the group already runs
// that release everywhere, or when the canary instance is not in service.
Result<Activity> StartDeploy(const GroupSpec& spec, GroupState& state, DeployRequest request, Seconds now);

// Turns a deploy under way back (the operator, or Decide on a failed batch
// or a worse release): instances of the new release are replaced by the
// old one, all at once as far as max and min-healthy allow.
Result<Activity> RollBackDeploy(const GroupSpec& spec, GroupState& state, const std::string& why, Seconds now);

// `shoal revert`: a deploy under way is rolled back; otherwise a deploy to
// the release the group ran before the last one, in one batch.
Result<Activity> Revert(const GroupSpec& spec, GroupState& state, DeploySettings settings, Seconds now);

// observe is done; now decide. Mutates the decision parts of `state`
// (alarm states, desired, cooldowns, lifecycle of chosen instances) and
// returns what to do.
Plan Decide(const GroupSpec& spec, GroupState& state, const Observation& obs, Seconds now);

}  // namespace shoal
