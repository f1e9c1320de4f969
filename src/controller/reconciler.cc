#include "controller/reconciler.h"

#include <algorithm>
#include <functional>

#include "core/forecast.h"

namespace shoal {
namespace {

// Metric minutes kept in the store beyond what a predictive policy needs:
// enough for every alarm's evaluation window.
constexpr std::int64_t kMetricMinutesKept = 120;
// Activities waiting for a store that keeps failing are capped; the oldest
// go first (each was logged when it happened).
constexpr std::size_t kMaxUncommittedActivities = 10000;

std::int64_t MetricMinutesToKeep(const GroupSpec& spec) {
  return std::max(kMetricMinutesKept, LoadMinutesNeeded(spec.policies));
}

// What the cloud says of an instance the state does not know, as an instance.
Instance FromDescribed(const GroupSpec& spec, const DescribedInstance& d, int group, Seconds now) {
  Instance in;
  in.id = d.id;
  in.group = group;
  in.market = d.market;
  in.pool = kOnDemandPool;
  for (std::size_t p = 0; p < spec.capacity.spot_pools.size(); ++p) {
    if (d.market == Market::kSpot && spec.capacity.spot_pools[p].name == d.pool) in.pool = static_cast<int>(p);
  }
  in.weight = d.weight > 0 ? d.weight : 1.0;
  in.state = InstanceState::kPending;
  in.launched_at = d.launched_at;
  in.state_since = now;
  in.launch_token = d.launch_token;
  in.version = d.version;
  in.address = d.address;
  return in;
}

}  // namespace

Reconciler::Reconciler(std::vector<GroupSpec> groups, ControllerPorts ports, ControllerOptions options)
    : groups_(std::move(groups)), ports_(ports), options_(options) {
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

// --- Restore and inventory ----------------------------------------------------

Status Reconciler::LoadMetrics(std::size_t g, Seconds now) {
  const std::int64_t from = MinuteOf(now) - MetricMinutesToKeep(groups_[g]);
  Result<std::vector<MetricRow>> rows = ports_.store->LoadMetrics(groups_[g].name, from);
  if (!rows.ok()) return rows.status();
  for (const MetricRow& r : *rows) RecordMetrics(states_[g], r.minute, r.cpu, r.requests_per_target);
  // Minutes that completed while no daemon ran are read from the metrics
  // source (a cloud keeps them; a local one reads them as missing).
  if (!rows->empty()) {
    const std::int64_t next = std::max(rows->back().minute + 1, MinuteOf(now) - kMetricMinutesKept);
    next_metrics_minute_ = next_metrics_minute_ < 0 ? next : std::min(next_metrics_minute_, next);
  }
  return Status::Ok();
}

Status Reconciler::Restore() {
  const Seconds now = ports_.clock->Now();
  if (ports_.store != nullptr) {
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      Result<std::optional<GroupState>> stored = ports_.store->LoadGroupState(groups_[g]);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) states_[g] = std::move(**stored);
      SHOAL_RETURN_IF_ERROR(LoadMetrics(g, now));
    }
  }
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    // The load balancer may have restarted and lost its servers: each live
    // instance is registered again (idempotent), each draining one drained.
    for (Instance& in : states_[g].instances) {
      if (CountsTowardCapacity(in.state)) in.registered = false;
      if (in.state == InstanceState::kDraining) in.drain_requested = false;
    }
    MarkDirty(g);
  }
  // A cloud that cannot list its instances now is asked again at the next
  // pass; the stored state is the best knowledge until then.
  if (Status s = InventoryAt(now); !s.ok()) {
    LogWarn(ports_.log, "restore_inventory_failed").With("code", ToString(s.code())).With("error", s.message());
  }
  next_inventory_ = now + options_.inventory_period;
  return Commit();
}

Status Reconciler::Inventory() {
  const Seconds now = ports_.clock->Now();
  next_inventory_ = now + options_.inventory_period;
  const Status s = InventoryAt(now);
  const Status c = Commit();
  return s.ok() ? c : s;
}

bool Reconciler::ListingStillMatches(std::uint64_t describe_version) const {
  if (describe_version == 0 || describe_version != matched_version_) return false;
  if (matched_sizes_.size() != states_.size()) return false;
  for (std::size_t g = 0; g < states_.size(); ++g) {
    if (states_[g].instances.size() != matched_sizes_[g]) return false;
  }
  return true;
}

Status Reconciler::InventoryAt(Seconds now) {
  // Read before listing: a change while listing makes the next pass list.
  const std::uint64_t describe_version = ports_.cloud->DescribeVersion();
  if (ListingStillMatches(describe_version)) {
    last_inventory_ = now;
    PruneActivities(now);
    return Status::Ok();
  }
  matched_version_ = 0;
  Result<std::vector<DescribedInstance>> listed = ports_.cloud->Describe();
  if (!listed.ok()) {
    LogWarn(ports_.log, "inventory_failed")
        .With("code", ToString(listed.status().code()))
        .With("error", listed.status().message());
    return listed.status();
  }
  last_inventory_ = now;
  // The cloud's list sorted by id (a group's instances always are), so one
  // merge walk per group matches them: this pass runs every inventory
  // period over every instance, in the simulator once a simulated minute.
  std::vector<DescribedInstance>& all = *listed;
  const auto by_id = [](const DescribedInstance& a, const DescribedInstance& b) { return a.id < b.id; };
  if (!std::is_sorted(all.begin(), all.end(), by_id)) std::sort(all.begin(), all.end(), by_id);
  // Per group, ascending; pointers into `all`, which is not changed below.
  std::vector<std::vector<const InstanceId*>> running(groups_.size());
  for (std::size_t g = 0; g < groups_.size(); ++g) running[g].reserve(states_[g].instances.size() + 16);
  std::vector<std::size_t> cursor(groups_.size(), 0);             // per group: first instance not yet passed
  std::map<InstanceId, Seconds> orphans;
  for (const DescribedInstance& d : all) {
    if (!d.running) continue;
    const int g = FindGroup(d.group);
    if (g < 0) {
      const auto seen = orphans_seen_.find(d.id);
      const Seconds first = seen == orphans_seen_.end() ? now : seen->second;
      if (now - first >= options_.orphan_grace) {
        TerminateOrphan(d, now);
      } else {
        orphans[d.id] = first;
      }
      continue;
    }
    running[g].push_back(&d.id);
    GroupState& state = states_[g];
    std::size_t& c = cursor[g];
    while (c < state.instances.size() && state.instances[c].id < d.id) ++c;
    if (c < state.instances.size() && state.instances[c].id == d.id) {
      Instance* known = &state.instances[c++];
      if (known->address.empty() && !d.address.empty()) {
        known->address = d.address;
        if (!known->registered) known->retry.next_at = now;  // it waited for this: register now
        MarkDirty(static_cast<std::size_t>(g));
      }
      continue;
    }
    const bool was_pending = !d.launch_token.empty() && state.FindLaunch(d.launch_token) != nullptr;
    AdoptInstance(state, FromDescribed(groups_[g], d, g, now), now);
    // Adopting inserted it in id order: carry on after it.
    c = static_cast<std::size_t>(
        std::upper_bound(state.instances.begin(), state.instances.end(), d.id,
                         [](const InstanceId& id, const Instance& in) { return id < in.id; }) -
        state.instances.begin());
    MarkDirty(static_cast<std::size_t>(g));
    const std::string id = d.id.str();
    LogInfo(ports_.log, "instance_adopted")
        .With("group", groups_[g].name)
        .With("instance", id)
        .With("launch_token", d.launch_token)
        .With("pending_launch", was_pending);
    // A pending launch turning up is the normal end of a lost answer; an
    // instance nobody planned is worth an activity.
    if (!was_pending) {
      Record({now, groups_[g].name, ActivityKind::kInventory,
              "adopted " + id + ": the cloud runs it for this group but the state did not know it" +
                  (d.launch_token.empty() ? std::string() : " (launch token " + d.launch_token + ")"),
              state.desired, state.desired});
    }
  }
  orphans_seen_ = std::move(orphans);
  bool all_matched = orphans_seen_.empty();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    GroupState& state = states_[g];
    if (running[g].size() != state.instances.size()) all_matched = false;  // some not listed (yet, or any more)
    std::vector<InstanceId> gone;
    const std::vector<const InstanceId*>& listed_here = running[g];
    std::size_t r = 0;
    for (const Instance& in : state.instances) {  // both ascending: a merge
      while (r < listed_here.size() && *listed_here[r] < in.id) ++r;
      const bool listed_now = r < listed_here.size() && *listed_here[r] == in.id;
      if (listed_now || now - in.launched_at < options_.vanish_grace) continue;
      gone.push_back(in.id);
    }
    for (InstanceId id : gone) {
      const Instance* in = state.Find(id);
      const bool asked = in->state == InstanceState::kTerminating;
      InstanceObservation obs{id, InstanceEvent::kTerminated, kNever,
                              asked ? "" : "vanished: the cloud no longer lists it"};
      std::vector<Activity> acts;
      const Status s = ApplyObservation(groups_[g], state, obs, now, &acts);
      if (!s.ok()) {
        LogError(ports_.log, "inventory_apply_failed").With("group", groups_[g].name).With("error", s.message());
      }
      for (Activity& a : acts) Record(std::move(a));
      LogInfo(ports_.log, asked ? "termination_confirmed" : "instance_vanished")
          .With("group", groups_[g].name)
          .With("instance", id.str());
      MarkDirty(g);
    }
  }
  if (all_matched) {
    matched_version_ = describe_version;
    matched_sizes_.clear();
    for (const GroupState& state : states_) matched_sizes_.push_back(state.instances.size());
  }
  PruneActivities(now);
  return Status::Ok();
}

void Reconciler::PruneActivities(Seconds now) {
  if (ports_.store == nullptr || options_.activity_retention <= 0) return;
  if (Status s = ports_.store->PruneActivities(now - options_.activity_retention); !s.ok()) {
    LogWarn(ports_.log, "activity_prune_failed").With("code", ToString(s.code())).With("error", s.message());
  }
}

void Reconciler::TerminateOrphan(const DescribedInstance& d, Seconds now) {
  const std::string id = d.id.str();
  const Status s = ports_.cloud->Terminate(d.id);
  if (!s.ok()) {
    // Still listed at the next pass: asked again then.
    LogWarn(ports_.log, "orphan_terminate_failed")
        .With("group", d.group)
        .With("instance", id)
        .With("code", ToString(s.code()))
        .With("error", s.message());
    return;
  }
  LogInfo(ports_.log, "orphan_terminated").With("group", d.group).With("instance", id);
  Record({now, d.group, ActivityKind::kInventory,
          "terminated " + id + ": tagged with group '" + d.group + "', which the config does not have", 0, 0});
}

// --- Tick ------------------------------------------------------------------------

void Reconciler::Tick() {
  const Seconds now = ports_.clock->Now();
  Observe(now);
  const std::int64_t before = next_metrics_minute_;
  ObserveMetrics(now);
  const bool new_minute = next_metrics_minute_ != before;
  if (now >= next_inventory_) {
    next_inventory_ = now + options_.inventory_period;
    // A failed pass was logged; the next one tries again.
    if (!InventoryAt(now).ok()) ++inventory_failures_;
  }
  for (std::size_t g = 0; g < groups_.size(); ++g) DecideAndAct(g, now, new_minute);
  // A failed commit keeps its writes queued for the next tick and is
  // reported through store_status().
  if (!Commit().ok()) ++failed_commits_;
}

void Reconciler::Observe(Seconds now) {
  // Instances the cloud took leave the state together, after every fact.
  std::vector<bool> terminated(groups_.size(), false);
  auto apply = [&](const std::vector<GroupInstanceEvent>& events) {
    for (const GroupInstanceEvent& e : events) {
      const int g = FindGroup(e.group);
      if (g < 0) continue;  // not ours (or a group removed from the config)
      std::vector<Activity> acts;
      const Status s = ApplyObservationInBatch(groups_[g], states_[g], e.observation, now, &acts);
      if (e.observation.event == InstanceEvent::kTerminated) terminated[g] = true;
      if (!s.ok()) {
        // Facts about instances no longer tracked (already confirmed gone)
        // are expected; anything else is worth a look.
        LogDebug(ports_.log, "observation_ignored")
            .With("group", e.group)
            .With("instance", e.observation.id.str())
            .With("error", s.message());
        continue;
      }
      for (Activity& a : acts) Record(std::move(a));
      MarkDirty(static_cast<std::size_t>(g));
    }
  };
  apply(ports_.cloud->Poll());
  apply(ports_.traffic->Poll());
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    if (terminated[g]) DropTerminated(states_[g]);
  }
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
      MetricRow row{name, next_metrics_minute_,
                    ports_.metrics->Read(name, MetricName::kCpuUtilization, next_metrics_minute_),
                    ports_.metrics->Read(name, MetricName::kRequestCountPerTarget, next_metrics_minute_)};
      RecordMetrics(states_[g], row.minute, row.cpu, row.requests_per_target);
      // A deploy comparing releases reads what each one answered.
      // A blue/green deploy reads the old release's before the switch (its baseline).
      if (states_[g].deploy && states_[g].deploy->active() &&
          (states_[g].deploy->analysis_until > 0 || states_[g].deploy->phase == DeployPhase::kGreenLaunching)) {
        RecordReleaseTraffic(*states_[g].deploy, next_metrics_minute_,
                             ports_.metrics->ReadReleases(name, next_metrics_minute_));
        MarkDirty(g);
      }
      if (ports_.store != nullptr) metrics_.push_back(std::move(row));
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
  // avoids one more pool, so this ends within pools + 1 rounds (plus one
  // for a launch backoff lifted by a retried launch's success, or for the
  // holds that follow a blue/green switch's serving calls).
  const std::size_t rounds = groups_[g].capacity.spot_pools.size() + 2;
  for (std::size_t round = 0; round < rounds; ++round) {
    const Observation obs = BuildObservation(g, evaluate_alarms && round == 0);
    if (round == 0) observed_[groups_[g].name] = obs;
    const Plan plan = Decide(groups_[g], states_[g], obs, now);
    for (const Activity& a : plan.activities) Record(a);
    if (plan.actions.empty() && plan.activities.empty()) return;
    MarkDirty(g);
    if (plan.actions.empty()) return;
    // Written before it is acted upon: a crash from here on restarts from
    // this decision, with the tokens of the launches it plans. When the
    // write fails nothing is done; the calls stay due for the next tick.
    if (!Commit().ok()) return;
    const bool retry = Act(g, plan, now);
    MarkDirty(g);
    if (!Commit().ok() || !retry) return;
  }
}

bool Reconciler::Act(std::size_t g, const Plan& plan, Seconds now) {
  const GroupSpec& spec = groups_[g];
  GroupState& state = states_[g];
  bool capacity_error = false;
  bool made_serving = false;  // a blue/green switch: the holds it waited for are due now
  const bool backed_off = state.launch_retry.next_at > now;
  for (const Action& action : plan.actions) {
    switch (action.kind) {
      case ActionKind::kLaunch:
        Launch(g, action, now, &capacity_error);
        break;
      case ActionKind::kRegister:
      case ActionKind::kDrain: {
        if (action.kind == ActionKind::kRegister && options_.register_after_boot) {
          const Instance* in = state.Find(action.instance);
          if (in != nullptr && in->state == InstanceState::kPending) break;  // due again once booted
        }
        const Status s = action.kind == ActionKind::kRegister ? Register(g, action.instance)
                                                              : ports_.traffic->Drain(spec.name, action.instance);
        RecordOutcome(state, action, s, now);
        if (!s.ok()) {
          LogWarn(ports_.log, action.kind == ActionKind::kRegister ? "register_failed" : "drain_failed")
              .With("group", spec.name)
              .With("instance", action.instance.str())
              .With("code", ToString(s.code()))
              .With("error", s.message());
        }
        break;
      }
      case ActionKind::kTerminate:
        Terminate(g, action, now);
        break;
      case ActionKind::kStop:
      case ActionKind::kStart:
        StopOrStart(g, action, now);
        break;
      case ActionKind::kSetServing: {
        const Instance* in = state.Find(action.instance);
        if (in == nullptr) break;
        const bool serving = !in->held;
        const Status s = ports_.traffic->SetServing(spec.name, action.instance, serving);
        RecordOutcome(state, action, s, now);
        if (!s.ok()) {
          LogWarn(ports_.log, "set_serving_failed")
              .With("group", spec.name)
              .With("instance", action.instance.str())
              .With("serving", serving)
              .With("code", ToString(s.code()))
              .With("error", s.message());
        } else {
          made_serving |= serving;
          LogInfo(ports_.log, serving ? "serving" : "held")
              .With("group", spec.name)
              .With("instance", action.instance.str());
        }
        break;
      }
      case ActionKind::kBumpDesired: {
        const int target = FindGroup(action.target_group);
        if (target < 0) {
          LogError(ports_.log, "bump_group_missing").With("group", spec.name).With("target", action.target_group);
          break;
        }
        Record(shoal::SetDesired(groups_[target], states_[target], states_[target].desired + 1, now,
                                 ActivityKind::kSetDesired, action.reason));
        MarkDirty(static_cast<std::size_t>(target));
        break;
      }
    }
  }
  // A retried launch that succeeded lifts the group's launch backoff (the
  // cloud takes launches again): the capacity it held back is launched in
  // this same tick, as after a capacity error.
  const bool backoff_lifted = backed_off && state.launch_retry.next_at <= now;
  // Instances made serving (a blue/green switch either way): decided again
  // at once, so the other set is held in this same tick, right after.
  return capacity_error || backoff_lifted || made_serving;
}

// A listing that matched stays matched across this controller's own launch
// when the cloud gained exactly the instance the state now holds, with its
// address: listing again would find nothing new. In the simulator most
// listings followed the controller's own launches (DescribeVersion counts
// one per instance gained or lost; a cloud that cannot tell answers 0 and
// is listed every pass anyway).
void Reconciler::KeepListingMatched(std::size_t g, std::uint64_t version_before, std::size_t size_before,
                                    const Result<LaunchedInstance>& launched) {
  if (!launched.ok() || launched->address.empty() || version_before == 0) return;
  if (matched_version_ != version_before || g >= matched_sizes_.size() || matched_sizes_[g] != size_before) return;
  if (ports_.cloud->DescribeVersion() != version_before + 1 || states_[g].instances.size() != size_before + 1) return;
  matched_version_ = version_before + 1;
  matched_sizes_[g] = size_before + 1;
}

void Reconciler::Launch(std::size_t g, const Action& action, Seconds now, bool* capacity_error) {
  const GroupSpec& spec = groups_[g];
  GroupState& state = states_[g];
  const PendingLaunch* pending = state.FindLaunch(action.token);
  if (pending == nullptr) return;  // settled meanwhile (adopted by the inventory)
  LaunchRequest req;
  req.group = spec.name;
  req.market = pending->market;
  req.weight = pending->weight;
  req.launch_token = pending->token;
  req.release = pending->release;
  req.warm = pending->warm;
  if (pending->market == Market::kSpot && pending->pool >= 0) {
    const PoolSpec& pool = spec.capacity.spot_pools[pending->pool];
    req.instance_type = pool.instance_type;
    req.zone = pool.zone;
    req.pool = pool.name;
    req.bid_usd_per_hour = pool.bid_usd_per_hour;
  } else {
    req.market = Market::kOnDemand;
    req.instance_type = spec.capacity.on_demand_type;
  }
  const int attempt = pending->retry.attempts + 1;
  const std::uint64_t version_before = ports_.cloud->DescribeVersion();
  const std::size_t size_before = state.instances.size();
  const Result<LaunchedInstance> launched = ports_.cloud->Launch(req);
  std::vector<Activity> acts;
  *capacity_error |= RecordLaunchOutcome(spec, state, req.launch_token, launched, static_cast<int>(g), now, &acts);
  for (Activity& a : acts) Record(std::move(a));
  KeepListingMatched(g, version_before, size_before, launched);
  if (!launched.ok()) {
    LogWarn(ports_.log, "launch_failed")
        .With("group", spec.name)
        .With("launch_token", req.launch_token)
        .With("market", ToString(req.market))
        .With("pool", req.pool)
        .With("attempt", attempt)
        .With("code", ToString(launched.status().code()))
        .With("error", launched.status().message());
    return;
  }
  const InstanceId id = launched->id;
  LogInfo(ports_.log, "launched")
      .With("group", spec.name)
      .With("instance", id.str())
      .With("address", launched->address.ToString())
      .With("launch_token", req.launch_token)
      .With("market", ToString(req.market))
      .With("pool", req.pool)
      .With("reason", action.reason);
  // Registered at once (or once booted, where the load balancer wants
  // that); a failure leaves it due (DueOperations retries it). A warm-pool
  // launch serves nothing until it is started.
  if (options_.register_after_boot || req.warm) return;
  Action reg;
  reg.kind = ActionKind::kRegister;
  reg.instance = id;
  const Status r = Register(g, id);
  RecordOutcome(state, reg, r, now);
  if (!r.ok()) {
    LogWarn(ports_.log, "register_failed")
        .With("group", spec.name)
        .With("instance", id.str())
        .With("code", ToString(r.code()))
        .With("error", r.message());
  }
}

Status Reconciler::Register(std::size_t g, InstanceId id) {
  const Instance* in = states_[g].Find(id);
  if (in == nullptr) return Status::NotFound("no instance " + id.str() + " in group " + groups_[g].name);
  // State written before instances had addresses: the inventory pass fills
  // it in from the cloud, and the register is retried then.
  if (in->address.empty()) return Status::Unavailable("the cloud has not reported the address of " + id.str() + " yet");
  if (in->held) return ports_.traffic->RegisterHeld(groups_[g].name, id, in->address);
  return ports_.traffic->Register(groups_[g].name, id, in->address);
}

// The warm pool's calls. A stopped instance leaves the load balancer first;
// a started one is registered at once (as a launch is), its health checks
// decide when it serves.
void Reconciler::StopOrStart(std::size_t g, const Action& action, Seconds now) {
  const GroupSpec& spec = groups_[g];
  GroupState& state = states_[g];
  const Instance* in = state.Find(action.instance);
  if (in == nullptr) return;
  const bool stop = action.kind == ActionKind::kStop;
  if (stop && in->registered) {
    if (Status d = ports_.traffic->Deregister(spec.name, action.instance); !d.ok()) {
      LogWarn(ports_.log, "deregister_failed")
          .With("group", spec.name)
          .With("instance", action.instance.str())
          .With("code", ToString(d.code()))
          .With("error", d.message());
    }
  }
  const Status s = stop ? ports_.cloud->Stop(action.instance) : ports_.cloud->Start(action.instance);
  RecordOutcome(state, action, s, now);
  if (!s.ok()) {
    LogWarn(ports_.log, stop ? "stop_failed" : "start_failed")
        .With("group", spec.name)
        .With("instance", action.instance.str())
        .With("code", ToString(s.code()))
        .With("error", s.message());
    return;
  }
  LogInfo(ports_.log, stop ? "stopped" : "started")
      .With("group", spec.name)
      .With("instance", action.instance.str())
      .With("reason", action.reason);
  if (stop || options_.register_after_boot) return;
  Action reg;
  reg.kind = ActionKind::kRegister;
  reg.instance = action.instance;
  const Status r = Register(g, action.instance);
  RecordOutcome(state, reg, r, now);
}

void Reconciler::Terminate(std::size_t g, const Action& action, Seconds now) {
  const GroupSpec& spec = groups_[g];
  GroupState& state = states_[g];
  const Instance* in = state.Find(action.instance);
  if (in == nullptr) return;
  const std::string id = action.instance.str();
  if (in->registered) {
    // The cloud's termination is what stops the bill, so it goes ahead
    // even when the load balancer cannot be told; a server left behind is
    // marked down by its checks.
    if (Status d = ports_.traffic->Deregister(spec.name, action.instance); !d.ok()) {
      LogWarn(ports_.log, "deregister_failed")
          .With("group", spec.name)
          .With("instance", id)
          .With("code", ToString(d.code()))
          .With("error", d.message());
    }
  }
  const Status t = ports_.cloud->Terminate(action.instance);
  RecordOutcome(state, action, t, now);
  if (!t.ok()) {
    LogWarn(ports_.log, "terminate_failed")
        .With("group", spec.name)
        .With("instance", id)
        .With("code", ToString(t.code()))
        .With("error", t.message());
    return;
  }
  LogInfo(ports_.log, "terminate_requested").With("group", spec.name).With("instance", id).With("reason", action.reason);
}

// --- Operator and agent input ----------------------------------------------------

void Reconciler::SetOptions(const ControllerOptions& options) {
  options_ = options;
  next_inventory_ = std::min(next_inventory_, ports_.clock->Now() + options_.inventory_period);
}

Result<std::vector<std::string>> Reconciler::Reconfigure(std::vector<GroupSpec> next) {
  std::vector<std::string> done;
  const Seconds now = ports_.clock->Now();
  std::vector<GroupState> states;
  for (const GroupSpec& spec : next) {
    const int old = FindGroup(spec.name);
    states.push_back(old >= 0 ? Rebase(groups_[old], spec, states_[old]) : InitialState(spec));
  }
  std::vector<std::size_t> removed;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const bool kept =
        std::any_of(next.begin(), next.end(), [&](const GroupSpec& s) { return s.name == groups_[g].name; });
    if (!kept) removed.push_back(g);
  }
  // Swap in, commit, and swap back if the commit fails: an apply that
  // cannot be recorded changes nothing.
  std::vector<GroupSpec> old_groups = std::move(groups_);
  std::vector<GroupState> old_states = std::move(states_);
  const auto old_dirty = dirty_;
  const std::size_t old_activities = activities_.size();
  groups_ = std::move(next);
  states_ = std::move(states);
  matched_version_ = 0;  // other groups: other orphans
  by_name_.clear();
  dirty_.clear();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    by_name_[groups_[g].name] = g;
    MarkDirty(g);
  }
  for (std::size_t g : removed) {
    deleted_.push_back(old_groups[g].name);
    Record({now, old_groups[g].name, ActivityKind::kSetDesired,
            "group removed by shoal apply: " + std::to_string(old_states[g].instances.size()) +
                " instance(s) terminated",
            old_states[g].desired, 0});
  }
  if (Status s = Commit(); !s.ok()) {
    groups_ = std::move(old_groups);
    states_ = std::move(old_states);
    by_name_.clear();
    for (std::size_t g = 0; g < groups_.size(); ++g) by_name_[groups_[g].name] = g;
    dirty_ = old_dirty;
    activities_.resize(std::min(activities_.size(), old_activities));
    deleted_.clear();
    return s;
  }
  for (std::size_t g : removed) {
    const std::string& name = old_groups[g].name;
    for (const Instance& in : old_states[g].instances) {
      // Best effort now; an instance left running is an orphan the
      // inventory pass terminates.
      if (Status d = ports_.traffic->Deregister(name, in.id); !d.ok()) {
        LogWarn(ports_.log, "deregister_failed").With("group", name).With("instance", in.id.str()).With("error", d.message());
      }
      if (Status t = ports_.cloud->Terminate(in.id); !t.ok()) {
        LogWarn(ports_.log, "terminate_failed").With("group", name).With("instance", in.id.str()).With("error", t.message());
      }
    }
    done.push_back("removed group " + name);
  }
  return done;
}

Status Reconciler::ApplyExternal(const GroupInstanceEvent& event) {
  const int g = FindGroup(event.group);
  if (g < 0) return Status::NotFound("no group named '" + event.group + "'");
  std::vector<Activity> acts;
  const Status s = ApplyObservation(groups_[g], states_[g], event.observation, ports_.clock->Now(), &acts);
  for (Activity& a : acts) Record(std::move(a));
  MarkDirty(static_cast<std::size_t>(g));
  const Status c = Commit();
  return s.ok() ? c : s;
}

Status Reconciler::RecordActivity(const Activity& activity) {
  Record(activity);
  return Commit();
}

Status Reconciler::SetDesired(const std::string& group, int desired, const std::string& cause) {
  return ChangeGroup(group, [desired, &cause](const GroupSpec& spec, GroupState& state, Seconds now) -> Result<Activity> {
    if (desired < spec.min || desired > spec.max) {
      return Status::InvalidArgument("desired " + std::to_string(desired) + " is outside group '" + spec.name +
                                     "' min " + std::to_string(spec.min) + " .. max " + std::to_string(spec.max));
    }
    return shoal::SetDesired(spec, state, desired, now, ActivityKind::kSetDesired, cause);
  });
}

Status Reconciler::ChangeGroup(const std::string& group,
                               const std::function<Result<Activity>(const GroupSpec&, GroupState&, Seconds)>& change) {
  const int g = FindGroup(group);
  if (g < 0) return Status::NotFound("no group named '" + group + "'");
  const GroupState before = states_[g];
  const std::size_t activities_before = activities_.size();
  Result<Activity> a = change(groups_[g], states_[g], ports_.clock->Now());
  if (!a.ok()) {
    states_[g] = before;
    return a.status();
  }
  Record(*a);
  MarkDirty(static_cast<std::size_t>(g));
  if (Status s = Commit(); !s.ok()) {
    // Not recorded: not done.
    states_[g] = before;
    activities_.resize(std::min(activities_.size(), activities_before));
    return s;
  }
  return Status::Ok();
}

Status Reconciler::StartDeploy(const std::string& group, DeployRequest request) {
  return ChangeGroup(group, [&request](const GroupSpec& spec, GroupState& state, Seconds now) {
    return shoal::StartDeploy(spec, state, std::move(request), now);
  });
}

Status Reconciler::Revert(const std::string& group, const DeploySettings& settings) {
  return ChangeGroup(group, [&settings](const GroupSpec& spec, GroupState& state, Seconds now) {
    return shoal::Revert(spec, state, settings, now);
  });
}

// --- Recording ---------------------------------------------------------------------

void Reconciler::Record(Activity a) {
  if (activities_.size() >= kMaxUncommittedActivities) {
    LogError(ports_.log, "activity_dropped")
        .With("group", activities_.front().group)
        .With("cause", activities_.front().cause)
        .With("why", "the state store keeps failing");
    activities_.erase(activities_.begin());
  }
  activities_.push_back(std::move(a));
}

Status Reconciler::Commit() {
  if (ports_.store != nullptr && !(dirty_.empty() && activities_.empty() && metrics_.empty() && deleted_.empty())) {
    StoreWrite w;
    for (std::size_t g : dirty_) {
      if (g < groups_.size()) w.states.emplace_back(&groups_[g], &states_[g]);
    }
    w.deleted_groups = deleted_;
    w.activities = activities_;
    w.metrics = metrics_;
    for (const GroupSpec& spec : groups_) w.keep_metric_minutes = std::max(w.keep_metric_minutes, MetricMinutesToKeep(spec));
    const Status s = ports_.store->Commit(w);
    if (!s.ok()) {
      if (store_status_.ok()) {
        LogError(ports_.log, "state_commit_failed")
            .With("code", ToString(s.code()))
            .With("error", s.message())
            .With("effect", "no calls are made until the state can be written");
      }
      store_status_ = s;
      return s;
    }
    if (!store_status_.ok()) LogInfo(ports_.log, "state_commit_recovered");
    store_status_ = Status::Ok();
  }
  dirty_.clear();
  deleted_.clear();
  metrics_.clear();
  std::vector<Activity> done;
  done.swap(activities_);
  if (ports_.activities != nullptr) {
    for (const Activity& a : done) ports_.activities->Record(a);
  }
  return Status::Ok();
}

}  // namespace shoal
