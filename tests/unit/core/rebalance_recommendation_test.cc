// EC2 rebalance recommendations (InstanceEvent::kRebalanceRecommended): a
// spot instance at risk is replaced launch-first in another pool and drained
// once its replacement serves. One test per rule, each failing if it breaks.
#include <gtest/gtest.h>

#include "core/capacity.h"
#include "core/decide.h"
#include "decide_test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

using testing::CountActions;
using testing::Driver;
using testing::SpotGroup;

// desired 3: one on-demand (the base) and two spot in pool 0, the cheapest,
// all in service at t=0.
Driver Steady(GroupSpec spec) {
  spec.desired = 3;
  Driver d(std::move(spec));
  d.Step(0);
  d.AllHealthy(0);
  return d;
}

InstanceId FirstSpot(Driver& d, int skip = 0) {
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot && skip-- == 0) return in.id;
  }
  return {};
}

InstanceId OnDemand(Driver& d) {
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kOnDemand) return in.id;
  }
  return {};
}

std::vector<Action> Launches(const Plan& p) {
  std::vector<Action> out;
  for (const Action& a : p.actions) {
    if (a.kind == ActionKind::kLaunch) out.push_back(a);
  }
  return out;
}

double CountedUnits(Driver& d) {
  double units = 0;
  for (const Instance& in : d.state().instances) units += CountsTowardCapacity(in.state) ? in.weight : 0;
  for (const PendingLaunch& p : d.state().launches) units += p.weight;
  return units;
}

// --- ApplyObservation --------------------------------------------------------

TEST(RebalanceRecommendation, MarksASpotInstanceAtRiskOnceAndAvoidsItsPool) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  const int pool = d.state().Find(spot)->pool;
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 250).ok());  // repeated: no change
  const Instance& in = *d.state().Find(spot);
  EXPECT_TRUE(in.at_risk());
  EXPECT_EQ(in.rebalance_recommended_at, 100) << "the first recommendation counts";
  EXPECT_EQ(in.state, InstanceState::kInService) << "it keeps serving until its replacement does";
  EXPECT_EQ(d.state().pool_avoid_until[pool], 100 + d.spec().spot.avoid_pool_after_interruption);
  ASSERT_EQ(d.activities().size(), 1u);
  EXPECT_EQ(d.activities()[0].kind, ActivityKind::kRebalance);
  EXPECT_NE(d.activities()[0].cause.find("rebalance recommendation for " + spot.str()), std::string::npos)
      << d.activities()[0].cause;
}

TEST(RebalanceRecommendation, MarksAStartingSpotInstanceToo) {
  GroupSpec g = SpotGroup();
  g.desired = 3;
  Driver d(g);
  d.Step(0);  // launched, not serving yet
  const InstanceId spot = FirstSpot(d);
  ASSERT_EQ(d.state().Find(spot)->state, InstanceState::kPending);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 10).ok());
  EXPECT_TRUE(d.state().Find(spot)->at_risk());
}

TEST(RebalanceRecommendation, IgnoredForOnDemand) {
  Driver d = Steady(SpotGroup());
  const InstanceId od = OnDemand(d);
  ASSERT_TRUE(d.Observe(od, InstanceEvent::kRebalanceRecommended, 100).ok());
  EXPECT_FALSE(d.state().Find(od)->at_risk());
  EXPECT_TRUE(d.activities().empty());
  EXPECT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 0);
}

TEST(RebalanceRecommendation, IgnoredForInstancesAlreadyLeaving) {
  Driver d = Steady(SpotGroup());
  const InstanceId noticed = FirstSpot(d, 0);
  const InstanceId draining = FirstSpot(d, 1);
  ASSERT_TRUE(d.Observe(noticed, InstanceEvent::kNotice, 100, 220).ok());
  ASSERT_EQ(d.state().Find(noticed)->state, InstanceState::kInterrupted);
  ASSERT_TRUE(Transition(*d.state().Find(draining), InstanceState::kDraining, 100).ok());
  d.activities().clear();
  for (InstanceId id : {noticed, draining}) {
    ASSERT_TRUE(d.Observe(id, InstanceEvent::kRebalanceRecommended, 100).ok());
    EXPECT_FALSE(d.state().Find(id)->at_risk()) << id.str();
  }
  EXPECT_TRUE(d.activities().empty());
  // Only the two leavers are replaced, each once, as plain capacity.
  const Plan p = d.Step(100);
  ASSERT_EQ(Launches(p).size(), 2u);
  for (const Action& a : Launches(p)) EXPECT_TRUE(a.replaces.empty());
  // Once terminating, still nothing.
  ASSERT_TRUE(Transition(*d.state().Find(draining), InstanceState::kTerminating, 110).ok());
  ASSERT_TRUE(d.Observe(draining, InstanceEvent::kRebalanceRecommended, 110).ok());
  EXPECT_FALSE(d.state().Find(draining)->at_risk());
  EXPECT_EQ(CountActions(d.Step(110), ActionKind::kLaunch), 0);
}

TEST(RebalanceRecommendation, IgnoredWhenTheGroupDoesNotRebalanceCapacity) {
  GroupSpec g = SpotGroup();
  g.spot.capacity_rebalance = false;
  Driver d = Steady(g);
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  EXPECT_FALSE(d.state().Find(spot)->at_risk());
  EXPECT_EQ(d.state().pool_avoid_until[0], 0) << "the pool is not avoided either";
  EXPECT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 0);
}

// --- Decide: the replacement ---------------------------------------------------

TEST(RebalanceRecommendation, ReplacementGoesToAnotherSpotPoolMarkedAsReplacing) {
  GroupSpec g = SpotGroup();
  // Without the pool avoidance, pool 0 is still the cheapest: the
  // replacement must leave it all the same.
  g.spot.avoid_pool_after_interruption = 0;
  Driver d = Steady(g);
  const InstanceId spot = FirstSpot(d);
  ASSERT_EQ(d.state().Find(spot)->pool, 0);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  const Plan p = d.Step(100);
  const std::vector<Action> launches = Launches(p);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].market, Market::kSpot);
  EXPECT_EQ(launches[0].pool, 1);
  EXPECT_EQ(launches[0].replaces, spot);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0) << "launch first, drain after";
  bool recorded = false;
  for (const Activity& a : p.activities) {
    recorded = recorded || (a.kind == ActivityKind::kRebalance &&
                            a.cause.find("rebalance recommendation for " + spot.str()) != std::string::npos &&
                            a.cause.find("replacing in spot pool m4.large/us-east-1b") != std::string::npos);
  }
  EXPECT_TRUE(recorded);
  // The replacement instance carries the mark, and only one is launched.
  int replacing = 0;
  for (const Instance& in : d.state().instances) replacing += in.replaces == spot;
  EXPECT_EQ(replacing, 1);
  EXPECT_EQ(CountActions(d.Step(110), ActionKind::kLaunch), 0) << "one replacement per at-risk instance";
}

TEST(RebalanceRecommendation, NewCapacityAvoidsTheAtRiskPoolToo) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  d.state().desired = 5;  // a scale-out in the same tick
  const Plan p = d.Step(100);
  for (const Action& a : Launches(p)) {
    EXPECT_NE(a.pool, 0) << "pool 0 is at risk";
  }
}

TEST(RebalanceRecommendation, AtRiskDrainsOnlyOnceItsReplacementServes) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  d.Step(100);
  // Still starting: the at-risk instance keeps serving.
  Plan p = d.Step(160);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0);
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kInService);
  EXPECT_DOUBLE_EQ(CountedUnits(d), 4) << "desired 3 plus the replacement";
  // It serves: now the at-risk one drains, and nothing else is launched.
  d.AllHealthy(280);
  p = d.Step(280);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kDraining);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kDrained, 290).ok());
  p = d.Step(290);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1);
  EXPECT_EQ(d.state().Find(spot), nullptr) << "terminated as drained instances are";
  EXPECT_DOUBLE_EQ(CountedUnits(d), 3);
  EXPECT_EQ(d.Count(InstanceState::kInService), 3);
}

TEST(RebalanceRecommendation, AtRiskThatNeverServedIsTerminatedOnceTheReplacementServes) {
  GroupSpec g = SpotGroup();
  g.desired = 3;
  Driver d(g);
  d.Step(0);
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 10).ok());
  d.Step(10);
  // Only the replacement becomes healthy.
  InstanceId replacement;
  for (const Instance& in : d.state().instances) {
    if (in.replaces == spot) replacement = in.id;
  }
  ASSERT_FALSE(replacement.empty());
  ASSERT_TRUE(d.Observe(replacement, InstanceEvent::kHealthy, 200).ok());
  const Plan p = d.Step(200);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1);
  EXPECT_EQ(d.state().Find(spot), nullptr);
}

TEST(RebalanceRecommendation, OnDemandWhenNoOtherSpotPoolAndTheGroupFallsBack) {
  Driver d = Steady(SpotGroup());
  RecordCapacityError(d.spec(), d.state(), 1, 90);  // the only other pool
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  const Plan p = d.Step(100);
  const std::vector<Action> launches = Launches(p);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].market, Market::kOnDemand);
  EXPECT_EQ(launches[0].replaces, spot);
}

TEST(RebalanceRecommendation, NoReplacementWhenNoOtherSpotPoolAndNoFallback) {
  GroupSpec g = SpotGroup();
  g.spot.fallback_to_on_demand = false;
  Driver d = Steady(g);
  RecordCapacityError(d.spec(), d.state(), 1, 90);
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  EXPECT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 0);
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kInService) << "it stays until its notice, if any";
}

TEST(RebalanceRecommendation, ReplacementsShareTheRebalanceBudget) {
  GroupSpec g = SpotGroup();
  g.spot.rebalance_max_in_flight = 1;
  Driver d = Steady(g);
  const InstanceId a = FirstSpot(d, 0);
  const InstanceId b = FirstSpot(d, 1);
  ASSERT_TRUE(d.Observe(a, InstanceEvent::kRebalanceRecommended, 100).ok());
  ASSERT_TRUE(d.Observe(b, InstanceEvent::kRebalanceRecommended, 100).ok());
  EXPECT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 1) << "one in flight at a time";
  EXPECT_EQ(CountActions(d.Step(150), ActionKind::kLaunch), 0);
  d.AllHealthy(280);
  const Plan p = d.Step(280);  // the first swap completes: the second starts
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1);
}

TEST(RebalanceRecommendation, NoBudgetNoReplacement) {
  GroupSpec g = SpotGroup();
  g.spot.rebalance_max_in_flight = 0;
  Driver d = Steady(g);
  ASSERT_TRUE(d.Observe(FirstSpot(d), InstanceEvent::kRebalanceRecommended, 100).ok());
  EXPECT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 0);
}

TEST(RebalanceRecommendation, ReplacementNeverTakesCountedCapacityAboveMax) {
  GroupSpec g = SpotGroup();
  g.max = 3;
  Driver d = Steady(g);  // desired 3 = max
  ASSERT_TRUE(d.Observe(FirstSpot(d), InstanceEvent::kRebalanceRecommended, 100).ok());
  EXPECT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 0);
  d.spec().max = 4;
  EXPECT_EQ(CountActions(d.Step(110), ActionKind::kLaunch), 1) << "room for it once max allows";
}

// --- after the recommendation: notice, death, a failed replacement -------------

TEST(RebalanceRecommendation, ANoticeAfterTheRecommendationLaunchesNoSecondReplacement) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  ASSERT_EQ(CountActions(d.Step(100), ActionKind::kLaunch), 1);
  d.activities().clear();
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 150, 270).ok());
  ASSERT_EQ(d.activities().size(), 1u);
  EXPECT_NE(d.activities()[0].cause.find("replacement is already launched"), std::string::npos)
      << d.activities()[0].cause;
  EXPECT_TRUE(d.state().replace_causes.empty()) << "nothing left to replace";
  Plan p = d.Step(150);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0) << "the replacement under way is the capacity";
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 1) << "the noticed instance drains at once";
  for (const Instance& in : d.state().instances) EXPECT_TRUE(in.replaces.empty()) << "plain capacity now";
  EXPECT_DOUBLE_EQ(CountedUnits(d), 3);
  // Serving changes nothing more: no scale-in, no launch.
  d.AllHealthy(280);
  p = d.Step(280);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 0);
  EXPECT_EQ(CountActions(p, ActionKind::kDrain), 0);
  EXPECT_EQ(d.Count(InstanceState::kInService), 3);
}

TEST(RebalanceRecommendation, ANoticeBeforeTheReplacementIsKnownLaunchesNoSecondOneEither) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  // Decide without the Driver's instant cloud: the replacement stays a pending launch.
  const Plan first = Decide(d.spec(), d.state(), testing::Obs(d.spec(), false), 100);
  ASSERT_EQ(CountActions(first, ActionKind::kLaunch), 1);
  ASSERT_EQ(d.state().launches.size(), 1u);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kNotice, 120, 240).ok());
  const Plan p = d.Step(130);
  EXPECT_EQ(Launches(p).size(), 1u) << "only the retry of the pending launch";
  for (const Action& a : Launches(p)) EXPECT_EQ(a.token, Launches(first)[0].token);
  EXPECT_DOUBLE_EQ(CountedUnits(d), 3);
}

TEST(RebalanceRecommendation, AtRiskInstanceThatDiesFirstLeavesTheReplacementAsCapacity) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  d.Step(100);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kTerminated, 130).ok());
  EXPECT_TRUE(d.state().replace_causes.empty());
  EXPECT_EQ(CountActions(d.Step(130), ActionKind::kLaunch), 0);
  EXPECT_DOUBLE_EQ(CountedUnits(d), 3);
}

TEST(RebalanceRecommendation, AFailedReplacementIsLaunchedAgain) {
  Driver d = Steady(SpotGroup());
  const InstanceId spot = FirstSpot(d);
  ASSERT_TRUE(d.Observe(spot, InstanceEvent::kRebalanceRecommended, 100).ok());
  d.Step(100);
  InstanceId replacement;
  for (const Instance& in : d.state().instances) {
    if (in.replaces == spot) replacement = in.id;
  }
  ASSERT_FALSE(replacement.empty());
  ASSERT_TRUE(d.Observe(replacement, InstanceEvent::kUnhealthy, 200).ok());
  EXPECT_TRUE(d.state().replace_causes.empty()) << "a replacement's loss is not lost capacity";
  const Plan p = d.Step(200);
  const std::vector<Action> launches = Launches(p);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].replaces, spot);
  EXPECT_EQ(d.state().Find(spot)->state, InstanceState::kInService);
}

TEST(RebalanceRecommendation, ScaleInTakesAtRiskInstancesFirst) {
  Driver d = Steady(SpotGroup());
  d.spec().spot.rebalance_max_in_flight = 0;  // no replacement: only the scale-in order counts
  const InstanceId younger = FirstSpot(d, 1);  // launched last: never first otherwise
  ASSERT_TRUE(d.Observe(younger, InstanceEvent::kRebalanceRecommended, 100).ok());
  d.state().desired = 2;
  d.Step(100);
  EXPECT_EQ(d.state().Find(younger)->state, InstanceState::kDraining);
}

}  // namespace
}  // namespace shoal
