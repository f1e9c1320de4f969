// Deploys (core/deploy.h): batches, launch first or drain first, the health
// gate, the canary analysis, rollbacks, canaries and reverts. One test per
// rule, each failing if the rule breaks.
#include "core/deploy.h"

#include <gtest/gtest.h>

#include "core/decide.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

using testing::CountActions;
using testing::Driver;
using testing::RunningRelease1;
using testing::SpotGroup;

DeployRequest To(int version, double batch_percent = 50, Seconds analysis = 0) {
  DeployRequest r;
  r.to_version = version;
  r.ref = std::to_string(version);
  r.settings.batch_percent = batch_percent;
  r.settings.analysis = analysis;
  r.cause = "test";
  return r;
}

std::map<int, int> Versions(Driver& d) {
  std::map<int, int> v;
  for (const Instance& in : d.state().instances) {
    if (CountsTowardCapacity(in.state)) ++v[in.version];
  }
  return v;
}

std::vector<std::string> LaunchReleases(Driver& d) {
  std::vector<std::string> out;
  for (const PendingLaunch& p : d.state().launches) out.push_back(p.release);
  return out;
}

// Steps until the deploy ends or `until`, making everything healthy and
// every drain complete as it goes. Returns when it ended.
Seconds RunToEnd(Driver& d, Seconds from, Seconds until = 5000) {
  for (Seconds t = from; t <= until; t += 10) {
    d.Step(t);
    d.AllHealthy(t);
    for (const Instance& in : d.state().instances) {
      if (in.state == InstanceState::kDraining) (void)d.Observe(in.id, InstanceEvent::kDrained, t);
    }
    if (!d.state().deploy->active()) return t;
  }
  return -1;
}

bool HasDeployActivity(const std::vector<Activity>& acts, const std::string& text) {
  for (const Activity& a : acts) {
    if (a.kind == ActivityKind::kDeploy && a.cause.find(text) != std::string::npos) return true;
  }
  return false;
}

// --- the rules -----------------------------------------------------------------

TEST(DeployRules, BatchSizeIsACountOrAPercentRoundedUpAndNeverZero) {
  DeploySettings s;
  s.batch_percent = 25;
  EXPECT_EQ(BatchSize(s, 10), 3);
  EXPECT_EQ(BatchSize(s, 4), 1);
  EXPECT_EQ(BatchSize(s, 0), 1);
  s.batch_percent = 100;
  EXPECT_EQ(BatchSize(s, 7), 7);
  s.batch_count = 2;
  EXPECT_EQ(BatchSize(s, 10), 2);
}

TEST(DeployRules, MinHealthyIsRoundedUpFromDesired) {
  DeploySettings s;
  s.min_healthy_percent = 90;
  EXPECT_DOUBLE_EQ(MinHealthyUnits(s, 10), 9);
  EXPECT_DOUBLE_EQ(MinHealthyUnits(s, 4), 4);
  s.min_healthy_percent = 75;
  EXPECT_DOUBLE_EQ(MinHealthyUnits(s, 4), 3);
}

TEST(DeployRules, CanaryComparesErrorRatesAndLatencyWithTheOldRelease) {
  DeploySettings s;  // 1 point of 5xx, 1.5x latency, 100 requests
  const ReleaseTraffic old{1, 1000, 2, 1000 * 20.0};
  EXPECT_TRUE(JudgeCanary(s, {2, 1000, 5, 1000 * 21.0}, old).worse.empty()) << "0.5% vs 0.2%: within 1 point";
  const CanaryVerdict errors = JudgeCanary(s, {2, 1000, 50, 1000 * 21.0}, old);
  EXPECT_TRUE(errors.compared);
  EXPECT_NE(errors.worse.find("5xx rate 5.00% against 0.20%"), std::string::npos) << errors.worse;
  const CanaryVerdict slow = JudgeCanary(s, {2, 1000, 0, 1000 * 40.0}, old);
  EXPECT_NE(slow.worse.find("mean response time 40 ms against 20 ms"), std::string::npos) << slow.worse;
}

TEST(DeployRules, TooLittleTrafficIsNotJudgedAndNoOldReleaseMeansAnErrorFreeBaseline) {
  DeploySettings s;
  const CanaryVerdict few = JudgeCanary(s, {2, 50, 50, 0}, {1, 1000, 0, 0});
  EXPECT_FALSE(few.compared);
  EXPECT_TRUE(few.worse.empty());
  EXPECT_FALSE(JudgeCanary(s, {2, 1000, 30, 1000.0}, {}).worse.empty()) << "3% errors alone is worse";
  EXPECT_TRUE(JudgeCanary(s, {2, 1000, 5, 1000.0}, {}).worse.empty());
}

TEST(DeployRules, OnlyTheAnalysisWindowsMinutesAreCountedPerRelease) {
  DeployState d;
  d.request.to_version = 2;
  d.analysis_from_minute = 10;
  d.analysis_until = 12 * 60;
  RecordReleaseTraffic(d, 9, {{2, 100, 100, 0}});
  RecordReleaseTraffic(d, 10, {{2, 100, 1, 0}, {1, 300, 0, 0}});
  RecordReleaseTraffic(d, 11, {{2, 100, 2, 0}, {0, 50, 0, 0}});
  RecordReleaseTraffic(d, 12, {{2, 100, 100, 0}});
  EXPECT_DOUBLE_EQ(d.new_traffic.requests, 200);
  EXPECT_DOUBLE_EQ(d.new_traffic.errors, 3);
  EXPECT_DOUBLE_EQ(d.old_traffic.requests, 350);
}

// --- starting ------------------------------------------------------------------

TEST(Deploy, StartRecordsWhereFromAndRefusesWhatCannotBe) {
  Driver d = RunningRelease1();
  GroupState before = d.state();
  EXPECT_EQ(StartDeploy(d.spec(), d.state(), To(1), 10).status().code(), StatusCode::kInvalidArgument)
      << "every instance runs 1 already";
  EXPECT_EQ(StartDeploy(d.spec(), d.state(), To(0), 10).status().code(), StatusCode::kInvalidArgument);
  DeployRequest canary = To(2);
  canary.only = InstanceId::FromCounter(999);
  EXPECT_EQ(StartDeploy(d.spec(), d.state(), canary, 10).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(d.state().deploy) << "refusals change nothing";
  Result<Activity> a = StartDeploy(d.spec(), d.state(), To(2), 10);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->kind, ActivityKind::kDeploy);
  EXPECT_EQ(d.state().deploy->from_version, 1);
  EXPECT_EQ(d.state().deploy->id, 1);
  EXPECT_EQ(StartDeploy(d.spec(), d.state(), To(3), 11).status().code(), StatusCode::kConflict);
}

// --- rolling forward -------------------------------------------------------------

TEST(Deploy, BatchesLaunchFirstThenDrainTheReplacedOnceTheNewServe) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2), 10).ok());
  Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 2) << "50% of 4";
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0) << "launch first: nothing leaves yet";
  EXPECT_EQ(d.Count(InstanceState::kInService), 4);
  p = d.Step(20);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "the next batch waits for this one";
  d.AllHealthy(30);
  p = d.Step(30);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 2);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 2) << "no analysis: the next batch follows at once";
  EXPECT_EQ(d.state().deploy->batches, 2);
  const Seconds ended = RunToEnd(d, 40);
  ASSERT_GT(ended, 0);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSucceeded);
  EXPECT_EQ(d.state().deploy->batches, 2);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{2, 4}}));
  EXPECT_EQ(d.state().release_version, 2);
  EXPECT_EQ(d.state().previous_release_version, 1);
  EXPECT_EQ(BootRelease(d.spec(), d.state()), "2") << "later launches boot what was deployed";
}

TEST(Deploy, NeverBelowMinHealthyDrainingFirstWhenTheGroupIsAtMax) {
  Driver d = RunningRelease1(4, 4);
  DeployRequest r = To(2, 100);
  r.settings.min_healthy_percent = 75;
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), r, 10).ok());
  Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1) << "one of four may leave at 75%";
  for (Seconds t = 10; t < 2000 && d.state().deploy->active(); t += 10) {
    d.Step(t);
    EXPECT_GE(d.Count(InstanceState::kInService), 3) << "at " << t;
    d.AllHealthy(t);
    for (const Instance& in : d.state().instances) {
      if (in.state == InstanceState::kDraining) (void)d.Observe(in.id, InstanceEvent::kDrained, t);
    }
  }
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSucceeded);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{2, 4}}));
}

TEST(Deploy, AtMaxWithNoInstanceToSpareItWaitsAndSaysWhy) {
  Driver d = RunningRelease1(4, 4);
  DeployRequest r = To(2);
  r.settings.min_healthy_percent = 100;
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), r, 10).ok());
  Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain) + CountActions(p, ActionKind::kLaunch), 0);
  EXPECT_TRUE(HasDeployActivity(p.activities, "blocked"));
  p = d.Step(20);
  EXPECT_FALSE(HasDeployActivity(p.activities, "blocked")) << "said once";
  EXPECT_TRUE(d.state().deploy->active());
}

TEST(Deploy, ScaleOutDuringADeployBootsItsTarget) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2), 10).ok());
  d.state().desired = 6;
  d.Step(10);
  int fresh = 0;
  for (const Instance& in : d.state().instances) {
    if (in.state != InstanceState::kPending) continue;
    ++fresh;
    EXPECT_EQ(in.version, 2) << in.id;
  }
  EXPECT_EQ(fresh, 2) << "the scale-out; the first batch waits until it serves";
}

// --- going wrong -------------------------------------------------------------------

TEST(Deploy, ANewInstanceThatFailsItsHealthCheckRollsBackByItself) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2), 10).ok());
  d.Step(10);
  InstanceId bad;
  for (const Instance& in : d.state().instances) {
    if (in.version == 2) bad = in.id;
  }
  ASSERT_FALSE(bad.empty());
  ASSERT_TRUE(d.Observe(bad, InstanceEvent::kUnhealthy, 40).ok());
  Plan p = d.Step(40);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRollingBack);
  EXPECT_TRUE(HasDeployActivity(p.activities, "failed its health checks"));
  EXPECT_EQ(d.Count(InstanceState::kInService), 4) << "the old ones were never drained";
  const Seconds ended = RunToEnd(d, 50);
  ASSERT_GT(ended, 0);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{1, 4}}));
  EXPECT_EQ(d.state().release_version, 0) << "back to what the spec boots";
  EXPECT_EQ(BootRelease(d.spec(), d.state()), "1");
}

TEST(Deploy, ABatchThatDoesNotServeInTimeRollsBack) {
  Driver d = RunningRelease1();
  DeployRequest r = To(2);
  r.settings.batch_timeout = 120;
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), r, 10).ok());
  d.Step(10);
  d.Step(100);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolling);
  Plan p = d.Step(140);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRollingBack);
  EXPECT_TRUE(HasDeployActivity(p.activities, "did not serve within 120s"));
  for (const Instance& in : d.state().instances) {
    if (in.version == 2) {
      EXPECT_EQ(in.state, InstanceState::kTerminating) << "unserved replacements stop";
    }
  }
}

TEST(Deploy, AWorseReleaseFoundByTheCanaryAnalysisRollsBack) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2, 50, 120), 10).ok());
  d.Step(10);
  d.AllHealthy(30);
  Plan p = d.Step(30);  // drains the replaced two
  ASSERT_GT(d.state().deploy->analysis_until, 0) << "the batch serves: analysing";
  EXPECT_TRUE(HasDeployActivity(p.activities, "comparing it with the old release"));
  const std::int64_t m = d.state().deploy->analysis_from_minute;
  RecordReleaseTraffic(*d.state().deploy, m, {{2, 600, 30, 600 * 20.0}, {1, 600, 0, 600 * 20.0}});
  p = d.Step((m + 1) * 60);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRollingBack) << "5% against 0%: worse at the first minute";
  EXPECT_TRUE(HasDeployActivity(p.activities, "canary analysis of batch 1: 5xx rate 5.00%"));
}

TEST(Deploy, AReleaseThatPassesTheAnalysisGoesOn) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2, 50, 60), 10).ok());
  d.Step(10);
  d.AllHealthy(30);
  d.Step(30);
  for (const Instance& in : d.state().instances) {
    if (in.state == InstanceState::kDraining) (void)d.Observe(in.id, InstanceEvent::kDrained, 30);
  }
  d.Step(40);
  const std::int64_t m = d.state().deploy->analysis_from_minute;
  RecordReleaseTraffic(*d.state().deploy, m, {{2, 600, 1, 600 * 20.0}, {1, 600, 0, 600 * 19.0}});
  Plan p = d.Step((m + 1) * 60 - 10);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "the window is not over";
  p = d.Step((m + 1) * 60);
  EXPECT_TRUE(HasDeployActivity(p.activities, "passed the canary analysis"));
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 2) << "the next batch";
}

// --- canaries and reverts ------------------------------------------------------------

TEST(Deploy, ACanaryReplacesOneInstanceAndLeavesTheGroupBootingTheOldRelease) {
  Driver d = RunningRelease1();
  DeployRequest r = To(2);
  r.only = d.state().instances[2].id;
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), r, 10).ok());
  Plan p = d.Step(10);
  ASSERT_EQ(CountActions(p, ActionKind::kLaunch), 1);
  EXPECT_EQ(d.state().launches[0].replaces, r.only);
  ASSERT_GT(RunToEnd(d, 20), 0);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kSucceeded);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{1, 3}, {2, 1}}));
  EXPECT_FALSE(CountsTowardCapacity(d.state().Find(r.only)->state)) << "the canary's old instance is leaving";
  EXPECT_EQ(BootRelease(d.spec(), d.state()), "1");
}

TEST(Deploy, RevertGoesBackToTheReleaseBeforeInOneBatch) {
  Driver d = RunningRelease1();
  EXPECT_EQ(Revert(d.spec(), d.state(), {}, 5).status().code(), StatusCode::kInvalidArgument) << "nothing before";
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2, 25), 10).ok());
  ASSERT_GT(RunToEnd(d, 10), 0);
  Result<Activity> a = Revert(d.spec(), d.state(), {}, 2000);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(d.state().deploy->request.to_version, 1);
  Plan p = d.Step(2000);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 4) << "all at once, as fast as health allows";
  ASSERT_GT(RunToEnd(d, 2010), 0);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{1, 4}}));
  EXPECT_EQ(d.state().release_version, 1);
}

TEST(Deploy, RevertDuringADeployRollsItBack) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2), 10).ok());
  d.Step(10);
  ASSERT_TRUE(Revert(d.spec(), d.state(), {}, 20).ok());
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRollingBack);
  EXPECT_EQ(Revert(d.spec(), d.state(), {}, 21).status().code(), StatusCode::kConflict);
  ASSERT_GT(RunToEnd(d, 20), 0);
  EXPECT_EQ(d.state().deploy->phase, DeployPhase::kRolledBack);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{1, 4}}));
}

TEST(Deploy, ASpotNoticeDuringADeployIsReplacedWithTheTarget) {
  Driver d = RunningRelease1();
  ASSERT_TRUE(StartDeploy(d.spec(), d.state(), To(2, 25), 10).ok());
  d.Step(10);
  InstanceId spot;
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot && in.version == 1 && in.state == InstanceState::kInService) spot = in.id;
  }
  ASSERT_FALSE(spot.empty());
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 20, 140).ok());
  d.Step(20);
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kDraining);
  for (const std::string& r : LaunchReleases(d)) EXPECT_EQ(r, "2");
  ASSERT_GT(RunToEnd(d, 30), 0);
  EXPECT_EQ(Versions(d), (std::map<int, int>{{2, 4}}));
}

}  // namespace
}  // namespace shoal
