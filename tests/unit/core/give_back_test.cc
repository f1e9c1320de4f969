// Capacity a forecast raised for a burst is given back once the burst is
// over (core/scaling.h, GiveBackForecastRaise), not a whole calm window of
// target tracking later.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/scaling.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;
using testing::Driver;
using testing::Predictive;

constexpr std::int64_t kDay = 1440;
constexpr std::int64_t kRaise = kDay + 591;  // yesterday's burst at 600 is within the 10-minute horizon

// Target tracking at 50% CPU that scales in after 30 calm minutes.
PolicySpec Tracking() {
  PolicySpec p = testing::TargetTracking(50);
  p.name = "track";
  p.shape.scale_in_evaluation_periods = 30;
  p.shape.scale_in_datapoints = 30;
  p.shape.scale_in_ratio = 0.7;
  return p;
}

// Two instances at least; yesterday's load forecast over 10 minutes at 50%
// CPU, and target tracking at 50% that scales in after 30 calm minutes.
GroupSpec BurstGroup(bool tracking = true) {
  GroupSpec g = testing::SpotGroup();
  g.min = 2;
  g.desired = 2;
  g.max = 50;
  g.capacity.on_demand_base = 0;
  g.policies = {Predictive({1}, 10, 50)};
  if (tracking) g.policies.push_back(Tracking());
  return g;
}

// 1 unit of load, and `burst` units in yesterday's minutes 600-602 (and
// 620-622 when `twice`).
double Yesterday(std::int64_t tod, bool twice) {
  if (tod >= 600 && tod < 603) return 10;
  if (twice && tod >= 620 && tod < 623) return 10;
  return 1;
}

// Records minute m's load over the instances in service (CPU is its mean).
void Record(Driver& d, std::int64_t m, double load) {
  const int n = std::max(1, d.Count(InstanceState::kInService));
  RecordMetrics(d.state(), m, Datapoint{load * 100, 0, 0, static_cast<double>(n)}, Datapoint::Single(1));
}

// Runs day 0 and day 1 up to the forecast's raise at kRaise; the launches
// serve three minutes later (a launch lead of three minutes).
Driver RunToTheRaise(const GroupSpec& g, bool twice = false) {
  Driver d(g);
  d.Step(0);
  d.AllHealthy(0);
  for (std::int64_t m = 0; m < kRaise; ++m) Record(d, m, m < kDay ? Yesterday(m, twice) : 1.0);
  const Plan p = d.Step(kRaise * 60, true);
  EXPECT_EQ(d.state().desired, 20) << "10 units at 50%";
  EXPECT_EQ(d.state().forecast_raise.from, 2);
  EXPECT_EQ(d.state().forecast_raise.minute, kRaise);
  d.AllHealthy((kRaise + 3) * 60);
  return d;
}

// Steps minute by minute from kRaise + 1 to `until`, with today's load.
template <typename Load>
Plan StepUntil(Driver& d, std::int64_t until, Load today) {
  Plan last;
  for (std::int64_t m = kRaise + 1; m <= until; ++m) {
    Record(d, m - 1, today(m - 1 - kDay));
    last = d.Step(m * 60, true);
  }
  return last;
}

double BurstToday(std::int64_t tod) { return tod >= 600 && tod < 603 ? 10 : 1; }

TEST(GiveBack, WhatTheForecastRaisedForABurstGoesOnceTheBurstIsOver) {
  Driver d = RunToTheRaise(BurstGroup());
  StepUntil(d, kDay + 605, BurstToday);
  EXPECT_EQ(d.state().desired, 20) << "the burst's last minute (602) is within the last launch time";
  const Plan p = StepUntil(d, kDay + 606, BurstToday);
  EXPECT_EQ(d.state().desired, 2) << "target tracking alone would wait 30 calm minutes";
  ASSERT_TRUE(testing::HasActivity(p, ActivityKind::kScaleIn));
  EXPECT_THAT(p.activities[0].cause, HasSubstr("'track' gives back what the forecast raised for (it wants 2 within "
                                               "the next 30 minutes"));
  EXPECT_THAT(p.activities[0].cause, HasSubstr("2 before the raise"));
  EXPECT_EQ(d.state().forecast_raise.from, -1) << "given back in full: forgotten";
}

TEST(GiveBack, NothingGoesThatTheForecastWantsAgainWithinTheCalmWindow) {
  Driver d = RunToTheRaise(BurstGroup(), /*twice=*/true);
  const auto today = [](std::int64_t tod) { return Yesterday(tod, true); };
  StepUntil(d, kDay + 619, today);
  EXPECT_EQ(d.state().desired, 20) << "yesterday's second burst at 620 is within 30 minutes";
  // 30 minutes after the raise it is no burst's any more: target tracking's.
  StepUntil(d, kRaise + 31, today);
  EXPECT_EQ(d.state().forecast_raise.from, -1);
  EXPECT_EQ(d.state().desired, 20);
}

TEST(GiveBack, NeverBelowWhatTheLastLaunchTimeNeededAndOnUntilAllIsBack) {
  Driver d = RunToTheRaise(BurstGroup());
  // Today the burst tails off at 6 units until minute 607.
  const auto today = [](std::int64_t tod) { return tod >= 600 && tod < 603 ? 10.0 : tod >= 603 && tod < 608 ? 6.0 : 1.0; };
  StepUntil(d, kDay + 606, today);
  EXPECT_EQ(d.state().desired, 12) << "6 units in the last three minutes at 50%";
  EXPECT_EQ(d.state().forecast_raise.from, 2) << "not all back yet";
  StepUntil(d, kDay + 611, today);
  EXPECT_EQ(d.state().desired, 2);
  EXPECT_EQ(d.state().forecast_raise.from, -1);
}

TEST(GiveBack, AReactiveRaiseMakesItCapacityLikeAnyOther) {
  Driver d = RunToTheRaise(BurstGroup());
  // Today's burst is bigger than yesterday's: 14 units on 20 is 70% CPU.
  const auto today = [](std::int64_t tod) { return tod >= 600 && tod < 603 ? 14.0 : 1.0; };
  StepUntil(d, kDay + 601, today);
  EXPECT_EQ(d.state().desired, 28) << "target tracking: 20 x 70 / 50";
  EXPECT_EQ(d.state().forecast_raise.from, -1);
  StepUntil(d, kDay + 610, today);
  EXPECT_EQ(d.state().desired, 28) << "target tracking scales it in after its calm window";
}

TEST(GiveBack, NothingWhileTargetTrackingIsHotOrWithoutIt) {
  Driver d = RunToTheRaise(BurstGroup());
  StepUntil(d, kDay + 606, BurstToday);
  GroupState hot = d.state();
  hot.forecast_raise = {2, kRaise};
  hot.tt_high_states[1] = AlarmState::kAlarm;
  hot.desired = 20;
  GiveBack back = GiveBackForecastRaise(d.spec(), hot);
  EXPECT_FALSE(back.proposal.has_value());
  EXPECT_FALSE(back.finished);
  // With no target tracking there is no calm window to shorten: the raise
  // is forgotten, and whichever policy scales in decides.
  const GroupSpec alone = BurstGroup(/*tracking=*/false);
  GroupState state = InitialState(alone);
  state.forecast_raise = {2, 10};
  state.last_evaluated_minute = 20;
  state.desired = 20;
  back = GiveBackForecastRaise(alone, state);
  EXPECT_FALSE(back.proposal.has_value());
  EXPECT_TRUE(back.finished);
}

// A config change (a reload) keeps a raise under way, so what it raised
// for is still given back after it.
TEST(GiveBack, AConfigChangeKeepsARaiseUnderWay) {
  const GroupSpec g = BurstGroup();
  GroupState state = InitialState(g);
  state.forecast_raise = {2, kRaise};
  GroupSpec changed = g;
  changed.max = 60;
  const GroupState rebased = Rebase(g, changed, state);
  EXPECT_EQ(rebased.forecast_raise.from, 2);
  EXPECT_EQ(rebased.forecast_raise.minute, kRaise);
}

// Headroom is for growth nothing has shown to recur: what it raises is
// not given back early (only target tracking's calm window scales it in).
TEST(GiveBack, OnlyRaisesForLoadSeenToRecurAreRemembered) {
  GroupSpec g = BurstGroup();
  GroupState state = InitialState(g);
  for (std::int64_t m = 0; m < kRaise; ++m) {
    RecordMetrics(state, m, Datapoint{(m < kDay ? Yesterday(m, false) : 1.0) * 100, 0, 0, 2}, Datapoint{});
  }
  EvaluateAlarms(g, state, kRaise);
  std::vector<Proposal> proposals = ProposeAll(g, state, kRaise * 60);
  ASSERT_FALSE(proposals.empty());
  EXPECT_TRUE(proposals[0].recurring) << proposals[0].cause;
  // The same policy with no lag, only headroom: 1 unit x 6 at 100% CPU.
  g.policies[0].lag_days = {};
  g.policies[0].learn_periods = true;
  state = InitialState(g);
  for (std::int64_t m = kDay; m < kRaise; ++m) RecordMetrics(state, m, Datapoint{100, 0, 0, 2}, Datapoint{});
  state.last_evaluated_minute = kRaise;
  state.learned[0].growth = 6;
  state.learned[0].lead = 3;
  state.learned[0].learned_at = kRaise;
  proposals = ProposeAll(g, state, kRaise * 60);
  ASSERT_FALSE(proposals.empty());
  EXPECT_THAT(proposals[0].cause, HasSubstr("headroom"));
  EXPECT_FALSE(proposals[0].recurring);
  // The decision raises for it and remembers nothing to give back.
  Driver d(g);
  d.Step(0);
  d.AllHealthy(0);
  for (std::int64_t m = kDay; m < kRaise; ++m) Record(d, m, 1.0);
  d.state().learned[0] = state.learned[0];
  const Plan p = d.Step(kRaise * 60, true);
  ASSERT_TRUE(testing::HasActivity(p, ActivityKind::kScaleOut));
  EXPECT_EQ(d.state().desired, 6);
  EXPECT_EQ(d.state().forecast_raise.from, -1);
}

// A target-tracking policy that never scales in has no calm window to
// shorten: the raise is forgotten.
TEST(GiveBack, TargetTrackingThatNeverScalesInHasNoWindowToShorten) {
  GroupSpec g = BurstGroup();
  g.policies[1].disable_scale_in = true;
  GroupState state = InitialState(g);
  state.forecast_raise = {2, 10};
  state.last_evaluated_minute = 20;
  state.desired = 20;
  const GiveBack back = GiveBackForecastRaise(g, state);
  EXPECT_FALSE(back.proposal.has_value());
  EXPECT_TRUE(back.finished);
}

}  // namespace
}  // namespace shoal
