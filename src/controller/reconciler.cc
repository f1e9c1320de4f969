#include "controller/reconciler.h"

namespace shoal {

Reconciler::Reconciler(std::vector<GroupSpec> groups, ControllerPorts ports)
    : groups_(std::move(groups)), ports_(ports) {
  states_.reserve(groups_.size());
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    states_.push_back(InitialState(groups_[g]));
    by_name_[groups_[g].name] = g;
  }
}

int Reconciler::FindGroup(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : static_cast<int>(it->second);
}

void Reconciler::Tick() {
  const Seconds now = ports_.clock->Now();
  Observe(now);
  const std::int64_t before = next_metrics_minute_;
  ObserveMetrics(now);
  const bool new_minute = next_metrics_minute_ != before;
  for (std::size_t g = 0; g < groups_.size(); ++g) DecideAndAct(g, now, new_minute);
}

Status Reconciler::SetDesired(const std::string& group, int desired, const std::string& cause) {
  const int g = FindGroup(group);
  if (g < 0) return Status::NotFound("no group named '" + group + "'");
  const GroupSpec& spec = groups_[g];
  if (desired < spec.min || desired > spec.max) {
    return Status::InvalidArgument("desired " + std::to_string(desired) + " is outside group '" + group +
                                   "' min " + std::to_string(spec.min) + " .. max " +
                                   std::to_string(spec.max));
  }
  Record(shoal::SetDesired(spec, states_[g], desired, ports_.clock->Now(), ActivityKind::kSetDesired,
                           cause));
  return Status::Ok();
}

void Reconciler::Observe(Seconds now) {
  std::vector<Activity> activities;
  auto apply = [&](const std::vector<GroupInstanceEvent>& events) {
    for (const GroupInstanceEvent& e : events) {
      const int g = FindGroup(e.group);
      if (g < 0) continue;  // not ours (or a group removed from the config)
      // Facts about instances we no longer track (already terminated by us)
      // are expected; the state stays as it is.
      (void)ApplyObservation(groups_[g], states_[g], e.observation, now, &activities);
    }
  };
  apply(ports_.cloud->Poll());
  apply(ports_.traffic->Poll());
  for (const Activity& a : activities) Record(a);
}

void Reconciler::ObserveMetrics(Seconds now) {
  const std::int64_t current = MinuteOf(now);
  if (next_metrics_minute_ < 0) {
    next_metrics_minute_ = current;  // nothing complete yet
    return;
  }
  for (; next_metrics_minute_ < current; ++next_metrics_minute_) {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const std::string& name = groups_[g].name;
      RecordMetrics(states_[g], next_metrics_minute_,
                    ports_.metrics->Read(name, MetricName::kCpuUtilization, next_metrics_minute_),
                    ports_.metrics->Read(name, MetricName::kRequestCountPerTarget, next_metrics_minute_));
    }
  }
}

Observation Reconciler::BuildObservation(std::size_t g, bool evaluate_alarms) {
  const GroupSpec& spec = groups_[g];
  Observation obs;
  obs.evaluate_alarms = evaluate_alarms;
  obs.on_demand_price = ports_.cloud->OnDemandPrice(spec.capacity.on_demand_type);
  for (const PoolSpec& p : spec.capacity.spot_pools) {
    PoolObservation po = ports_.cloud->Pool(p.instance_type, p.zone);
    po.on_demand_price = ports_.cloud->OnDemandPrice(p.instance_type);
    obs.pools.push_back(po);
  }
  return obs;
}

void Reconciler::DecideAndAct(std::size_t g, Seconds now, bool evaluate_alarms) {
  // A failed spot launch marks its pool and the group is decided again at
  // once, so the capacity lands elsewhere in this same tick. Each retry
  // avoids one more pool, so this ends within pools + 1 rounds.
  const std::size_t rounds = groups_[g].capacity.spot_pools.size() + 2;
  for (std::size_t round = 0; round < rounds; ++round) {
    const Observation obs = BuildObservation(g, evaluate_alarms && round == 0);
    const Plan plan = Decide(groups_[g], states_[g], obs, now);
    if (!Act(g, plan, now)) return;
  }
}

bool Reconciler::Act(std::size_t g, const Plan& plan, Seconds now) {
  const GroupSpec& spec = groups_[g];
  GroupState& state = states_[g];
  for (const Activity& a : plan.activities) Record(a);
  bool capacity_error = false;
  for (const Action& action : plan.actions) {
    switch (action.kind) {
      case ActionKind::kLaunch: {
        LaunchRequest req;
        req.group = spec.name;
        req.market = action.market;
        if (action.market == Market::kSpot) {
          const PoolSpec& pool = spec.capacity.spot_pools[action.pool];
          req.instance_type = pool.instance_type;
          req.zone = pool.zone;
          req.pool = pool.name;
          req.bid_usd_per_hour = pool.bid_usd_per_hour;
          req.weight = pool.weight;
        } else {
          req.instance_type = spec.capacity.on_demand_type;
          req.weight = spec.capacity.on_demand_weight;
        }
        Result<InstanceId> id = ports_.cloud->Launch(req);
        if (!id.ok()) {
          if (id.status().code() == StatusCode::kInsufficientCapacity) {
            RecordCapacityError(spec, state, action.pool, now);
            capacity_error = true;
          }
          continue;  // other failures: the next tick sees the shortfall and tries again
        }
        RecordLaunch(spec, state, action, *id, static_cast<int>(g), now);
        (void)ports_.traffic->Register(spec.name, *id);
        break;
      }
      case ActionKind::kDrain:
        (void)ports_.traffic->Drain(spec.name, action.instance);
        break;
      case ActionKind::kTerminate:
        (void)ports_.traffic->Deregister(spec.name, action.instance);
        (void)ports_.cloud->Terminate(action.instance);
        break;
      case ActionKind::kBumpDesired: {
        const int target = FindGroup(action.target_group);
        if (target < 0) break;
        Record(shoal::SetDesired(groups_[target], states_[target], states_[target].desired + 1, now,
                                 ActivityKind::kSetDesired, action.reason));
        break;
      }
    }
  }
  return capacity_error;
}

void Reconciler::Record(const Activity& a) {
  if (ports_.activities != nullptr) ports_.activities->Record(a);
}

}  // namespace shoal
