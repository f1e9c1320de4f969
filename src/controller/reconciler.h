// The level-triggered reconcile loop: observe → decide (core) → act (ports)
// → record. One Tick is one pass over every group; it is safe to call at any
// time and as often as wanted. The daemon calls it on the real clock, the
// simulator on the virtual one: the decision code is the same.
//
// Durability: what a decision changes (the group's state, with the pending
// launches it plans, and the activities that describe it) is committed to
// the StateStore in one transaction BEFORE any call it implies is made; a
// failed commit means no call is made this tick. The outcomes of the calls
// are committed after them. A crash anywhere therefore restarts from a state
// whose pending launches carry the tokens already used, so nothing is
// launched twice, and the inventory pass reconciles the rest.
//
// Every call to the outside is checked: failures are folded into the state
// (RecordLaunchOutcome / RecordOutcome: retried with backoff, conditions for
// what a retry cannot fix) and logged once, with the group, instance or
// token and the error code.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/decide.h"
#include "core/group.h"
#include "ports/activity_sink.h"
#include "ports/clock.h"
#include "ports/cloud.h"
#include "ports/log.h"
#include "ports/state_store.h"
#include "ports/traffic.h"

namespace shoal {

struct ControllerPorts {
  Clock* clock = nullptr;
  Cloud* cloud = nullptr;
  Traffic* traffic = nullptr;
  Metrics* metrics = nullptr;
  ActivitySink* activities = nullptr;  // told of each activity once it is committed
  StateStore* store = nullptr;         // optional: the daemon persists, the simulator may not
  Logger* log = nullptr;               // optional
};

struct ControllerOptions {
  // How often the cloud's list of instances is compared with the state. No
  // billed instance stays untracked longer than this (plus orphan_grace for
  // an instance of a group the config no longer has).
  Seconds inventory_period = 60;
  // An instance tagged with a group the config does not have is terminated
  // once it has been seen this long (an apply may be about to add the group).
  Seconds orphan_grace = 60;
  // A known instance missing from the cloud's list is taken as gone only
  // when it was launched at least this long ago (lists may lag a launch).
  Seconds vanish_grace = 60;
  // Activities older than this are pruned by the inventory pass (0: never).
  Seconds activity_retention = 90 * 24 * kHour;
  // The load balancer takes an instance only once it runs (ELB refuses a
  // pending one): register after the cloud reports it booted, not at launch.
  bool register_after_boot = false;
};

class Reconciler {
 public:
  Reconciler(std::vector<GroupSpec> groups, ControllerPorts ports, ControllerOptions options = {});

  // One pass. When the state store fails, this tick's changes wait, queued,
  // for the next commit, no call that depends on them is made, and
  // store_status() says why.
  void Tick();

  // After a (re)start: loads each group's stored state and the metrics of
  // recent minutes (alarms and forecasts pick up where they were), then
  // runs the inventory pass — instances the state does not know are taken
  // in (a pending launch whose token they carry becomes them), instances the
  // cloud no longer runs are forgotten — and marks every live instance to be
  // registered again with the load balancer (which may have restarted).
  // No instance is launched here: the next Tick launches only a shortfall.
  Status Restore();

  // Replaces the groups (`shoal apply`): kept groups carry their state over
  // (Rebase), new ones start fresh, removed ones have every instance
  // deregistered and terminated. Nothing changes unless the new states are
  // committed first. Returns what was done, in words.
  Result<std::vector<std::string>> Reconfigure(std::vector<GroupSpec> groups);

  // Replaces the timings (`shoal apply` of a changed `controller:` section).
  // A shorter inventory period applies from now, not after the pass that
  // was due under the old one.
  void SetOptions(const ControllerOptions& options);

  // A fact reported from outside the ports (a spot agent's report).
  Status ApplyExternal(const GroupInstanceEvent& event);

  // An activity decided outside the reconciler (the daemon restarted the
  // load balancer), committed like any other.
  Status RecordActivity(const Activity& activity);

  // Operator's `scale G --desired N`.
  Status SetDesired(const std::string& group, int desired, const std::string& cause);
  // `shoal deploy` / `shoal revert`: begins a deploy (or rolls one back),
  // stored before it returns; nothing changes when it is refused or the
  // store cannot take it.
  Status StartDeploy(const std::string& group, DeployRequest request);
  Status Revert(const std::string& group, const DeploySettings& settings);

  // Compares what the cloud runs with the state (Tick runs it every
  // inventory_period): unknown instances of a group are adopted, instances
  // of no configured group are terminated after orphan_grace, known
  // instances the cloud no longer lists are recorded as gone.
  Status Inventory();

  const std::vector<GroupSpec>& groups() const { return groups_; }
  const GroupState& state(std::size_t group) const { return states_[group]; }
  int FindGroup(const std::string& name) const;
  // The last commit's outcome (Ok when nothing is waiting to be written).
  const Status& store_status() const { return store_status_; }
  // Inventory passes that could not list the cloud's instances.
  std::int64_t inventory_failures() const { return inventory_failures_; }
  // When the last inventory pass listed the cloud's instances (-1: never).
  Seconds last_inventory() const { return last_inventory_; }
  // Ticks whose changes could not be committed at their end.
  std::int64_t failed_commits() const { return failed_commits_; }
  // The prices the group's last decision saw (null before its first).
  const Observation* last_observation(const std::string& group) const {
    const auto it = observed_.find(group);
    return it == observed_.end() ? nullptr : &it->second;
  }

 private:
  // Applies one operator change of a group (desired, a deploy), recorded
  // and stored, or undone when refused or not stored.
  Status ChangeGroup(const std::string& group,
                      const std::function<Result<Activity>(const GroupSpec&, GroupState&, Seconds)>& change);
  void Observe(Seconds now);
  void ObserveMetrics(Seconds now);
  void DecideAndAct(std::size_t g, Seconds now, bool evaluate_alarms);
  // Applies a plan; returns true when a spot launch failed for capacity or a
  // launch lifted the group's backoff (the group is then decided again in
  // the same tick).
  bool Act(std::size_t g, const Plan& plan, Seconds now);
  void Launch(std::size_t g, const Action& action, Seconds now, bool* capacity_error);
  void Terminate(std::size_t g, const Action& action, Seconds now);
  void StopOrStart(std::size_t g, const Action& action, Seconds now);
  Observation BuildObservation(std::size_t g, bool evaluate_alarms);
  Status InventoryAt(Seconds now);
  // True when a pass now would find what the last one did: the cloud's
  // listing is unchanged (DescribeVersion), that pass matched every
  // instance of every group and saw no orphan, and no group's membership
  // has changed since.
  bool ListingStillMatches(std::uint64_t describe_version) const;
  void KeepListingMatched(std::size_t g, std::uint64_t version_before, std::size_t size_before,
                          const Result<LaunchedInstance>& launched);
  void PruneActivities(Seconds now);
  void TerminateOrphan(const DescribedInstance& d, Seconds now);
  // Traffic::Register with the address the state holds for the instance.
  Status Register(std::size_t g, InstanceId id);
  Status LoadMetrics(std::size_t g, Seconds now);
  void Record(Activity a);
  void MarkDirty(std::size_t g) { dirty_.insert(g); }
  // Writes the dirty states, the activities and the metrics in one
  // transaction; on success tells the sink of the activities.
  Status Commit();

  std::vector<GroupSpec> groups_;
  std::vector<GroupState> states_;
  ControllerPorts ports_;
  ControllerOptions options_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::int64_t next_metrics_minute_ = -1;  // first minute not yet read
  Seconds next_inventory_ = 0;
  std::map<InstanceId, Seconds> orphans_seen_;  // instance of no configured group → first seen
  // The last pass that matched everything: the cloud's DescribeVersion then
  // (0: none such) and each group's instance count after it.
  std::uint64_t matched_version_ = 0;
  std::vector<std::size_t> matched_sizes_;

  // Not yet committed.
  std::set<std::size_t> dirty_;
  std::vector<Activity> activities_;
  std::vector<MetricRow> metrics_;
  std::vector<std::string> deleted_;
  Status store_status_;
  std::int64_t inventory_failures_ = 0;
  Seconds last_inventory_ = -1;
  std::int64_t failed_commits_ = 0;
  std::map<std::string, Observation> observed_;  // group name -> its last decision's observation
};

}  // namespace shoal
