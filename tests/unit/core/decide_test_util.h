// Builders for decision tests: a small group and a way to drive Decide.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/decide.h"
#include "core/group.h"
#include "test_ids.h"

namespace shoal::testing {

inline AlarmSpec CpuAlarm(const std::string& name, Comparison c, double threshold, int n = 1, int m = 1,
                          int period = 60) {
  AlarmSpec a;
  a.name = name;
  a.metric = MetricName::kCpuUtilization;
  a.comparison = c;
  a.threshold = threshold;
  a.evaluation_periods = n;
  a.datapoints_to_alarm = m;
  a.period_seconds = period;
  return a;
}

// A predictive policy named "seasonal" on `lags` days back.
inline PolicySpec Predictive(std::vector<int> lags, int horizon, double target) {
  PolicySpec p;
  p.name = "seasonal";
  p.type = PolicyType::kPredictive;
  p.lag_days = std::move(lags);
  p.horizon_minutes = horizon;
  p.target_value = target;
  return p;
}

// Target tracking on CPU named "tt": out after 1 of 1 minutes, in after 2 of 2,
// no cooldown.
inline PolicySpec TargetTracking(double target, Seconds warmup = 0) {
  PolicySpec p;
  p.name = "tt";
  p.type = PolicyType::kTargetTracking;
  p.target_metric = MetricName::kCpuUtilization;
  p.target_value = target;
  p.warmup = warmup;
  p.cooldown = 0;
  p.shape.scale_out_evaluation_periods = 1;
  p.shape.scale_out_datapoints = 1;
  p.shape.scale_in_evaluation_periods = 2;
  p.shape.scale_in_datapoints = 2;
  return p;
}

inline PoolSpec Pool(const std::string& zone, const std::string& type = "m4.large") {
  PoolSpec p;
  p.name = type + "/" + zone;
  p.instance_type = type;
  p.zone = zone;
  return p;
}

// min 1, max 20, desired 2; on-demand base 1, 0% above; two spot pools.
inline GroupSpec SpotGroup() {
  GroupSpec g;
  g.name = "web";
  g.service = "web";
  g.min = 1;
  g.max = 20;
  g.desired = 2;
  g.capacity.on_demand_base = 1;
  g.capacity.on_demand_percent_above_base = 0;
  g.capacity.strategy = AllocationStrategy::kLowestPrice;
  g.capacity.spot_instance_pools = 1;
  g.capacity.spot_pools = {Pool("us-east-1a"), Pool("us-east-1b")};
  return g;
}

inline Observation Obs(const GroupSpec& g, bool evaluate, std::vector<double> prices = {}) {
  Observation o;
  o.evaluate_alarms = evaluate;
  o.on_demand_price = 0.10;
  for (std::size_t p = 0; p < g.capacity.spot_pools.size(); ++p) {
    PoolObservation po;
    po.price = p < prices.size() ? prices[p] : 0.03 + 0.01 * static_cast<double>(p);
    po.on_demand_price = 0.10;
    o.pools.push_back(po);
  }
  return o;
}

// Drives one group like the controller does, with ids from a counter.
class Driver {
 public:
  explicit Driver(GroupSpec spec) : spec_(std::move(spec)), state_(InitialState(spec_)) {}

  // Decides at `now` and acts like a cloud that always succeeds: every
  // launch becomes a new pending (registered) instance, every drain and
  // register call succeeds, every termination is done and confirmed.
  Plan Step(Seconds now, bool evaluate = false, std::vector<double> prices = {}) {
    Plan plan = Decide(spec_, state_, Obs(spec_, evaluate, prices), now);
    for (const Action& a : plan.actions) {
      switch (a.kind) {
        case ActionKind::kLaunch: {
          const InstanceId id = Id(next_id_++);
          // The cloud boots the numbered release the launch names.
          const PendingLaunch* p = state_.FindLaunch(a.token);
          const int version = p != nullptr && !p->release.empty() && p->release.find_first_not_of("0123456789") == std::string::npos
                                  ? std::stoi(p->release)
                                  : 0;
          RecordLaunchOutcome(spec_, state_, a.token, LaunchedInstance{id, {}, version}, 0, now, nullptr);
          if (a.warm) break;  // the warm pool serves nothing until started
          Action reg;
          reg.kind = ActionKind::kRegister;
          reg.instance = id;
          RecordOutcome(state_, reg, Status::Ok(), now);
          break;
        }
        case ActionKind::kRegister:
        case ActionKind::kDrain:
        case ActionKind::kStop:
        case ActionKind::kSetServing:
          RecordOutcome(state_, a, Status::Ok(), now);
          break;
        case ActionKind::kStart:
          RecordOutcome(state_, a, Status::Ok(), now);
          {
            Action reg;  // registered at once, as the controller does
            reg.kind = ActionKind::kRegister;
            reg.instance = a.instance;
            RecordOutcome(state_, reg, Status::Ok(), now);
          }
          break;
        case ActionKind::kTerminate:
          RecordOutcome(state_, a, Status::Ok(), now);
          (void)ApplyObservation(spec_, state_, {a.instance, InstanceEvent::kTerminated, kNever, ""}, now, nullptr);
          break;
        case ActionKind::kBumpDesired:
          break;
      }
    }
    return plan;
  }

  // Every instance not yet serving becomes healthy (in service) at `now`.
  void AllHealthy(Seconds now) {
    for (InstanceId id : Ids()) {
      Instance* in = state_.Find(id);
      if (in->state == InstanceState::kPending || in->state == InstanceState::kProvisioning) {
        (void)ApplyObservation(spec_, state_, {id, InstanceEvent::kHealthy, kNever, ""}, now, nullptr);
      }
    }
  }

  Status Observe(InstanceId id, InstanceEvent e, Seconds now, Seconds deadline = kNever) {
    return ApplyObservation(spec_, state_, {id, e, deadline, ""}, now, &activities_);
  }

  void Cpu(std::int64_t minute, double cpu) {
    RecordMetrics(state_, minute, Datapoint::Single(cpu), Datapoint::Single(cpu));
  }

  std::vector<InstanceId> Ids() const {
    std::vector<InstanceId> ids;
    for (const Instance& in : state_.instances) ids.push_back(in.id);
    return ids;
  }

  int Count(InstanceState s) const {
    int n = 0;
    for (const Instance& in : state_.instances) n += in.state == s ? 1 : 0;
    return n;
  }

  int CountMarket(Market m) const {
    int n = 0;
    for (const Instance& in : state_.instances) n += (in.market == m && CountsTowardCapacity(in.state)) ? 1 : 0;
    return n;
  }

  GroupSpec& spec() { return spec_; }
  GroupState& state() { return state_; }
  std::vector<Activity>& activities() { return activities_; }

 private:
  GroupSpec spec_;
  GroupState state_;
  std::uint64_t next_id_ = 1;
  std::vector<Activity> activities_;
};

inline int CountActions(const Plan& p, ActionKind k) {
  int n = 0;
  for (const Action& a : p.actions) n += a.kind == k ? 1 : 0;
  return n;
}

inline bool HasActivity(const Plan& p, ActivityKind k) {
  for (const Activity& a : p.activities) {
    if (a.kind == k) return true;
  }
  return false;
}

// A group of `desired` spot instances, every one booting release 1, all in
// service at t=0 (what the deploy tests start from).
inline Driver RunningRelease1(int desired = 4, int max = 20) {
  GroupSpec g = SpotGroup();
  g.desired = desired;
  g.max = max;
  g.launch.release = "1";
  Driver d(std::move(g));
  d.Step(0);
  d.AllHealthy(0);
  d.Step(1);
  return d;
}

}  // namespace shoal::testing
