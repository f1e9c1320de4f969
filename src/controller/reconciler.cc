#include "controller/reconciler.h"

#include <algorithm>

namespace shoal {
namespace {

// An instance the cloud runs that the stored state does not know (launched
// just before a crash): it counts from now on, its health decides when it serves.
Instance AdoptedInstance(const GroupSpec& spec, const DescribedInstance& d, int group, Seconds now) {
  Instance in;
  in.id = d.id;
  in.group = group;
  in.market = d.market;
  in.pool = kOnDemandPool;
  for (std::size_t p = 0; p < spec.capacity.spot_pools.size(); ++p) {
    if (spec.capacity.spot_pools[p].name == d.pool) in.pool = static_cast<int>(p);
  }
  in.weight = d.weight;
  in.state = InstanceState::kPending;
  in.launched_at = d.launched_at;
  in.state_since = now;
  return in;
}

}  // namespace

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

Status Reconciler::Restore() {
  const Seconds now = ports_.clock->Now();
  if (ports_.store != nullptr) {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      Result<std::optional<GroupState>> stored = ports_.store->LoadGroupState(groups_[g]);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) states_[g] = std::move(**stored);
    }
  }
  Result<std::vector<DescribedInstance>> running = ports_.cloud->Describe();
  if (!running.ok()) return running.status();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    GroupState& state = states_[g];
    std::vector<Instance> kept;
    for (const DescribedInstance& d : *running) {
      if (d.group != groups_[g].name || !d.running) continue;
      Instance* known = state.Find(d.id);
      kept.push_back(known != nullptr ? *known : AdoptedInstance(groups_[g], d, static_cast<int>(g), now));
    }
    std::sort(kept.begin(), kept.end(), [](const Instance& a, const Instance& b) { return a.id < b.id; });
    state.instances = std::move(kept);
    for (const Instance& in : state.instances) {
      if (in.state != InstanceState::kTerminated) (void)ports_.traffic->Register(groups_[g].name, in.id);
      if (in.state == InstanceState::kDraining) (void)ports_.traffic->Drain(groups_[g].name, in.id);
    }
    Save(g);
  }
  return Status::Ok();
}

void Reconciler::Tick() {
  const Seconds now = ports_.clock->Now();
  Observe(now);
  const std::int64_t before = next_metrics_minute_;
  ObserveMetrics(now);
  const bool new_minute = next_metrics_minute_ != before;
  for (std::size_t g = 0; g < groups_.size(); ++g) DecideAndAct(g, now, new_minute);
}

std::vector<std::string> Reconciler::Reconfigure(std::vector<GroupSpec> next) {
  std::vector<std::string> done;
  const Seconds now = ports_.clock->Now();
  std::vector<GroupState> states;
  for (const GroupSpec& spec : next) {
    const int old = FindGroup(spec.name);
    states.push_back(old >= 0 ? Rebase(groups_[old], spec, states_[old]) : InitialState(spec));
  }
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const bool kept = std::any_of(next.begin(), next.end(), [&](const GroupSpec& s) { return s.name == groups_[g].name; });
    if (kept) continue;
    for (const Instance& in : states_[g].instances) {
      (void)ports_.traffic->Deregister(groups_[g].name, in.id);
      (void)ports_.cloud->Terminate(in.id);
    }
    Activity a;
    a.time = now;
    a.group = groups_[g].name;
    a.kind = ActivityKind::kSetDesired;
    a.cause = "group removed by shoal apply: " + std::to_string(states_[g].instances.size()) + " instance(s) terminated";
    a.from = states_[g].desired;
    a.to = 0;
    Record(a);
    if (ports_.store != nullptr) (void)ports_.store->DeleteGroupState(groups_[g].name);
    done.push_back("removed group " + groups_[g].name);
  }
  groups_ = std::move(next);
  states_ = std::move(states);
  by_name_.clear();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    by_name_[groups_[g].name] = g;
    Save(g);
  }
  return done;
}

Status Reconciler::ApplyExternal(const GroupInstanceEvent& event) {
  const int g = FindGroup(event.group);
  if (g < 0) return Status::NotFound("no group named '" + event.group + "'");
  std::vector<Activity> activities;
  const Status s = ApplyObservation(groups_[g], states_[g], event.observation, ports_.clock->Now(), &activities);
  for (const Activity& a : activities) Record(a);
  if (!activities.empty()) Save(static_cast<std::size_t>(g));
  return s;
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
  Save(static_cast<std::size_t>(g));
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
    // Written before it is acted upon: a crash from here on restarts from
    // this decision, and Restore adopts whatever the actions managed to start.
    if (!plan.actions.empty() || !plan.activities.empty()) Save(g);
    const bool retry = Act(g, plan, now);
    if (!plan.actions.empty()) Save(g);
    if (!retry) return;
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
        Save(static_cast<std::size_t>(target));
        break;
      }
    }
  }
  return capacity_error;
}

void Reconciler::Save(std::size_t g) {
  if (ports_.store == nullptr) return;
  // A failed write is retried with the next tick's save; the daemon logs it
  // through the store's own status.
  (void)ports_.store->SaveGroupState(groups_[g].name, states_[g]);
}

void Reconciler::Record(const Activity& a) {
  if (ports_.activities != nullptr) ports_.activities->Record(a);
}

}  // namespace shoal
