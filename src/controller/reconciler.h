// The level-triggered reconcile loop: observe → decide (core) → act (ports)
// → record. One Tick is one pass over every group; it is safe to call at any
// time and as often as wanted. The daemon calls it on the real clock, the
// simulator on the virtual one: the decision code is the same.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/decide.h"
#include "core/group.h"
#include "ports/activity_sink.h"
#include "ports/clock.h"
#include "ports/cloud.h"
#include "ports/state_store.h"
#include "ports/traffic.h"

namespace shoal {

struct ControllerPorts {
  Clock* clock = nullptr;
  Cloud* cloud = nullptr;
  Traffic* traffic = nullptr;
  Metrics* metrics = nullptr;
  ActivitySink* activities = nullptr;
  StateStore* store = nullptr;  // optional: the daemon persists, the simulator does not
};

class Reconciler {
 public:
  Reconciler(std::vector<GroupSpec> groups, ControllerPorts ports);

  void Tick();

  // After a (re)start: loads each group's stored state, then adopts what the
  // cloud runs — instances the state does not know are taken in, instances
  // the cloud no longer runs are forgotten — and (re)registers every live
  // instance with the load balancer (which may have restarted and lost them).
  // No instance is launched here: the next Tick launches only a shortfall.
  Status Restore();

  // Replaces the groups (`shoal apply`): kept groups carry their state over
  // (Rebase), new ones start fresh, removed ones have every instance
  // deregistered and terminated. Returns what was done, in words.
  std::vector<std::string> Reconfigure(std::vector<GroupSpec> groups);

  // A fact reported from outside the ports (a spot agent's report).
  Status ApplyExternal(const GroupInstanceEvent& event);

  // Operator's `scale G --desired N`.
  Status SetDesired(const std::string& group, int desired, const std::string& cause);

  const std::vector<GroupSpec>& groups() const { return groups_; }
  const GroupState& state(std::size_t group) const { return states_[group]; }
  int FindGroup(const std::string& name) const;

 private:
  void Observe(Seconds now);
  void ObserveMetrics(Seconds now);
  void DecideAndAct(std::size_t g, Seconds now, bool evaluate_alarms);
  // Applies a plan; returns true when a spot launch failed for capacity (the
  // group is then decided again in the same tick).
  bool Act(std::size_t g, const Plan& plan, Seconds now);
  Observation BuildObservation(std::size_t g, bool evaluate_alarms);
  void Record(const Activity& a);
  void Save(std::size_t g);

  std::vector<GroupSpec> groups_;
  std::vector<GroupState> states_;
  ControllerPorts ports_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::int64_t next_metrics_minute_ = -1;  // first minute not yet read
};

}  // namespace shoal
