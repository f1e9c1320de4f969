// Seasonal forecasts and the predictive policy (core/forecast.h, scaling.h).
#include "core/forecast.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/scaling.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

constexpr std::int64_t kDay = 1440;

using ::testing::HasSubstr;
using testing::Predictive;

TEST(ForecastHistory, KeepsOnlyItsWindowAndReadsSkippedMinutesAsMissing) {
  LoadHistory h(10);
  h.Record(0, 1);
  h.Record(1, 5);
  h.Record(4, 2);  // 2 and 3 skipped
  EXPECT_EQ(h.MaxIn(0, 2), 5);
  EXPECT_FALSE(h.MaxIn(2, 4).has_value());
  EXPECT_EQ(h.MaxIn(0, 100), 5);
  h.Record(12, 3);  // minutes 0..2 fall out of the 10-minute window
  EXPECT_FALSE(h.MaxIn(0, 3).has_value());
  EXPECT_EQ(h.MaxIn(3, 13), 3);
  h.Record(11, 9);  // older than the latest: ignored
  EXPECT_EQ(h.MaxIn(11, 12), std::nullopt);
}

TEST(ForecastHistory, DisabledWhenNoPolicyNeedsIt) {
  EXPECT_EQ(LoadMinutesNeeded({}), 0);
  EXPECT_EQ(LoadMinutesNeeded({Predictive({1, 7}, 15, 50)}), 7 * kDay + 16);
  // Choosing a lag compares a whole window with the same window a lag back.
  PolicySpec choosing = Predictive({1, 7}, 15, 50);
  choosing.lag_choice_minutes = kDay;
  EXPECT_EQ(LoadMinutesNeeded({choosing}), 8 * kDay + 1);
}

TEST(ForecastHistory, AtReadsOneMinuteWhileItIsKept) {
  LoadHistory h(10);
  h.Record(3, 2.5);
  h.Record(5, 4);
  EXPECT_EQ(h.At(3), 2.5);
  EXPECT_EQ(h.At(4), std::nullopt);  // skipped
  EXPECT_EQ(h.At(6), std::nullopt);  // not yet
  EXPECT_EQ(h.At(-1), std::nullopt);
  h.Record(13, 1);  // minute 3 falls out of the window
  EXPECT_EQ(h.At(3), std::nullopt);
  EXPECT_EQ(h.At(13), 1);
}

// Weekdays at 10 units from 09:00 to 17:00, weekends at 2 all day, nights 1:
// `day` counts from a Monday.
double OfficeLoad(std::int64_t m) {
  const std::int64_t day = m / kDay;
  const std::int64_t tod = m % kDay;
  const bool weekend = day % 7 >= 5;
  if (weekend) return 2.0;
  return tod >= 540 && tod < 1020 ? 10.0 : 1.0;
}

TEST(ForecastLagChoice, AMondayAfterAWeekendIsForecastFromLastMonday) {
  PolicySpec p = Predictive({1, 7}, 10, 50);
  p.lag_choice_minutes = kDay;
  LoadHistory h(LoadMinutesNeeded({p}));
  const std::int64_t monday_0840 = 14 * kDay + 520;  // the third Monday, 20 minutes before the office opens
  for (std::int64_t m = 0; m < monday_0840; ++m) h.Record(m, OfficeLoad(m));
  // The last day (Sunday 08:40 to Monday 08:40) was like last week's, not like Saturday-to-Sunday.
  EXPECT_EQ(ChooseLags(h, p.lag_days, monday_0840, p.lag_choice_minutes), std::vector<int>{7});
  // Within the 10-minute horizon Monday opens: last Monday says 10 units, yesterday 2.
  const std::vector<int> last_week = {7};
  const auto chosen = SeasonalForecast(p, h, monday_0840 + 15, last_week);
  ASSERT_TRUE(chosen.has_value());
  EXPECT_DOUBLE_EQ(chosen->units(), 10.0);
  EXPECT_EQ(chosen->lag_days, 7);
  // On Tuesday the last day (Monday's) still differs from Sunday's; on
  // Wednesday yesterday and last week were alike: both forecast.
  const std::int64_t tuesday_0840 = 15 * kDay + 520;
  const std::int64_t wednesday_0840 = 16 * kDay + 520;
  for (std::int64_t m = monday_0840; m < tuesday_0840; ++m) h.Record(m, OfficeLoad(m));
  EXPECT_EQ(ChooseLags(h, p.lag_days, tuesday_0840, p.lag_choice_minutes), std::vector<int>{7});
  for (std::int64_t m = tuesday_0840; m < wednesday_0840; ++m) h.Record(m, OfficeLoad(m));
  EXPECT_EQ(ChooseLags(h, p.lag_days, wednesday_0840, p.lag_choice_minutes), (std::vector<int>{1, 7}));
}

TEST(ForecastLagChoice, ASaturdayIsForecastFromLastSaturdayNotFromFriday) {
  PolicySpec p = Predictive({1, 7}, 10, 50);
  LoadHistory h(LoadMinutesNeeded({p}) + kDay);
  const std::int64_t saturday_1000 = 12 * kDay + 600;
  for (std::int64_t m = 0; m < saturday_1000; ++m) h.Record(m, OfficeLoad(m));
  EXPECT_EQ(ChooseLags(h, p.lag_days, saturday_1000, 600), std::vector<int>{7});  // since Saturday 00:00
  // Every lag, the busiest: Friday's office hours. The chosen lag: last Saturday's 2 units.
  EXPECT_DOUBLE_EQ(SeasonalForecast(p, h, saturday_1000)->units(), 10.0);
  const std::vector<int> last_week = {7};
  EXPECT_DOUBLE_EQ(SeasonalForecast(p, h, saturday_1000, last_week)->units(), 2.0);
}

TEST(ForecastLagChoice, ALagThatKnowsLessThanHalfTheWindowIsNoCandidate) {
  LoadHistory h(20 * kDay);
  // A week and 6 hours of history: a week back knows 6 of the last 24 hours.
  const std::int64_t now = 7 * kDay + 360;
  for (std::int64_t m = 0; m < now; ++m) h.Record(m, m >= 7 * kDay ? 5.0 : (m % kDay < 360 ? 5.0 : 1.0));
  // Last week matches the 6 hours it knows exactly; yesterday is off by 4 there, but knows the whole day.
  EXPECT_EQ(ChooseLags(h, {7, 1}, now, static_cast<int>(kDay)), std::vector<int>{1});
  // Over 10 hours last week is a candidate (6 known is more than half), and both fit exactly.
  EXPECT_EQ(ChooseLags(h, {7, 1}, now, 600), (std::vector<int>{7, 1}));
  EXPECT_TRUE(ChooseLags(h, {14, 28}, now, static_cast<int>(kDay)).empty());  // neither knows anything
  EXPECT_TRUE(ChooseLags(LoadHistory(kDay), {1, 7}, 0, 60).empty());          // nothing recorded
}

TEST(ForecastLagChoice, NoChoiceMeansEveryLagForecasts) {
  EXPECT_TRUE(LagForecasts({}, 7));
  const std::vector<int> yesterday = {1};
  EXPECT_TRUE(LagForecasts(yesterday, 1));
  EXPECT_FALSE(LagForecasts(yesterday, 7));
}

// A Sunday fits the Saturday before about as well as the Sunday a week
// before: noise, not the kind of day, would pick one, and the Monday that
// follows may need either. Lags within kLagTieMargin of the best both forecast.
TEST(ForecastLagChoice, LagsThatFitTheLastDayAboutEquallyBothForecast) {
  PolicySpec p = Predictive({1, 7}, 10, 50);
  p.lag_choice_minutes = 60;
  const std::int64_t now = 8 * kDay;
  // The last hour at 10; a day before it ran at `yesterday`, a week before at 10.5.
  const auto choose = [&](double yesterday) {
    LoadHistory h(LoadMinutesNeeded({p}));
    for (std::int64_t m = 0; m < now; ++m) {
      double v = 0;
      if (m >= now - 60) v = 10;
      else if (m >= now - kDay - 60 && m < now - kDay) v = yesterday;
      else if (m >= now - 7 * kDay - 60 && m < now - 7 * kDay) v = 10.5;
      h.Record(m, v);
    }
    return ChooseLags(h, p.lag_days, now, p.lag_choice_minutes);
  };
  EXPECT_EQ(choose(10.54), (std::vector<int>{1, 7})) << "errors 0.54 and 0.5: within 10%";
  EXPECT_EQ(choose(10.5), (std::vector<int>{1, 7})) << "the same error";
  EXPECT_EQ(choose(10.6), std::vector<int>{7}) << "0.6 is 20% more than 0.5";
  EXPECT_EQ(choose(10.2), std::vector<int>{1}) << "0.2 against 0.5";
}

TEST(ForecastSeasonal, TakesTheBusiestMinuteOfTheHorizonAtTheLargestLag) {
  // Now is minute 8 days + 100. Yesterday's window is [7d+100, 7d+110): put a
  // peak of 6 at its end; last week's [1d+100, 1d+110) holds 4.
  LoadHistory g(LoadMinutesNeeded({Predictive({1, 7}, 10, 50)}));
  for (std::int64_t m = 0; m < 8 * kDay + 100; ++m) {
    double v = 1.0;
    if (m == 7 * kDay + 109) v = 6.0;
    if (m == 1 * kDay + 100) v = 4.0;
    if (m == 7 * kDay + 110) v = 50.0;  // just past the horizon: not counted
    g.Record(m, v);
  }
  const auto f = SeasonalForecast(Predictive({1, 7}, 10, 50), g, 8 * kDay + 100);
  ASSERT_TRUE(f.has_value());
  EXPECT_DOUBLE_EQ(f->units(), 6.0);
  EXPECT_EQ(f->lag_days, 1);
  EXPECT_EQ(PredictiveCapacity(*f, 50), 12);  // 6 units at 50% CPU
  EXPECT_EQ(PredictiveCapacity(Forecast{3.0, 1, 1.0}, 60), 5);
}

TEST(ForecastCapacity, IsRoundedUpAndBoundedWhateverTheInput) {
  EXPECT_EQ(CapacityAt(3.0, 60), 5);
  EXPECT_EQ(CapacityAt(3.0, 100), 3);
  EXPECT_EQ(CapacityAt(0, 60), 0);
  EXPECT_EQ(CapacityAt(-2, 60), 0);
  EXPECT_EQ(CapacityAt(std::nan(""), 60), 0);
  EXPECT_EQ(CapacityAt(3.0, 0), 0);
  EXPECT_EQ(CapacityAt(1e300, 60), kMaxCapacity);
  EXPECT_EQ(CapacityAt(std::numeric_limits<double>::infinity(), 100), kMaxCapacity);
}

TEST(ForecastSeasonal, NoForecastBeforeAnyLagHasHistory) {
  LoadHistory h(LoadMinutesNeeded({Predictive({1}, 10, 50)}));
  for (std::int64_t m = 0; m < 100; ++m) h.Record(m, 3);
  EXPECT_FALSE(SeasonalForecast(Predictive({1}, 10, 50), h, 100).has_value());
}

// Drives a group through two days whose second day repeats the first.
TEST(PredictivePolicy, RaisesCapacityBeforeYesterdaysRampAndHoldsScaleInAtTheFloor) {
  GroupSpec g = testing::SpotGroup();
  g.min = 1;
  g.desired = 1;
  g.max = 50;
  g.policies = {Predictive({1}, 15, 50)};
  testing::Driver d(g);
  d.Step(0);
  d.AllHealthy(0);
  // Day 0: 1 unit of load all day, 8 units from minute 600 to 660.
  for (std::int64_t m = 0; m < kDay + 580; ++m) {
    const std::int64_t tod = m % kDay;
    const double load = (tod >= 600 && tod < 660 && m < kDay) ? 8.0 : 1.0;
    RecordMetrics(d.state(), m, Datapoint{load * 100, 0, 0, 1}, Datapoint::Single(1));
  }
  // Day 1, minute 590: the ramp is 10 minutes away, within the 15-minute horizon.
  const Plan p = d.Step((kDay + 590) * 60, true);
  ASSERT_TRUE(testing::HasActivity(p, ActivityKind::kScaleOut));
  EXPECT_EQ(d.state().desired, 16);  // 8 units at 50%
  EXPECT_NE(p.activities[0].cause.find("predictive 'seasonal'"), std::string::npos);
  EXPECT_EQ(PredictiveFloor(d.spec(), d.state()), 16);
  // A scale-in proposal cannot go below the floor.
  EXPECT_FALSE(Combine(d.spec(), d.state(), {{0, 4, "in"}}, 16).has_value());
}

// A group whose one predictive policy forecasts from lags [1, 7] over 15
// minutes at 50% CPU, choosing the lag over `window` minutes (0: never).
GroupSpec OfficeGroup(int window) {
  GroupSpec g = testing::SpotGroup();
  g.min = 1;
  g.desired = 1;
  g.max = 50;
  g.policies = {Predictive({1, 7}, 15, 50)};
  g.policies[0].lag_choice_minutes = window;
  return g;
}

// Runs the office's load (day 0 is a Monday) through `d` until minute
// `until`, and the control plane's step there.
Plan RunOfficeUntil(testing::Driver& d, std::int64_t until) {
  d.Step(0);
  d.AllHealthy(0);
  for (std::int64_t m = 0; m < until; ++m) {
    RecordMetrics(d.state(), m, Datapoint{OfficeLoad(m) * 100, 0, 0, 1}, Datapoint::Single(1));
  }
  return d.Step(until * 60, true);
}

// The lag is chosen as the group runs (re-chosen with what it learns, every
// hour) and only the chosen one forecasts: a Saturday morning is not sized
// from Friday's office hours.
TEST(PredictivePolicy, WithALagChoiceOnlyTheLagClosestToTheLastDayForecasts) {
  for (const int window : {0, static_cast<int>(kDay)}) {
    testing::Driver d(OfficeGroup(window));
    const Plan p = RunOfficeUntil(d, 12 * kDay + 530);  // Saturday 08:50
    if (window == 0) {
      EXPECT_EQ(PredictiveFloor(d.spec(), d.state()), 20) << "every lag, the busiest: Friday's 10 units at 50%";
      continue;
    }
    EXPECT_EQ(d.state().learned[0].lags_chosen, std::vector<int>{7});
    EXPECT_EQ(PredictiveFloor(d.spec(), d.state()), 4) << "last Saturday's 2 units at 50%";
    ASSERT_TRUE(testing::HasActivity(p, ActivityKind::kScaleOut));
    EXPECT_THAT(p.activities[0].cause, HasSubstr("7 day(s) ago within the next 15 minutes (the lag closest to the "
                                                 "load of the last 1440 minutes)"));
  }
}

// On a Wednesday yesterday and last week fit the last day alike: both
// forecast, and the activity says why.
TEST(PredictivePolicy, LagsThatTieForTheLastDayForecastTogetherAndSaySo) {
  testing::Driver d(OfficeGroup(static_cast<int>(kDay)));
  const Plan p = RunOfficeUntil(d, 16 * kDay + 530);  // Wednesday 08:50
  EXPECT_EQ(d.state().learned[0].lags_chosen, (std::vector<int>{1, 7}));
  EXPECT_EQ(PredictiveFloor(d.spec(), d.state()), 20) << "the office's 10 units at 50%, from either lag";
  ASSERT_TRUE(testing::HasActivity(p, ActivityKind::kScaleOut));
  EXPECT_THAT(p.activities[0].cause, HasSubstr("(the larger of the lags that fit the load of the last 1440 minutes "
                                               "within 10.0% of each other)"));
}

// The load a predictive policy learns from, per minute, from the group's
// CPU and request rate (RecordMetrics).
class LoadFromMetrics : public ::testing::Test {
 protected:
  LoadFromMetrics() {
    spec_ = testing::SpotGroup();
    spec_.policies = {Predictive({1}, 10, 65)};
    state_ = InitialState(spec_);
  }
  // `instances` instances at `cpu` percent each, `requests` in the minute.
  void Minute(std::int64_t m, double cpu, int instances, double requests) {
    const double n = instances;
    RecordMetrics(state_, m, Datapoint{cpu * n, cpu, cpu, n},
                  requests > 0 ? Datapoint{requests, requests / n, requests / n, n} : Datapoint{});
  }
  // The history keeps floats.
  double LoadAt(std::int64_t m) const { return state_.load.MaxIn(m, m + 1).value_or(-1); }

  GroupSpec spec_;
  GroupState state_;
};

TEST_F(LoadFromMetrics, BelowSaturationTheLoadIsTheCpusUnitsOfWork) {
  Minute(0, 50, 4, 1000);
  EXPECT_FLOAT_EQ(LoadAt(0), 2.0);
  Minute(1, 92, 4, 9000);  // busy but not saturated: the CPU is believed
  EXPECT_FLOAT_EQ(LoadAt(1), 3.68);
}

TEST_F(LoadFromMetrics, WhileSaturatedTheLoadIsTheRequestsAtTheCostOfARequestSeenBefore) {
  for (std::int64_t m = 0; m < 10; ++m) Minute(m, 50, 4, 1000);  // 2 units for 1000 requests
  EXPECT_DOUBLE_EQ(state_.units_per_request, 0.002);
  // A burst of 5x: 4 instances at 100% can only show 4 units.
  Minute(10, 100, 4, 5000);
  EXPECT_FLOAT_EQ(LoadAt(10), 10.0);
  // Saturated minutes do not calibrate (their CPU understates a request's cost).
  EXPECT_DOUBLE_EQ(state_.units_per_request, 0.002);
  // Never below what the CPU shows.
  Minute(11, 100, 4, 1500);
  EXPECT_FLOAT_EQ(LoadAt(11), 4.0);
  // No request rate that minute: the CPU is all there is.
  Minute(12, 100, 4, 0);
  EXPECT_FLOAT_EQ(LoadAt(12), 4.0);
}

TEST_F(LoadFromMetrics, TheCostOfARequestFollowsTheNewestMinutesAndIgnoresIdleOnes) {
  Minute(0, 50, 4, 1000);  // 0.002
  Minute(1, 5, 4, 10);     // near idle: 0.02 a request would be idle CPU, not work
  EXPECT_DOUBLE_EQ(state_.units_per_request, 0.002);
  Minute(2, 50, 4, 500);   // 0.004: a tenth of the way there
  EXPECT_DOUBLE_EQ(state_.units_per_request, 0.9 * 0.002 + 0.1 * 0.004);
}

TEST_F(LoadFromMetrics, AWildRequestCountIsBoundedByTenTimesTheCpusUnits) {
  Minute(0, 50, 4, 1000);
  Minute(1, 100, 4, 1e12);  // a counter gone wild
  EXPECT_FLOAT_EQ(LoadAt(1), 40.0);
  Minute(2, 100, 4, std::numeric_limits<double>::infinity());
  EXPECT_FLOAT_EQ(LoadAt(2), 4.0);
  EXPECT_DOUBLE_EQ(state_.units_per_request, 0.002);
}

TEST_F(LoadFromMetrics, WithNothingCalibratedASaturatedMinuteIsTheCpusUnits) {
  Minute(0, 100, 3, 9000);
  EXPECT_FLOAT_EQ(LoadAt(0), 3.0);
  EXPECT_EQ(state_.units_per_request, 0);
}

TEST_F(LoadFromMetrics, AConfigChangeKeepsTheCostOfARequest) {
  Minute(0, 50, 4, 1000);
  GroupSpec changed = spec_;
  changed.max = spec_.max + 1;
  EXPECT_DOUBLE_EQ(Rebase(spec_, changed, state_).units_per_request, 0.002);
}

TEST(PredictivePolicy, HasNoVoteOnScaleIn) {
  EXPECT_FALSE(CanScaleIn(Predictive({1}, 15, 50)));
}

TEST(PredictivePolicy, ValidationNamesTheField) {
  EXPECT_NE(Validate(Predictive({}, 15, 50)).message().find(
                "lag_days is empty and neither learn_periods nor headroom_quantile is set"),
            std::string::npos);
  // No fixed lag is fine when the policy learns periods or keeps headroom.
  PolicySpec learned_only = Predictive({}, 15, 50);
  learned_only.learn_periods = true;
  EXPECT_TRUE(Validate(learned_only).ok()) << Validate(learned_only).message();
  PolicySpec headroom_only = Predictive({}, 15, 50);
  headroom_only.headroom_quantile = 0.9;
  EXPECT_TRUE(Validate(headroom_only).ok()) << Validate(headroom_only).message();
  EXPECT_NE(Validate(Predictive({0}, 15, 50)).message().find("lag_days[0]"), std::string::npos);
  EXPECT_NE(Validate(Predictive({1, 29}, 15, 50)).message().find("lag_days[1]"), std::string::npos);
  EXPECT_NE(Validate(Predictive({1}, 0, 50)).message().find("horizon_minutes"), std::string::npos);
  EXPECT_NE(Validate(Predictive({1}, 15, 0)).message().find("target_value"), std::string::npos);
  EXPECT_NE(Validate(Predictive({1}, 15, 101)).message().find("target_value"), std::string::npos);
  EXPECT_TRUE(Validate(Predictive({1, 7}, 15, 50)).ok());
  PolicySpec choosing = Predictive({1, 7}, 15, 50);
  choosing.lag_choice_minutes = 1440;
  EXPECT_TRUE(Validate(choosing).ok()) << Validate(choosing).message();
  choosing.lag_choice_minutes = 59;
  EXPECT_NE(Validate(choosing).message().find("lag_choice_minutes (59) must be 0 (every lag) or between 60 and 10080"),
            std::string::npos);
  choosing.lag_choice_minutes = 10081;
  EXPECT_NE(Validate(choosing).message().find("lag_choice_minutes (10081)"), std::string::npos);
  PolicySpec one_lag = Predictive({1}, 15, 50);
  one_lag.lag_choice_minutes = 1440;
  EXPECT_NE(Validate(one_lag).message().find("list at least two"), std::string::npos);
}

}  // namespace
}  // namespace shoal
