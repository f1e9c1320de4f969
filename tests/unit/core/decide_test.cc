// Rules of the decision step (core/decide.h, core/scaling.h): one test per
// rule, each failing if the rule breaks.
#include "core/decide.h"

#include <gtest/gtest.h>

#include "core/scaling.h"
#include "decide_test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

using testing::CountActions;
using testing::CpuAlarm;
using testing::Driver;
using testing::HasActivity;
using testing::SpotGroup;
using testing::TargetTracking;

PolicySpec Simple(const std::string& name, const std::string& alarm, double adj, Seconds cooldown,
                  AdjustmentType t = AdjustmentType::kChangeInCapacity) {
  PolicySpec p;
  p.name = name;
  p.type = PolicyType::kSimple;
  p.alarm = alarm;
  p.adjustment_type = t;
  p.scaling_adjustment = adj;
  p.cooldown = cooldown;
  return p;
}

// A steady group: desired instances launched and in service at t=0.
Driver Steady(GroupSpec spec) {
  Driver d(std::move(spec));
  d.Step(0);
  d.AllHealthy(0);
  return d;
}

TEST(DecideLaunch, FillsDesiredWithOnDemandBaseThenCheapestSpot) {
  Driver d(SpotGroup());
  d.state().desired = 4;
  const Plan p = d.Step(0, false, {0.05, 0.03});
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 4);
  EXPECT_EQ(d.CountMarket(Market::kOnDemand), 1);  // the base
  EXPECT_EQ(d.CountMarket(Market::kSpot), 3);
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot) {
      EXPECT_EQ(in.pool, 1) << "lowest-price picks the cheaper pool";
    }
  }
}

TEST(DecideSimple, AlarmRaisesDesiredAndCooldownStartsWhenActivityCompletes) {
  GroupSpec g = SpotGroup();
  g.alarms = {CpuAlarm("high", Comparison::kGreaterThanOrEqual, 50)};
  g.policies = {Simple("out", "high", 1, 300)};
  Driver d = Steady(g);
  d.Cpu(0, 80);
  Plan p = d.Step(60, true);
  ASSERT_TRUE(HasActivity(p, ActivityKind::kScaleOut));
  EXPECT_EQ(d.state().desired, 3);
  EXPECT_NE(p.activities[0].cause.find("alarm 'high'"), std::string::npos) << p.activities[0].cause;
  EXPECT_EQ(p.activities[0].from, 2);
  EXPECT_EQ(p.activities[0].to, 3);

  // Still in ALARM, but the activity has not completed: no new scale-out.
  d.Cpu(1, 80);
  d.Step(120, true);
  EXPECT_EQ(d.state().desired, 3);

  // The instance serves at 200: the cooldown runs 300 s from the next pass.
  d.AllHealthy(200);
  d.Cpu(2, 80);
  d.Step(180 + 60, true);  // 240: completes, cooldown until 540
  EXPECT_EQ(d.state().desired, 3);
  EXPECT_EQ(d.state().simple_cooldown_until, 540);
  for (int m = 4; m <= 8; ++m) {
    d.Cpu(m - 1, 80);
    d.Step(m * 60, true);
  }
  EXPECT_EQ(d.state().desired, 3) << "cooldown not over at 480";
  d.Cpu(8, 80);
  d.Step(540, true);
  EXPECT_EQ(d.state().desired, 4) << "cooldown over at 540";
}

TEST(DecideSimple, PercentScaleInRoundsAsAwsAndDrainsInService) {
  GroupSpec g = SpotGroup();
  g.desired = 10;
  g.alarms = {CpuAlarm("low", Comparison::kLessThan, 30)};
  PolicySpec in = Simple("in", "low", -10, 300, AdjustmentType::kPercentChangeInCapacity);
  in.min_adjustment_magnitude = 1;
  g.policies = {in};
  Driver d = Steady(g);
  d.Cpu(0, 10);
  const Plan p = d.Step(60, true);
  EXPECT_EQ(d.state().desired, 9);  // -10% of 10 = -1
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1);
  EXPECT_EQ(d.Count(InstanceState::kDraining), 1);
}

TEST(DecideClamp, DesiredStaysWithinMinAndMax) {
  GroupSpec g = SpotGroup();
  g.max = 3;
  g.alarms = {CpuAlarm("high", Comparison::kGreaterThanOrEqual, 50),
              CpuAlarm("low", Comparison::kLessThan, 30)};
  g.policies = {Simple("out", "high", 10, 0)};
  Driver d = Steady(g);
  d.Cpu(0, 99);
  d.Step(60, true);
  EXPECT_EQ(d.state().desired, 3);

  GroupSpec h = SpotGroup();
  h.alarms = {CpuAlarm("low", Comparison::kLessThan, 30)};
  h.policies = {Simple("in", "low", -10, 0)};
  Driver e = Steady(h);
  e.Cpu(0, 1);
  e.Step(60, true);
  EXPECT_EQ(e.state().desired, 1) << "min is 1";
}

TEST(DecideStep, WarmingInstancesCountSoTheSameStepAddsNothingMore) {
  GroupSpec g = SpotGroup();
  g.desired = 4;
  g.alarms = {CpuAlarm("high", Comparison::kGreaterThanOrEqual, 60)};
  PolicySpec s;
  s.name = "steps";
  s.type = PolicyType::kStep;
  s.alarm = "high";
  s.warmup = 300;
  s.steps = {{0.0, 20.0, 1}, {20.0, std::nullopt, 3}};
  g.policies = {s};
  Driver d(g);
  d.Step(0);
  d.AllHealthy(0);  // in service at 0: warm from 300
  d.Cpu(5, 70);     // step 1: +1
  d.Step(360, true);
  EXPECT_EQ(d.state().desired, 5);
  d.Cpu(6, 70);  // same step again while the new one warms: no change
  d.Step(420, true);
  EXPECT_EQ(d.state().desired, 5);
  d.Cpu(7, 90);  // bigger step (+3 over the 4 warmed): only the difference
  d.Step(480, true);
  EXPECT_EQ(d.state().desired, 7);
}

TEST(DecideStep, ScaleInStepFiresEveryMinuteWithoutCooldown) {
  // The seed's complaint about step scale-in: it removes capacity every minute.
  GroupSpec g = SpotGroup();
  g.desired = 10;
  g.alarms = {CpuAlarm("low", Comparison::kLessThan, 30)};
  PolicySpec s;
  s.name = "in";
  s.type = PolicyType::kStep;
  s.alarm = "low";
  s.steps = {{std::nullopt, 0.0, -1}};
  g.policies = {s};
  Driver d = Steady(g);
  for (int m = 0; m < 3; ++m) {
    d.Cpu(m, 10);
    d.Step((m + 1) * 60, true);
  }
  EXPECT_EQ(d.state().desired, 7);
}

TEST(DecideTargetTracking, ScalesOutProportionallyToTheMetric) {
  GroupSpec g = SpotGroup();
  g.desired = 4;
  g.policies = {TargetTracking(50)};
  Driver d = Steady(g);
  d.Cpu(0, 90);
  d.Step(60, true);
  EXPECT_EQ(d.state().desired, 8);  // ceil(4 * 90 / 50)
}

TEST(DecideTargetTracking, ScalesInSlowlyAndNotWhileWarming) {
  GroupSpec g = SpotGroup();
  g.desired = 8;
  g.policies = {TargetTracking(50, 300)};
  Driver d(g);
  d.Step(0);
  d.AllHealthy(0);
  d.Cpu(0, 20);
  d.Cpu(1, 20);
  d.Step(120, true);
  EXPECT_EQ(d.state().desired, 8) << "instances still warming (until 300)";
  d.Cpu(5, 20);
  d.Cpu(6, 20);
  d.Step(420, true);
  EXPECT_EQ(d.state().desired, 4);  // ceil(8 * 20 / 50)
}

TEST(DecideCombine, OutIfAnyInOnlyIfAll) {
  GroupSpec g = SpotGroup();
  g.desired = 6;
  g.alarms = {CpuAlarm("low-a", Comparison::kLessThan, 30), CpuAlarm("low-b", Comparison::kLessThan, 20),
              CpuAlarm("high", Comparison::kGreaterThanOrEqual, 20)};
  g.policies = {Simple("in-a", "low-a", -1, 0), Simple("in-b", "low-b", -2, 0), Simple("out", "high", 1, 0)};
  GroupState s = InitialState(g);
  s.desired = 6;
  // Only one scale-in policy fires: no scale-in.
  std::vector<Proposal> only_a = {{0, 5, "a"}};
  EXPECT_FALSE(Combine(g, s, only_a).has_value());
  // Both fire: the smaller reduction wins.
  std::vector<Proposal> both = {{0, 5, "a"}, {1, 4, "b"}};
  ASSERT_TRUE(Combine(g, s, both).has_value());
  EXPECT_EQ(Combine(g, s, both)->desired, 5);
  // Any scale-out beats every scale-in.
  std::vector<Proposal> mixed = {{0, 5, "a"}, {1, 4, "b"}, {2, 7, "out"}};
  EXPECT_EQ(Combine(g, s, mixed)->desired, 7);
}

TEST(DecideSpot, NoticeDrainsAndReplacesInAnotherPoolAtOnce) {
  GroupSpec g = SpotGroup();
  g.desired = 3;
  Driver d = Steady(g);  // 1 on-demand + 2 spot in pool 0 (cheapest by default prices)
  InstanceId victim = Id(0);
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot) victim = in.id;
  }
  ASSERT_FALSE(victim.empty());
  const int pool = d.state().Find(victim)->pool;
  ASSERT_TRUE(d.Observe(victim, InstanceEvent::kNotice, 100, 220).ok());
  const Plan p = d.Step(100);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1);
  ASSERT_EQ(CountActions(p, ActionKind::kLaunch), 1);
  for (const Action& a : p.actions) {
    if (a.kind == ActionKind::kLaunch) {
      EXPECT_EQ(a.market, Market::kSpot);
      EXPECT_NE(a.pool, pool) << "the interrupted pool is avoided";
    }
  }
  EXPECT_TRUE(HasActivity(p, ActivityKind::kReplace));
  EXPECT_EQ(d.state().Find(victim)->state, InstanceState::kDraining);
}

TEST(DecideSpot, NoSpotPoolMeansOnDemandInTheSameStep) {
  GroupSpec g = SpotGroup();
  g.desired = 3;
  Driver d = Steady(g);
  d.state().desired = 5;
  RecordCapacityError(d.spec(), d.state(), 0, 50);
  RecordCapacityError(d.spec(), d.state(), 1, 50);
  const Plan p = d.Step(60);
  EXPECT_TRUE(HasActivity(p, ActivityKind::kFallbackOnDemand));
  int od = 0;
  for (const Action& a : p.actions) od += (a.kind == ActionKind::kLaunch && a.market == Market::kOnDemand) ? 1 : 0;
  EXPECT_EQ(od, 2);
}

TEST(DecideSpot, FallbackCanBeTurnedOff) {
  GroupSpec g = SpotGroup();
  g.spot.fallback_to_on_demand = false;
  Driver d = Steady(g);
  d.state().desired = 4;
  RecordCapacityError(d.spec(), d.state(), 0, 50);
  RecordCapacityError(d.spec(), d.state(), 1, 50);
  const Plan p = d.Step(60);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
}

TEST(DecideSpot, PriceAboveBidMakesAPoolUnavailable) {
  GroupSpec g = SpotGroup();
  g.capacity.spot_pools[0].bid_usd_per_hour = 0.04;
  Driver d(g);
  d.state().desired = 3;
  const Plan p = d.Step(0, false, {0.05, 0.06});
  for (const Action& a : p.actions) {
    if (a.kind == ActionKind::kLaunch && a.market == Market::kSpot) {
      EXPECT_EQ(a.pool, 1);
    }
  }
}

TEST(DecideSpot, BumpGroupOnNoticeAsTheSeedDid) {
  GroupSpec g = SpotGroup();
  g.spot.on_notice = NoticeAction::kBumpGroup;
  g.spot.bump_group = "web-od";
  Driver d = Steady(g);
  InstanceId spot = Id(0);
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot) spot = in.id;
  }
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 10, 130).ok());
  const Plan p = d.Step(10);
  ASSERT_EQ(CountActions(p, ActionKind::kBumpDesired), 1);
  for (const Action& a : p.actions) {
    if (a.kind == ActionKind::kBumpDesired) {
      EXPECT_EQ(a.target_group, "web-od");
    }
  }
}

// The seed as written: the notice raises the other group by one and does
// nothing else here. The instance keeps serving; only when the cloud takes
// it does the group launch back to its desired, as an EC2 group would.
TEST(DecideSpot, BumpGroupOnlyBumpsOnceAndNeitherDrainsNorReplaces) {
  GroupSpec g = SpotGroup();
  g.spot.on_notice = NoticeAction::kBumpGroupOnly;
  g.spot.bump_group = "web-od";
  Driver d = Steady(g);
  InstanceId spot = Id(0);
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot) spot = in.id;
  }
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 10, 130).ok());
  const Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kBumpDesired), 1);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kInService) << "it serves until the cloud takes it";
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 15, 130).ok()) << "a repeated notice";
  const Plan again = d.Step(20);
  EXPECT_EQ(CountActions(again, ActionKind::kBumpDesired), 0) << "one bump per instance";
  EXPECT_EQ(CountActions(again, ActionKind::kLaunch), 0);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kTerminated, 130).ok());
  const Plan after = d.Step(130);
  EXPECT_EQ(CountActions(after, ActionKind::kLaunch), 1) << "the group keeps its desired once the instance is gone";
  EXPECT_EQ(CountActions(after, ActionKind::kBumpDesired), 0);
}

// A plain EC2 group (no Capacity Rebalancing): the notice changes nothing;
// the group launches back to its desired once the cloud has taken it.
TEST(DecideSpot, NoneNeitherDrainsNorReplacesUntilTheInstanceIsGone) {
  GroupSpec g = SpotGroup();
  g.spot.on_notice = NoticeAction::kNone;
  Driver d = Steady(g);
  InstanceId spot = Id(0);
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot) spot = in.id;
  }
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 10, 130).ok());
  const Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kBumpDesired), 0);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  const auto notices = [&d] {
    return std::count_if(d.activities().begin(), d.activities().end(),
                         [](const Activity& a) { return a.kind == ActivityKind::kSpotNotice; });
  };
  EXPECT_EQ(notices(), 1) << "the notice is still recorded";
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kInService) << "it serves until the cloud takes it";
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 15, 130).ok()) << "a repeated notice";
  const Plan again = d.Step(20);
  EXPECT_EQ(notices(), 1) << "recorded once";
  EXPECT_EQ(CountActions(again, ActionKind::kLaunch), 0);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kTerminated, 130).ok());
  const Plan after = d.Step(130);
  EXPECT_EQ(CountActions(after, ActionKind::kLaunch), 1) << "the group keeps its desired once the instance is gone";
}

TEST(DecideRebalance, OnDemandAboveShareIsReplacedLaunchFirstWithinBudget) {
  GroupSpec g = SpotGroup();
  g.desired = 4;
  g.spot.rebalance_max_in_flight = 1;
  Driver d(g);
  RecordCapacityError(d.spec(), d.state(), 0, 0);
  RecordCapacityError(d.spec(), d.state(), 1, 0);
  d.Step(0);  // all on-demand (fallback)
  d.AllHealthy(100);
  EXPECT_EQ(d.CountMarket(Market::kOnDemand), 4);
  // Pools healthy again after the avoidance window.
  const Seconds later = 100 + g.spot.avoid_pool_after_capacity_error;
  Plan p = d.Step(later);
  ASSERT_EQ(CountActions(p, ActionKind::kLaunch), 1) << "churn budget of one";
  EXPECT_TRUE(HasActivity(p, ActivityKind::kRebalance));
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0) << "launch first, drain after";
  EXPECT_EQ(d.CountMarket(Market::kOnDemand), 4);
  // The spot instance serves: exactly then one on-demand instance drains.
  d.AllHealthy(later + 200);
  p = d.Step(later + 200);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1);
  EXPECT_EQ(d.CountMarket(Market::kOnDemand), 3);
  // With the first swap done, the budget allows the next one.
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1);
  EXPECT_EQ(d.CountMarket(Market::kSpot), 2);
}

TEST(DecideLifecycle, UnhealthyIsTerminatedAndReplaced) {
  Driver d = Steady(SpotGroup());
  const InstanceId id = d.Ids().back();
  ASSERT_TRUE(d.Observe(id, InstanceEvent::kUnhealthy, 50).ok());
  const Plan p = d.Step(50);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1);
  EXPECT_TRUE(HasActivity(p, ActivityKind::kReplace));
  EXPECT_EQ(d.state().Find(id), nullptr);
}

TEST(DecideLifecycle, ProvisioningPastTheGraceIsUnhealthy) {
  GroupSpec g = SpotGroup();
  g.health_check.grace = 300;
  Driver d(g);
  d.Step(0);
  Plan p = d.Step(300);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 0);
  p = d.Step(301);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 2);
  EXPECT_TRUE(HasActivity(p, ActivityKind::kUnhealthy));
  // Two launches failed in a row: the replacements back off 5 s.
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  p = d.Step(306);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 2);
}

TEST(DecideLifecycle, DrainingEndsWhenDrainedOrAtTheTimeout) {
  GroupSpec g = SpotGroup();
  g.desired = 3;
  g.drain_timeout = 30;
  Driver d = Steady(g);
  d.state().desired = 1;
  d.Step(10);
  ASSERT_EQ(d.Count(InstanceState::kDraining), 2);
  const InstanceId first = [&] {
    for (const Instance& in : d.state().instances) {
      if (in.state == InstanceState::kDraining) return in.id;
    }
    return Id(0);
  }();
  ASSERT_TRUE(d.Observe(first, InstanceEvent::kDrained, 15).ok());
  Plan p = d.Step(15);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1);
  p = d.Step(40);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1) << "the other one at the timeout";
  EXPECT_EQ(d.Count(InstanceState::kDraining), 0);
}

TEST(DecideLifecycle, ScaleInRemovesNotYetServingFirst) {
  Driver d = Steady(SpotGroup());
  d.state().desired = 3;
  d.Step(10);  // one pending
  d.state().desired = 2;
  const Plan p = d.Step(20);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1) << "the pending one, terminated at once";
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0);
}

TEST(DecideLifecycle, ObservationsOfUnknownOrIllegalAreRefusedAndChangeNothing) {
  Driver d = Steady(SpotGroup());
  EXPECT_EQ(d.Observe(Id(999), InstanceEvent::kHealthy, 10).code(), StatusCode::kNotFound);
  d.state().desired = 1;
  d.Step(10);  // one instance drains; a draining instance cannot become healthy again
  ASSERT_EQ(d.Count(InstanceState::kDraining), 1);
  for (const Instance& in : d.state().instances) {
    if (in.state == InstanceState::kDraining) {
      const Status s = d.Observe(in.id, InstanceEvent::kHealthy, 11);
      EXPECT_EQ(s.code(), StatusCode::kIllegalTransition);
      EXPECT_EQ(d.state().Find(in.id)->state, InstanceState::kDraining);
    }
  }
}

TEST(DecideActivity, EveryDesiredChangeHasACauseAndFromTo) {
  GroupSpec g = SpotGroup();
  g.alarms = {CpuAlarm("high", Comparison::kGreaterThanOrEqual, 50, 2, 2)};
  g.policies = {Simple("out", "high", 2, 0)};
  Driver d = Steady(g);
  d.Cpu(0, 70);
  Plan p = d.Step(60, true);
  EXPECT_FALSE(HasActivity(p, ActivityKind::kScaleOut)) << "2 of 2 needs two datapoints";
  d.Cpu(1, 70);
  p = d.Step(120, true);
  ASSERT_TRUE(HasActivity(p, ActivityKind::kScaleOut));
  EXPECT_EQ(p.activities[0].from, 2);
  EXPECT_EQ(p.activities[0].to, 4);
  EXPECT_NE(p.activities[0].cause.find("policy 'out'"), std::string::npos);
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(DecideScaleIn, KeepsTheOnDemandBaseWhenSpotIsAboveItsShare) {
  GroupSpec g = testing::SpotGroup();
  g.desired = 5;
  testing::Driver d(g);
  d.Step(0);  // the on-demand base launches first: the oldest instance
  d.AllHealthy(0);
  d.state().desired = 4;
  d.Step(10);
  EXPECT_EQ(d.CountMarket(Market::kOnDemand), 1) << "the base stays even though it is the oldest";
  EXPECT_EQ(d.CountMarket(Market::kSpot), 3);
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(DecideBackoff, LaunchesThatFailBeforeServingBackOffAndServingResetsIt) {
  EXPECT_EQ(LaunchBackoff(1), 0);
  EXPECT_EQ(LaunchBackoff(2), 5);
  EXPECT_EQ(LaunchBackoff(3), 10);
  EXPECT_EQ(LaunchBackoff(20), 300);
  GroupSpec g = testing::SpotGroup();
  g.desired = 1;
  g.min = 1;
  testing::Driver d(g);
  d.Step(0);
  // Two launches in a row fail before serving.
  ASSERT_TRUE(d.Observe(d.Ids().back(), InstanceEvent::kUnhealthy, 10).ok());
  Plan p = d.Step(10);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1) << "the first failure is retried at once";
  ASSERT_TRUE(d.Observe(d.Ids().back(), InstanceEvent::kUnhealthy, 20).ok());
  p = d.Step(20);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "the second waits 5 s";
  p = d.Step(24);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  p = d.Step(25);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1);
  d.AllHealthy(60);
  EXPECT_EQ(d.state().failed_launches, 0);
}

// The controller applies a poll's facts as a batch: an instance the cloud
// took is only marked, answers later facts as an unknown instance would,
// and leaves with the others in one pass; the state and activities are
// those of the facts applied one by one.
TEST(DecideObserve, ABatchOfFactsLeavesWhatFactsOneByOneLeave) {
  GroupSpec g = SpotGroup();
  g.desired = 3;
  Driver d = Steady(g);
  GroupState one = d.state();
  GroupState batch = d.state();
  ASSERT_EQ(one.instances.size(), 3u);
  const InstanceId a = one.instances[0].id;
  const InstanceId b = one.instances[1].id;
  const std::vector<InstanceObservation> facts = {{a, InstanceEvent::kTerminated, kNever, ""},
                                                  {b, InstanceEvent::kDrained, kNever, ""},
                                                  {a, InstanceEvent::kHealthy, kNever, ""},
                                                  {b, InstanceEvent::kTerminated, kNever, ""},
                                                  {b, InstanceEvent::kTerminated, kNever, ""}};
  std::vector<Activity> acts_one;
  std::vector<Activity> acts_batch;
  for (const InstanceObservation& f : facts) {
    const Status s1 = ApplyObservation(d.spec(), one, f, 50, &acts_one);
    const Status s2 = ApplyObservationInBatch(d.spec(), batch, f, 50, &acts_batch);
    EXPECT_EQ(s1.code(), s2.code());
    EXPECT_EQ(s1.message(), s2.message());
  }
  EXPECT_EQ(batch.instances.size(), 3u) << "marked, not removed yet";
  DropTerminated(batch);
  ASSERT_EQ(batch.instances.size(), 1u);
  ASSERT_EQ(one.instances.size(), 1u);
  EXPECT_EQ(batch.instances[0].id, one.instances[0].id);
  EXPECT_EQ(batch.replace_causes, one.replace_causes);
  ASSERT_EQ(acts_batch.size(), acts_one.size());
  for (std::size_t i = 0; i < acts_one.size(); ++i) EXPECT_EQ(acts_batch[i].cause, acts_one[i].cause);
}

}  // namespace
}  // namespace shoal
