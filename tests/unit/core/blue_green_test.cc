// Blue/green deploys (core/deploy.h): the new release's instances launched
// held beside the serving ones, the switch once all are healthy (serving
// first, then the old held), the canary analysis after it, keep_old, the
// promotion, and every way back. One test per rule.
#include <gtest/gtest.h>

#include "core/decide.h"
#include "core/deploy.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

using testing::CountActions;
using testing::Driver;
using testing::RunningRelease1;
using testing::SpotGroup;

DeployRequest BlueGreen(int version, Seconds analysis = 0, Seconds keep_old = 300) {
  DeployRequest r;
  r.to_version = version;
  r.ref = std::to_string(version);
  r.settings.strategy = DeployStrategy::kBlueGreen;
  r.settings.analysis = analysis;
  r.settings.keep_old = keep_old;
  r.settings.batch_timeout = 600;
  r.cause = "test";
  return r;
}

struct Sets {
  int serving_old = 0, serving_new = 0, held_old = 0, held_new = 0;
};

Sets Count(Driver& d) {
  Sets s;
  for (const Instance& in : d.state().instances) {
    if (!CountsTowardCapacity(in.state)) continue;
    const bool fresh = in.version == 2;
    (in.held ? (fresh ? s.held_new : s.held_old) : (fresh ? s.serving_new : s.serving_old)) += 1;
  }
  return s;
}

std::vector<InstanceId> ServingCalls(const Plan& p) {
  std::vector<InstanceId> out;
  for (const Action& a : p.actions) {
    if (a.kind == ActionKind::kSetServing) out.push_back(a.instance);
  }
  return out;
}

bool HasDeployActivity(const Plan& p, const std::string& text) {
  for (const Activity& a : p.activities) {
    if (a.kind == ActivityKind::kDeploy && a.cause.find(text) != std::string::npos) return true;
  }
  return false;
}

// Started at t=10 and stepped until green serves its checks and the switch
// is made (t=30). Returns the switch's plan.
Plan SwitchedAt30(Driver& d, DeployRequest r) {
  EXPECT_TRUE(StartDeploy(d.spec(), d.state(), std::move(r), 10).ok());
  d.Step(10);
  d.AllHealthy(30);
  return d.Step(30);
}

TEST(BlueGreen, StartsLaunchingAHeldSetAsLargeAsTheServingOne) {
  Driver d = RunningRelease1();
  Result<Activity> a = StartDeploy(d.spec(), d.state(), BlueGreen(2), 10);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_NE(a->cause.find("(blue/green)"), std::string::npos) << a->cause;
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kGreenLaunching);
  Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 4);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0);
  for (const PendingLaunch& l : d.state().launches) EXPECT_TRUE(l.held);
  const Sets s = Count(d);
  EXPECT_EQ(s.serving_old, 4);
  EXPECT_EQ(s.held_new, 4) << "launched held";
  EXPECT_EQ(d.state().desired, 4) << "held instances are no capacity: nothing scales in";
  p = d.Step(20);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "launched once";
  EXPECT_EQ(CountActions(p, ActionKind::kDrain) + CountActions(p, ActionKind::kTerminate), 0);
}

TEST(BlueGreen, ACanaryIsRefusedAndChangesNothing) {
  Driver d = RunningRelease1();
  DeployRequest r = BlueGreen(2);
  r.only = d.state().instances[0].id;
  EXPECT_EQ(StartDeploy(d.spec(), d.state(), r, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(d.state().deploy);
}

TEST(BlueGreen, SwitchesWhenAllGreenServeNewServingFirstThenOldHeld) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), BlueGreen(2), 10).ok());
  d.Step(10);
  // Three of four healthy: no switch yet.
  int made = 0;
  for (const Instance& in : d.state().instances) {
    if (in.version == 2 && made < 3) {
      ASSERT_TRUE(d.Observe(in.id, InstanceEvent::kHealthy, 20).ok());
      ++made;
    }
  }
  Plan p = d.Step(20);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kGreenLaunching);
  EXPECT_TRUE(ServingCalls(p).empty());
  d.AllHealthy(30);
  p = d.Step(30);
  ASSERT_EQ(d.state().deploy->phase, DeployPhase::kSwitched);
  EXPECT_TRUE(HasDeployActivity(p, "switched"));
  const std::vector<InstanceId> first = ServingCalls(p);
  ASSERT_EQ(first.size(), 4u) << "the new set is made serving";
  for (InstanceId id : first) {
    EXPECT_EQ(d.state().Find(id)->version, 2);
    EXPECT_FALSE(d.state().Find(id)->held);
  }
  const Sets s = Count(d);
  EXPECT_EQ(s.serving_new, 4);
  EXPECT_EQ(s.held_old, 4);
  // The old set's hold calls come only after the new set's serving calls succeeded.
  p = d.Step(31);
  const std::vector<InstanceId> second = ServingCalls(p);
  ASSERT_EQ(second.size(), 4u);
  for (InstanceId id : second) EXPECT_EQ(d.state().Find(id)->version, 1);
  EXPECT_TRUE(ServingCalls(d.Step(32)).empty());
  EXPECT_EQ(d.Count(InstanceState::kInService), 8) << "the old set is kept";
}

TEST(BlueGreen, OldHoldsWaitWhileAServingCallFails) {
  Driver d = RunningRelease1();
  SwitchedAt30(d, BlueGreen(2));
  // The new set's serving call failed for one instance: it stays due.
  for (Instance& in : d.state().instances) {
    if (in.version == 2) {
      in.serving_synced = false;
      in.retry = {1, 100};
      break;
    }
  }
  for (Instance& in : d.state().instances) {
    if (in.version == 1) in.serving_synced = false;
  }
  Plan p = d.Step(40);
  EXPECT_TRUE(ServingCalls(p).empty()) << "no old instance is held while a new one may not serve";
  p = d.Step(100);
  ASSERT_EQ(ServingCalls(p).size(), 1u) << "the retry";
  p = d.Step(101);
  EXPECT_EQ(ServingCalls(p).size(), 4u) << "then the holds";
}

TEST(BlueGreen, AGoodReleaseIsAnalysedKeptThenPromoted) {
  Driver d = RunningRelease1();
  SwitchedAt30(d, BlueGreen(2, 60, 300));
  DeployState& dep = *d.state().deploy;
  ASSERT_GT(dep.analysis_until, 0);
  const std::int64_t m = dep.analysis_from_minute;
  RecordReleaseTraffic(dep, m, {{2, 600, 1, 600 * 20.0}, {1, 0, 0, 0}});
  Plan p = d.Step((m + 1) * 60);
  EXPECT_TRUE(HasDeployActivity(p, "passed the canary analysis"));
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSwitched) << "keep_old is not over";
  p = d.Step(30 + 299);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSwitched);
  p = d.Step(30 + 300);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSucceeded);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 4) << "the old set drains";
  EXPECT_EQ(d.state().release_version, 2);
  EXPECT_EQ(d.state().previous_release_version, 1);
  EXPECT_EQ(BootRelease(d.spec(), d.state()), "2");
  for (const Instance& in : d.state().instances) {
    if (in.version == 1) (void)d.Observe(in.id, InstanceEvent::kDrained, 340);
  }
  d.Step(340);
  const Sets s = Count(d);
  EXPECT_EQ(s.serving_new, 4);
  EXPECT_EQ(s.serving_old + s.held_old, 0);
}

TEST(BlueGreen, TheBaselineIsTheOldReleaseBeforeTheSwitch) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), BlueGreen(2, 60), 10).ok());
  RecordReleaseTraffic(*d.state().deploy, 0, {{1, 500, 0, 500 * 10.0}, {2, 0, 0, 0}});
  d.Step(10);
  d.AllHealthy(30);
  d.Step(30);
  DeployState& dep = *d.state().deploy;
  EXPECT_DOUBLE_EQ(dep.old_traffic.requests, 500);
  // After the switch the old set is held: its few requests are not the baseline.
  RecordReleaseTraffic(dep, dep.analysis_from_minute, {{2, 600, 0, 600 * 40.0}, {1, 3, 3, 3 * 10.0}});
  EXPECT_DOUBLE_EQ(dep.old_traffic.requests, 500);
  EXPECT_DOUBLE_EQ(dep.new_traffic.requests, 600);
  Plan p = d.Step((dep.analysis_from_minute + 1) * 60);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack) << "40 ms against 10 ms before the switch";
  EXPECT_TRUE(HasDeployActivity(p, "mean response time 40 ms against 10 ms"));
}

TEST(BlueGreen, AWorseReleaseSwitchesBackToTheOldSetWithoutALaunch) {
  Driver d = RunningRelease1();
  SwitchedAt30(d, BlueGreen(2, 120));
  d.Step(31);  // the old set held
  DeployState& dep = *d.state().deploy;
  const std::int64_t m = dep.analysis_from_minute;
  RecordReleaseTraffic(dep, m, {{2, 600, 30, 600 * 20.0}});
  Plan p = d.Step((m + 1) * 60);
  ASSERT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack) << "5% against an error-free baseline";
  EXPECT_TRUE(HasDeployActivity(p, "canary analysis after the switch: 5xx rate 5.00%"));
  EXPECT_TRUE(HasDeployActivity(p, "switched back"));
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "the kept set serves again: nothing to launch";
  const std::vector<InstanceId> serving = ServingCalls(p);
  ASSERT_EQ(serving.size(), 4u);
  for (InstanceId id : serving) EXPECT_EQ(d.state().Find(id)->version, 1);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0) << "the new set drains only once the old serves";
  p = d.Step((m + 1) * 60 + 1);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 4);
  const Sets s = Count(d);
  EXPECT_EQ(s.serving_old, 4);
  EXPECT_EQ(s.serving_new + s.held_new, 0);
  EXPECT_EQ(d.state().release_version, 0) << "back to what the spec boots";
  EXPECT_EQ(BootRelease(d.spec(), d.state()), "1");
}

TEST(BlueGreen, AGreenInstanceFailingItsChecksNeverGetsTrafficAndTheHeldSetGoes) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), BlueGreen(2), 10).ok());
  d.Step(10);
  InstanceId bad;
  for (const Instance& in : d.state().instances) {
    if (in.version == 2) bad = in.id;
  }
  ASSERT_TRUE(d.Observe(bad, InstanceEvent::kUnhealthy, 40).ok());
  Plan p = d.Step(40);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack);
  EXPECT_TRUE(HasDeployActivity(p, "failed its health checks"));
  EXPECT_TRUE(HasDeployActivity(p, "never switched"));
  EXPECT_TRUE(ServingCalls(p).empty()) << "no switch, no hold of the old set";
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 4);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "no replacement for a held instance";
  const Sets s = Count(d);
  EXPECT_EQ(s.serving_old, 4);
  EXPECT_EQ(s.held_old, 0);
  EXPECT_EQ(s.held_new + s.serving_new, 0);
}

TEST(BlueGreen, AGreenSetThatDoesNotServeInTimeIsRemoved) {
  Driver d = RunningRelease1();
  DeployRequest r = BlueGreen(2);
  r.settings.batch_timeout = 120;
  d.spec().health_check.grace = 1000;
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), r, 10).ok());
  d.Step(10);
  d.Step(100);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kGreenLaunching);
  Plan p = d.Step(140);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack);
  EXPECT_TRUE(HasDeployActivity(p, "did not all serve their health checks within 120s"));
  EXPECT_EQ(Count(d).serving_old, 4);
  EXPECT_EQ(Count(d).held_new, 0);
}

TEST(BlueGreen, RevertDuringKeepOldSwitchesBack) {
  Driver d = RunningRelease1();
  SwitchedAt30(d, BlueGreen(2, 0, 600));
  d.Step(31);
  d.Step(100);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSwitched) << "kept 600 s";
  Result<Activity> a = Revert(d.spec(), d.state(), {}, 200);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_NE(a->cause.find("switched back"), std::string::npos) << a->cause;
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack);
  Plan p = d.Step(200);
  EXPECT_EQ(ServingCalls(p).size(), 4u);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  p = d.Step(201);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 4);
  EXPECT_EQ(Count(d).serving_old, 4);
}

TEST(BlueGreen, RevertWhileGreenLaunchesRemovesIt) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), BlueGreen(2), 10).ok());
  d.Step(10);
  ASSERT_TRUE(Revert(d.spec(), d.state(), {}, 20).ok());
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack);
  Plan p = d.Step(20);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 4);
  EXPECT_EQ(Count(d).serving_old, 4);
  EXPECT_EQ(Revert(d.spec(), d.state(), {}, 30).status().code(), StatusCode::kInvalidArgument)
      << "no release before: nothing to revert to";
}

TEST(BlueGreen, AScaleOutBeforeTheSwitchAddsOldInstancesAndGreenFollows) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), BlueGreen(2), 10).ok());
  d.Step(10);
  d.state().desired = 6;
  Plan p = d.Step(20);
  int old = 0, fresh = 0;
  for (const Instance& in : d.state().instances) {
    if (in.state != InstanceState::kPending) continue;
    (in.version == 1 ? old : fresh) += 1;
  }
  EXPECT_EQ(old, 2) << "the scale-out serves at once: the old release";
  EXPECT_EQ(fresh, 6) << "4 held at first, then 2 more to match";
  d.AllHealthy(30);
  d.Step(30);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSwitched);
  EXPECT_EQ(Count(d).serving_new, 6);
  EXPECT_EQ(Count(d).held_old, 6);
}

TEST(BlueGreen, AfterARestartTheServingSetIsRegisteredBeforeTheHeldOne) {
  Driver d = RunningRelease1();
  SwitchedAt30(d, BlueGreen(2, 0, 600));
  d.Step(31);
  for (Instance& in : d.state().instances) in.registered = false;  // as Reconciler::Restore does
  Plan p = d.Step(40);
  int registers = 0;
  for (const Action& a : p.actions) {
    if (a.kind != ActionKind::kRegister) continue;
    ++registers;
    EXPECT_FALSE(d.state().Find(a.instance)->held) << "the serving set first";
  }
  EXPECT_EQ(registers, 4);
  p = d.Step(41);
  EXPECT_EQ(CountActions(p, ActionKind::kRegister), 4) << "then the held set";
  for (const Instance& in : d.state().instances) EXPECT_TRUE(in.registered);
}

TEST(BlueGreen, HeldInstancesAreNeverPickedForScaleIn) {
  Driver d = RunningRelease1();
  SwitchedAt30(d, BlueGreen(2, 0, 600));
  d.Step(31);
  d.state().desired = 2;
  Plan p = d.Step(40);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 2);
  for (const Action& a : p.actions) {
    if (a.kind == ActionKind::kDrain) {
      EXPECT_EQ(d.state().Find(a.instance)->version, 2) << "a serving one";
    }
  }
  EXPECT_EQ(Count(d).held_old, 4) << "the kept set stays whole";
}

TEST(BlueGreen, AHeldLaunchArrivingAfterTheDeployEndedIsTerminated) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), BlueGreen(2), 10).ok());
  // Planned but the cloud has not answered yet when the deploy is reverted.
  Plan p = Decide(d.spec(), d.state(), testing::Obs(d.spec(), false), 10);
  ASSERT_EQ(d.state().launches.size(), 4u);
  ASSERT_TRUE(Revert(d.spec(), d.state(), {}, 15).ok());
  const std::string token = d.state().launches[0].token;
  RecordLaunchOutcome(d.spec(), d.state(), token, LaunchedInstance{InstanceId::FromCounter(0xbeef), {}, 2}, 0, 20,
                      nullptr);
  ASSERT_TRUE(d.state().Find(InstanceId::FromCounter(0xbeef))->held);
  p = d.Step(20);
  bool terminated = false;
  for (const Action& a : p.actions) {
    terminated |= a.kind == ActionKind::kTerminate && a.instance == InstanceId::FromCounter(0xbeef);
  }
  EXPECT_TRUE(terminated);
  EXPECT_EQ(d.state().Find(InstanceId::FromCounter(0xbeef)), nullptr) << "the (test) cloud confirmed it gone";
  EXPECT_TRUE(HasDeployActivity(p, "blue/green deploy that is over"));
}

TEST(BlueGreen, StrategyNamesParseAndKeepOldIsChecked) {
  DeployStrategy s{};
  EXPECT_TRUE(ParseDeployStrategy("blue-green", &s));
  EXPECT_EQ(s, DeployStrategy::kBlueGreen);
  EXPECT_TRUE(ParseDeployStrategy("rolling", &s));
  EXPECT_EQ(s, DeployStrategy::kRolling);
  EXPECT_FALSE(ParseDeployStrategy("canary", &s));
  DeploySettings settings;
  settings.keep_old = -1;
  EXPECT_FALSE(ValidateDeploySettings(settings).ok());
  settings.keep_old = 0;
  EXPECT_TRUE(ValidateDeploySettings(settings).ok());
  DeployPhase p{};
  EXPECT_TRUE(ParseDeployPhase("green-launching", &p));
  EXPECT_EQ(p, DeployPhase::kGreenLaunching);
  EXPECT_TRUE(ParseDeployPhase("switched", &p));
  EXPECT_TRUE(IsActive(p));
}

}  // namespace
}  // namespace shoal
