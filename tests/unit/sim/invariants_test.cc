// Each invariant of the fault swarm is caught when broken (a checker that
// never fires would make a clean swarm meaningless).
#include "sim/invariants.h"
#include "test_ids.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

GroupSpec Spec() {
  GroupSpec g;
  g.name = "web";
  g.min = 1;
  g.max = 5;
  g.desired = 2;
  g.capacity.on_demand_base = 2;
  return g;
}

Instance Running(InstanceId id, InstanceState state = InstanceState::kInService, Seconds launched = 0) {
  Instance in;
  in.id = id;
  in.state = state;
  in.launched_at = launched;
  in.state_since = launched;
  return in;
}

struct Fixture {
  GroupSpec spec = Spec();
  GroupState state = InitialState(spec);
  ControlView View(Seconds last_inventory = -1) const { return {{&spec}, {&state}, true, last_inventory}; }
};

bool Has(const InvariantChecker& c, const std::string& rule) {
  for (const std::string& v : c.violations()) {
    if (v.rfind(rule + " ", 0) == 0) return true;
  }
  return false;
}

TEST(InvariantChecker, ACleanWorldHasNoViolations) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  InvariantChecker c({});
  for (Seconds t = 0; t <= 600; t += 60) c.AfterTick(t, f.View(), {{Id(1), "web", "", 1, true, 0}, {Id(2), "web", "", 1, true, 0}});
  EXPECT_TRUE(c.violations().empty());
}

TEST(InvariantChecker, AnInstanceAnInventoryPassListedButNobodyTracksIsCaught) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  InvariantChecker c({});
  const std::vector<WorldInstance> world = {{Id(1), "web", "", 1, true, 0}, {Id(2), "web", "", 1, true, 0}, {Id(9), "web", "x", 1, false, 0}};
  c.AfterTick(60, f.View(/*last_inventory=*/60), world);
  EXPECT_FALSE(Has(c, "untracked")) << "the pass of the tick it appeared in may have listed before its launch";
  c.AfterTick(120, f.View(60), world);
  EXPECT_FALSE(Has(c, "untracked")) << "no pass has run since it appeared";
  c.AfterTick(180, f.View(180), world);
  EXPECT_TRUE(Has(c, "untracked")) << "a later pass listed it and it is still unknown";
}

TEST(InvariantChecker, AnInstanceUntrackedBeyondTheBoundIsCaughtEvenIfNoListingSucceeds) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  InvariantOptions o;
  InvariantChecker c(o);
  const std::vector<WorldInstance> world = {{Id(1), "web", "", 1, true, 0}, {Id(2), "web", "", 1, true, 0}, {Id(9), "web", "x", 1, false, 0}};
  c.AfterTick(0, f.View(), world);
  c.AfterTick(o.untracked_bound, f.View(), world);
  EXPECT_FALSE(Has(c, "untracked"));
  c.AfterTick(o.untracked_bound + 1, f.View(), world);
  EXPECT_TRUE(Has(c, "untracked"));
}

TEST(InvariantChecker, DowntimeDoesNotCountAsUntracked) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  InvariantChecker c({});
  const std::vector<WorldInstance> world = {{Id(1), "web", "", 1, true, 0}, {Id(2), "web", "", 1, true, 0}, {Id(9), "web", "", 1, false, 0}};
  c.AfterTick(0, f.View(), world);
  c.Down(10, 1000);
  c.AfterTick(1000, f.View(), world);
  EXPECT_FALSE(Has(c, "untracked"));
}

TEST(InvariantChecker, AnInstanceOfAPendingLaunchIsTrackedByItsToken) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  PendingLaunch p;
  p.token = "web-7-0";
  f.state.launches = {p};
  InvariantChecker c({});
  const std::vector<WorldInstance> world = {{Id(1), "web", "", 1, true, 0}, {Id(2), "web", "", 1, true, 0}, {Id(9), "web", "web-7-0", 1, false, 0}};
  for (Seconds t = 0; t <= 600; t += 60) c.AfterTick(t, f.View(), world);
  EXPECT_FALSE(Has(c, "untracked"));
}

TEST(InvariantChecker, DesiredOutsideItsBoundsIsCaught) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  f.state.desired = 0;
  InvariantChecker c({});
  c.AfterTick(0, f.View(), {});
  EXPECT_TRUE(Has(c, "desired-bounds"));
}

TEST(InvariantChecker, AShortfallWithNoCauseIsCaughtAndABackoffExplainsIt) {
  Fixture f;
  f.state.instances = {Running(Id(1))};
  InvariantChecker c({});
  f.state.launch_retry.next_at = 100;
  c.AfterTick(50, f.View(), {});
  EXPECT_FALSE(Has(c, "shortfall")) << "the group is backing off";
  c.AfterTick(100, f.View(), {});
  EXPECT_TRUE(Has(c, "shortfall"));
}

TEST(InvariantChecker, ALaunchThatFailedThisTickExplainsAShortfall) {
  Fixture f;
  f.state.instances = {Running(Id(1))};
  InvariantChecker c({});
  c.CheckActivity({70, "web", ActivityKind::kLaunchFailed, "refused", 2, 2});
  c.AfterTick(70, f.View(), {});
  EXPECT_FALSE(Has(c, "shortfall"));
}

TEST(InvariantChecker, AnActivityWithoutACauseIsCaught) {
  InvariantChecker c({});
  c.CheckActivity({5, "web", ActivityKind::kScaleOut, "", 1, 2});
  EXPECT_TRUE(Has(c, "cause"));
}

TEST(InvariantChecker, ATokenAskedAgainForAnotherLaunchIsCaught) {
  LaunchLedger ledger;
  ledger.mismatches.push_back("token web-1-0 first launched web/a, asked again for web/b");
  InvariantChecker c({});
  c.CheckLedger(ledger);
  EXPECT_TRUE(Has(c, "one-token"));
}

TEST(InvariantChecker, AfterTheFaultsStopTheWorldMustSettle) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2), InstanceState::kTerminating, 0), Running(Id(3))};
  InvariantOptions o;
  o.faults_stop = 1000;
  InvariantChecker c(o);
  const std::vector<WorldInstance> world = {{Id(1), "web", "", 1, true, 0}, {Id(2), "web", "", 1, true, 0}, {Id(3), "web", "", 1, true, 0}};
  c.AfterTick(1000 + 899, f.View(), world);
  EXPECT_FALSE(Has(c, "converged")) << "within the settle bound";
  c.AfterTick(1000 + 900, f.View(), world);
  EXPECT_TRUE(Has(c, "converged")) << "a termination unconfirmed long after the faults stopped";
}

TEST(InvariantChecker, AtTheEndTheWorldAndTheStateAgree) {
  Fixture f;
  f.state.instances = {Running(Id(1)), Running(Id(2))};
  InvariantOptions o;
  o.faults_stop = 0;
  InvariantChecker c(o);
  c.AtEnd(5000, f.View(), {{Id(1), "web", "", 1, true, 0}, {Id(3), "web", "", 1, true, 0}});
  ASSERT_EQ(c.violations().size(), 2u);
  EXPECT_NE(c.violations()[0].find("i-0000000000000003"), std::string::npos);
  EXPECT_NE(c.violations()[1].find("i-0000000000000002"), std::string::npos);
}

}  // namespace
}  // namespace shoal
