// The warm pool (GroupSpec::warm_pool): instances launched, provisioned and
// stopped; started first on a shortfall with spot launched behind them;
// back to the pool once the spot capacity serves; refilled to its size.
// One test per rule and per lifecycle transition.
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

// SpotGroup (one on-demand base, the rest spot) with a warm pool of `size`.
GroupSpec WarmGroup(int size = 2) {
  GroupSpec g = SpotGroup();
  g.warm_pool.size = size;
  return g;
}

std::vector<InstanceId> InState(Driver& d, InstanceState s, bool warm = true) {
  std::vector<InstanceId> out;
  for (const Instance& in : d.state().instances) {
    if (in.state == s && in.warm == warm) out.push_back(in.id);
  }
  return out;
}

int WarmLaunches(const Plan& p) {
  int n = 0;
  for (const Action& a : p.actions) n += a.kind == ActionKind::kLaunch && a.warm;
  return n;
}

// Every warming instance reports provisioned: it is stopped into the pool.
void ProvisionWarm(Driver& d, Seconds now) {
  for (InstanceId id : InState(d, InstanceState::kWarming)) {
    ASSERT_TRUE(d.Observe(id, InstanceEvent::kProvisioned, now).ok());
  }
}

// desired 2 in service and a full, stopped pool at t=100.
Driver Ready(GroupSpec spec) {
  Driver d(std::move(spec));
  d.Step(0);
  d.AllHealthy(50);
  ProvisionWarm(d, 60);
  d.Step(100);  // the stops are due
  return d;
}

TEST(WarmPool, FillsThePoolAtStartWithoutCountingIt) {
  Driver d(WarmGroup(2));
  const Plan p = d.Step(0);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 4) << "desired 2 and a pool of 2";
  EXPECT_EQ(WarmLaunches(p), 2);
  EXPECT_EQ(InState(d, InstanceState::kWarming).size(), 2u);
  EXPECT_EQ(d.Count(InstanceState::kPending), 2) << "the warm ones are not capacity";
  for (InstanceId id : InState(d, InstanceState::kWarming)) {
    EXPECT_FALSE(d.state().Find(id)->registered) << "a warm instance never joins the load balancer while warming";
  }
  EXPECT_EQ(CountActions(d.Step(10), ActionKind::kLaunch), 0) << "nothing missing, nothing launched twice";
}

TEST(WarmPool, PendingWarmLaunchesCountTowardThePoolNotCapacity) {
  GroupSpec g = WarmGroup(1);
  GroupState s = InitialState(g);
  const Plan p = Decide(g, s, testing::Obs(g, false), 0);
  ASSERT_EQ(s.launches.size(), 3u);
  const Plan again = Decide(g, s, testing::Obs(g, false), 5);  // the launches' answers are not in yet
  int launches = 0;
  for (const Action& a : again.actions) launches += a.kind == ActionKind::kLaunch && a.reason.rfind("retry", 0) != 0;
  EXPECT_EQ(launches, 0);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 3);
}

TEST(WarmPool, ProvisionedWarmInstanceIsStoppedIntoThePool) {
  Driver d(WarmGroup(1));
  d.Step(0);
  const InstanceId warm = InState(d, InstanceState::kWarming).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kProvisioned, 40).ok());
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kStopped);
  EXPECT_FALSE(d.state().Find(warm)->stop_requested);
  ASSERT_FALSE(d.activities().empty());
  EXPECT_EQ(d.activities().back().kind, ActivityKind::kWarmPool);
  const Plan p = d.Step(45);
  ASSERT_EQ(CountActions(p, ActionKind::kStop), 1);
  EXPECT_TRUE(d.state().Find(warm)->stop_requested);
  EXPECT_EQ(CountActions(d.Step(50), ActionKind::kStop), 0) << "asked once, once it succeeded";
}

TEST(WarmPool, HealthyWhileWarmingAlsoStopsIt) {
  Driver d(WarmGroup(1));
  d.Step(0);
  const InstanceId warm = InState(d, InstanceState::kWarming).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kHealthy, 40).ok());
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kStopped);
}

TEST(WarmPool, FailedStopIsRetried) {
  Driver d(WarmGroup(1));
  d.Step(0);
  const InstanceId warm = InState(d, InstanceState::kWarming).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kProvisioned, 40).ok());
  GroupState& s = d.state();
  const Plan p = Decide(d.spec(), s, testing::Obs(d.spec(), false), 45);
  ASSERT_EQ(CountActions(p, ActionKind::kStop), 1);
  Action stop;
  stop.kind = ActionKind::kStop;
  stop.instance = warm;
  RecordOutcome(s, stop, Status::Unavailable("no answer"), 45);
  EXPECT_FALSE(s.Find(warm)->stop_requested);
  const Seconds next = s.Find(warm)->retry.next_at;
  EXPECT_EQ(CountActions(Decide(d.spec(), s, testing::Obs(d.spec(), false), next), ActionKind::kStop), 1);
}

TEST(WarmPool, ShortfallStartsWarmInstancesFirstWithSpotBehindThem) {
  Driver d = Ready(WarmGroup(2));
  ASSERT_EQ(InState(d, InstanceState::kStopped).size(), 2u);
  (void)SetDesired(d.spec(), d.state(), 4, 200, ActivityKind::kSetDesired, "test");
  const Plan p = d.Step(200);
  const std::vector<InstanceId> starting = InState(d, InstanceState::kStarting);
  ASSERT_EQ(starting.size(), 2u) << "both warm instances start";
  EXPECT_EQ(CountActions(p, ActionKind::kStart), 2);
  int behind = 0;
  for (const Instance& in : d.state().instances) {
    if (in.replaces.empty()) continue;
    EXPECT_EQ(in.market, Market::kSpot);
    EXPECT_EQ(d.state().Find(in.replaces)->state, InstanceState::kStarting);
    ++behind;
  }
  EXPECT_EQ(behind, 2) << "spot launched behind each on-demand warm start, launch first";
  EXPECT_EQ(WarmLaunches(p), 0) << "the started ones come back: no refill for them";
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 2) << "nothing launched for the shortfall itself";
  for (InstanceId id : starting) {
    EXPECT_TRUE(d.state().Find(id)->start_requested);
    EXPECT_TRUE(d.state().Find(id)->registered) << "registered once started";
  }
}

// A spot notice's shortfall is taken by a warm start: that is the
// replacement, said in the same step, and a later scale-out is not blamed
// on the notice.
TEST(WarmPool, ANoticeAnsweredByAWarmStartIsItsReplacement) {
  Driver d = Ready(WarmGroup(2));
  InstanceId victim;
  for (const Instance& in : d.state().instances) {
    if (in.market == Market::kSpot && !in.warm) victim = in.id;
  }
  ASSERT_FALSE(victim.empty());
  ASSERT_TRUE(d.Observe(victim, InstanceEvent::kNotice, 200, 320).ok());
  Plan p = d.Step(200);
  EXPECT_EQ(CountActions(p, ActionKind::kStart), 1);
  const Activity* replace = nullptr;
  for (const Activity& a : p.activities) {
    if (a.kind == ActivityKind::kReplace) replace = &a;
  }
  ASSERT_NE(replace, nullptr);
  EXPECT_NE(replace->cause.find("replacing spot notice"), std::string::npos) << replace->cause;
  EXPECT_NE(replace->cause.find("started 1 from the warm pool"), std::string::npos) << replace->cause;
  EXPECT_TRUE(d.state().replace_causes.empty());
  (void)SetDesired(d.spec(), d.state(), 6, 260, ActivityKind::kSetDesired, "test");
  p = d.Step(260);
  EXPECT_FALSE(testing::HasActivity(p, ActivityKind::kReplace)) << "the scale-out replaces nothing";
}

TEST(WarmPool, StartedWarmInstanceServesOnHealthy) {
  Driver d = Ready(WarmGroup(1));
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  d.Step(200);
  const InstanceId warm = InState(d, InstanceState::kStarting).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kHealthy, 260).ok());
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kInService);
  EXPECT_EQ(d.state().Find(warm)->in_service_at, 260);
}

TEST(WarmPool, GoesBackToThePoolOnceTheSpotBehindItServes) {
  Driver d = Ready(WarmGroup(1));
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  d.Step(200);
  const InstanceId warm = InState(d, InstanceState::kStarting).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kHealthy, 260).ok());
  d.AllHealthy(380);  // the spot launched behind it serves
  d.Step(381);
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kDraining) << "rebalanced to spot";
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kDrained, 390).ok());
  const Plan p = d.Step(391);
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kStopped) << "back to the pool, not terminated";
  EXPECT_EQ(CountActions(p, ActionKind::kStop), 1);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 0);
  EXPECT_EQ(d.CountMarket(Market::kSpot), 2);
  EXPECT_EQ(d.CountMarket(Market::kOnDemand), 1) << "the base only";
  EXPECT_EQ(WarmLaunches(p), 0) << "the pool is full again";
}

TEST(WarmPool, OnDemandShareIsTakenByAWarmStartWithoutSpotBehindIt) {
  Driver d = Ready(WarmGroup(1));  // one on-demand (the base), one spot
  d.spec().capacity.on_demand_base = 2;
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  const Plan p = d.Step(200);
  ASSERT_EQ(InState(d, InstanceState::kStarting).size(), 1u) << "the missing on-demand unit";
  for (const Instance& in : d.state().instances) EXPECT_TRUE(in.replaces.empty()) << in.id.str();
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1) << "nothing behind it: it stays";
  EXPECT_EQ(WarmLaunches(p), 1) << "so the pool is refilled at once";
}

TEST(WarmPool, NoSpotPoolLeavesTheWarmStartServing) {
  Driver d = Ready(WarmGroup(1));
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  std::vector<double> none(d.spec().capacity.spot_pools.size(), 9.0);  // above the bid everywhere
  const Plan p = d.Step(200, false, none);
  ASSERT_EQ(InState(d, InstanceState::kStarting).size(), 1u);
  for (const Instance& in : d.state().instances) EXPECT_TRUE(in.replaces.empty());
  EXPECT_EQ(CountActions(p, ActionKind::kStart), 1);
}

TEST(WarmPool, ScaleInWhileStartingStopsItAgain) {
  Driver d = Ready(WarmGroup(1));
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  d.Step(200);
  const InstanceId warm = InState(d, InstanceState::kStarting).at(0);
  (void)SetDesired(d.spec(), d.state(), 2, 210, ActivityKind::kSetDesired, "test");
  const Plan p = d.Step(210);
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kStopped);
  EXPECT_EQ(CountActions(p, ActionKind::kStop), 1);
}

TEST(WarmPool, DrainedWarmInstanceIsTerminatedWhenThePoolIsFull) {
  Driver d = Ready(WarmGroup(1));
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  d.Step(200);
  const InstanceId warm = InState(d, InstanceState::kStarting).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kHealthy, 260).ok());
  // A new warm instance fills the pool meanwhile (the size was raised and lowered).
  d.spec().warm_pool.size = 2;
  d.Step(270);
  ProvisionWarm(d, 300);
  d.spec().warm_pool.size = 1;
  d.AllHealthy(380);
  d.Step(381);
  ASSERT_EQ(d.state().Find(warm)->state, InstanceState::kDraining);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kDrained, 390).ok());
  d.Step(391);
  EXPECT_EQ(d.state().Find(warm), nullptr) << "terminated: the pool had no room";
}

TEST(WarmPool, LoweredSizeTerminatesStoppedInstancesAboveIt) {
  Driver d = Ready(WarmGroup(2));
  d.spec().warm_pool.size = 0;
  const Plan p = d.Step(200);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 2);
  EXPECT_TRUE(InState(d, InstanceState::kStopped).empty());
}

// A deploy moved the group to release 3: the stopped warm instances (the
// release they booted) are replaced by warm launches of release 3, so a
// warm start never brings the old release back into service.
TEST(WarmPool, AStoppedInstanceOfAnotherReleaseIsReplacedByOneOfTheCurrent) {
  GroupSpec g = WarmGroup(2);
  g.launch.release = "1";
  Driver d(g);
  d.Step(0);
  d.AllHealthy(50);
  ProvisionWarm(d, 60);
  d.Step(100);
  ASSERT_EQ(InState(d, InstanceState::kStopped).size(), 2u);
  EXPECT_EQ(CountActions(d.Step(150), ActionKind::kTerminate), 0) << "no deploy yet: the pool stays";
  for (Instance& in : d.state().instances) {
    if (in.warm) in.version = 1;
  }
  EXPECT_EQ(CountActions(d.Step(160), ActionKind::kTerminate), 0) << "release 1 is what launches boot";

  d.state().release_version = 3;  // what a finished deploy leaves
  const Plan p = d.Step(200);
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 2);
  EXPECT_EQ(WarmLaunches(p), 2);
  for (const PendingLaunch& l : d.state().launches) {
    if (l.warm) {
      EXPECT_EQ(l.release, "3");
    }
  }
  EXPECT_TRUE(InState(d, InstanceState::kStopped).empty());
  EXPECT_EQ(d.Count(InstanceState::kInService), 2) << "the serving instances are the deploy's business";
}

TEST(WarmPool, RefilledAfterUse) {
  GroupSpec g = WarmGroup(1);
  g.spot.rebalance_to_spot = false;
  Driver d = Ready(g);
  std::vector<double> none(d.spec().capacity.spot_pools.size(), 9.0);
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  const Plan p = d.Step(200, false, none);  // started, nothing behind it: it stays on-demand
  EXPECT_EQ(WarmLaunches(p), 1) << "the pool is refilled";
  EXPECT_EQ(InState(d, InstanceState::kWarming).size(), 1u);
}

TEST(WarmPool, WarmingPastTheGraceIsReplaced) {
  Driver d(WarmGroup(1));
  d.Step(0);
  d.AllHealthy(50);
  const InstanceId warm = InState(d, InstanceState::kWarming).at(0);
  const Plan p = d.Step(d.spec().health_check.grace + 1);
  EXPECT_EQ(d.state().Find(warm), nullptr) << "unhealthy, terminated";
  EXPECT_EQ(CountActions(p, ActionKind::kTerminate), 1);
  EXPECT_EQ(d.state().failed_launches, 1);
}

TEST(WarmPool, FailedProvisioningWhileWarmingIsUnhealthy) {
  Driver d(WarmGroup(1));
  d.Step(0);
  const InstanceId warm = InState(d, InstanceState::kWarming).at(0);
  ASSERT_TRUE(d.Observe(warm, InstanceEvent::kUnhealthy, 30).ok());
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kUnhealthy);
  d.Step(31);
  EXPECT_EQ(d.state().Find(warm), nullptr);
}

TEST(WarmPool, StartingPastTheGraceIsReplaced) {
  Driver d = Ready(WarmGroup(1));
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  d.Step(200);
  const InstanceId warm = InState(d, InstanceState::kStarting).at(0);
  d.Step(200 + d.spec().health_check.grace + 1);
  EXPECT_EQ(d.state().Find(warm), nullptr);
}

TEST(WarmPool, SpotWarmPoolStartsWithoutAnythingBehindIt) {
  GroupSpec g = WarmGroup(1);
  g.warm_pool.pool = g.capacity.spot_pools[1].name;
  Driver d = Ready(g);
  const InstanceId warm = InState(d, InstanceState::kStopped).at(0);
  EXPECT_EQ(d.state().Find(warm)->market, Market::kSpot);
  EXPECT_EQ(d.state().Find(warm)->pool, 1);
  (void)SetDesired(d.spec(), d.state(), 3, 200, ActivityKind::kSetDesired, "test");
  const Plan p = d.Step(200);
  EXPECT_EQ(d.state().Find(warm)->state, InstanceState::kStarting);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1) << "only the refill";
}

TEST(WarmPool, NoPoolNoWarmInstances) {
  Driver d(SpotGroup());
  const Plan p = d.Step(0);
  EXPECT_EQ(WarmLaunches(p), 0);
}

// --- lifecycle -----------------------------------------------------------------

TEST(WarmPoolLifecycle, Transitions) {
  using S = InstanceState;
  EXPECT_TRUE(IsLegalTransition(S::kWarming, S::kStopped));
  EXPECT_TRUE(IsLegalTransition(S::kWarming, S::kUnhealthy));
  EXPECT_TRUE(IsLegalTransition(S::kWarming, S::kTerminated));
  EXPECT_FALSE(IsLegalTransition(S::kWarming, S::kInService)) << "a warm instance is stopped, never served";
  EXPECT_TRUE(IsLegalTransition(S::kStopped, S::kStarting));
  EXPECT_TRUE(IsLegalTransition(S::kStopped, S::kTerminating));
  EXPECT_FALSE(IsLegalTransition(S::kStopped, S::kInService)) << "started first";
  EXPECT_TRUE(IsLegalTransition(S::kStarting, S::kInService));
  EXPECT_TRUE(IsLegalTransition(S::kStarting, S::kStopped));
  EXPECT_TRUE(IsLegalTransition(S::kDraining, S::kStopped));
  EXPECT_FALSE(IsLegalTransition(S::kInService, S::kStopped)) << "drained first";
  EXPECT_TRUE(CountsTowardCapacity(S::kStarting));
  EXPECT_FALSE(CountsTowardCapacity(S::kStopped));
  EXPECT_FALSE(CountsTowardCapacity(S::kWarming));
  for (S s : {S::kWarming, S::kStopped, S::kStarting}) {
    S parsed = S::kPending;
    ASSERT_TRUE(ParseInstanceState(ToString(s), &parsed)) << ToString(s);
    EXPECT_EQ(parsed, s);
  }
}

TEST(WarmPoolSpec, ValidatesThePool) {
  GroupSpec g = WarmGroup(1);
  EXPECT_TRUE(Validate(g).ok());
  EXPECT_EQ(WarmPoolIndex(g), kOnDemandPool);
  g.warm_pool.pool = g.capacity.spot_pools[0].name;
  EXPECT_EQ(WarmPoolIndex(g), 0);
  g.warm_pool.pool = "nowhere";
  const Status s = Validate(g);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("warm_pool.pool"), std::string::npos) << s.message();
  g.warm_pool.size = -1;
  EXPECT_FALSE(Validate(g).ok());
}

}  // namespace
}  // namespace shoal
