// What must hold in every simulated world, faults or not (the fault swarm's
// safety and liveness checks, TigerBeetle VOPR-style). Checked after every
// tick against the world's truth and the controller's state; a broken rule
// is a violation naming the rule, the time and what was seen.
//
//  untracked      no instance the cloud bills stays unknown to the control
//                 plane (not in a group's state, nor the instance of a
//                 pending launch) once an inventory pass that started after
//                 it appeared has listed the cloud's instances; nor, however
//                 often the listing fails, longer than `untracked_bound` of
//                 the control plane's running time;
//  one-token      a launch token is never asked again for a different launch;
//  desired-bounds desired stays within [min, max];
//  shortfall      after a tick, capacity counted toward desired (instances
//                 starting or serving, pending launches) is below desired
//                 only while a cause explains it: a launch backoff, a
//                 condition, an avoided pool, a store that cannot be written,
//                 a launch that failed in this very tick (the next one retries);
//  cause          every activity names its group and its cause;
//  converged      from `settle` after the faults stop: no launch waits for a
//                 retry, no condition is set, no termination stays
//                 unconfirmed and no instance stays starting for longer than
//                 its group's health-check grace, and at the end the world's
//                 instances are exactly the tracked ones.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "adapters/sim/faults.h"
#include "adapters/sim/sim_world.h"
#include "controller/reconciler.h"

namespace shoal {

// What the checker reads of the control plane (a Reconciler, or a test's
// hand-made state).
struct ControlView {
  std::vector<const GroupSpec*> groups;
  std::vector<const GroupState*> states;
  bool store_ok = true;
  Seconds last_inventory = -1;  // when an inventory pass last listed the cloud (-1: never)
};
ControlView ViewOf(const Reconciler& controller);

struct InvariantOptions {
  Seconds tick_slack = 60;       // the simulator ticks at least once a minute
  // Untracked this long means the inventory could not list the cloud ten
  // times in a row: with the swarm's 10% listing errors and throttle bursts
  // of at most 5 minutes, never by chance.
  Seconds untracked_bound = 10 * kMinute;
  Seconds faults_stop = -1;      // -1: faults never stop (no convergence check)
  Seconds settle = 15 * kMinute; // the bound within which the world converges after faults stop
};

class InvariantChecker {
 public:
  explicit InvariantChecker(InvariantOptions options) : options_(options) {}

  // After a tick of a living control plane; `alive` is every instance the
  // world bills now.
  void AfterTick(Seconds now, const ControlView& control, const std::vector<WorldInstance>& alive);
  // Time passing while the control plane is down (not counted as untracked).
  void Down(Seconds from, Seconds to);
  void CheckActivity(const Activity& a);
  void CheckLedger(const LaunchLedger& ledger);
  void AtEnd(Seconds now, const ControlView& control, const std::vector<WorldInstance>& alive);

  const std::vector<std::string>& violations() const { return violations_; }

 private:
  void Violation(Seconds now, const std::string& rule, const std::string& what);

  InvariantOptions options_;
  std::map<InstanceId, Seconds> untracked_since_;
  Seconds downtime_ = 0;  // total time the control plane was down
  std::map<InstanceId, Seconds> untracked_downtime_at_;
  std::vector<std::string> violations_;
  std::map<std::string, int> reported_;  // rule → violations kept (the first few of each)
  std::map<std::string, Seconds> launch_failed_at_;  // group → time of its last launch-failed activity
};

}  // namespace shoal
