// A forecast checked against the load's level now (PolicySpec::level_window_minutes):
// a source that saw another kind of day is scaled down towards today's level.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/forecast.h"
#include "core/scaling.h"
#include "core/seasonality.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

constexpr std::int64_t kDay = 1440;

using ::testing::HasSubstr;

// A predictive policy (15-minute horizon, 50% CPU) checking the level.
PolicySpec Leveled(std::vector<int> lags, int window, double ratio) {
  PolicySpec p = testing::Predictive(std::move(lags), 15, 50);
  p.level_window_minutes = window;
  p.level_ratio = ratio;
  return p;
}

// Day 0 at `before` units, day 1 at `after`, for minutes [0, until).
LoadHistory TwoDays(double before, double after, std::int64_t until) {
  LoadHistory h(3 * kDay);
  for (std::int64_t m = 0; m < until; ++m) h.Record(m, m < kDay ? before : after);
  return h;
}

TEST(ForecastLevel, RatioIsTheLastWindowsLoadOverTheSameMinutesBack) {
  const LoadHistory h = TwoDays(10, 3, kDay + 600);
  const auto ratio = LevelRatio(h, kDay, kDay + 600, 60);
  ASSERT_TRUE(ratio.has_value());
  EXPECT_NEAR(*ratio, 0.3, 1e-6);
  // Half a window back on day 1, half on day 0: 30 minutes at 3 and 30 at 10,
  // against day 0's 10 and the 10 a day before day 0 does not know.
  EXPECT_EQ(LevelRatio(h, kDay, 600, 60), std::nullopt) << "nothing a day before day 0";
  EXPECT_NEAR(*LevelRatio(h, 30, kDay + 30, 60), (30 * 10.0 + 30 * 3.0) / (60 * 10.0), 1e-6);
}

TEST(ForecastLevel, NoRatioWhenLessThanHalfTheWindowIsKnownOrTheSourceWasNearlyIdle) {
  LoadHistory h(3 * kDay);
  for (std::int64_t m = 0; m < kDay; ++m) h.Record(m, 10);
  // Day 1 knows only 20 of the last 60 minutes (a daemon that was down).
  h.Record(kDay + 580, 3);
  for (std::int64_t m = kDay + 581; m < kDay + 600; ++m) h.Record(m, 3);
  EXPECT_EQ(LevelRatio(h, kDay, kDay + 600, 60), std::nullopt);
  EXPECT_TRUE(LevelRatio(h, kDay, kDay + 600, 40).has_value()) << "20 of 40 minutes is half";
  // A source below one unit on average says nothing about the level.
  const LoadHistory idle = TwoDays(0.8, 0.1, kDay + 600);
  EXPECT_EQ(LevelRatio(idle, kDay, kDay + 600, 60), std::nullopt);
  EXPECT_DOUBLE_EQ(LevelScale(Leveled({1}, 60, 0.5), idle, kDay, kDay + 600), 1.0);
}

TEST(ForecastLevel, OnlyALevelBelowTheRatioScalesAForecastInProportion) {
  const PolicySpec p = Leveled({1}, 60, 0.5);
  // A day at or above the ratio (60%, 50% of yesterday) keeps yesterday's forecast.
  EXPECT_DOUBLE_EQ(LevelScale(p, TwoDays(10, 6, kDay + 600), kDay, kDay + 600), 1.0);
  EXPECT_DOUBLE_EQ(LevelScale(p, TwoDays(10, 5, kDay + 600), kDay, kDay + 600), 1.0);
  // Below it the forecast is scaled by ratio / level_ratio: at 30%, 0.6.
  EXPECT_NEAR(LevelScale(p, TwoDays(10, 3, kDay + 600), kDay, kDay + 600), 0.6, 1e-6);
  // No cliff at the ratio: just under it, just under 1.
  EXPECT_NEAR(LevelScale(p, TwoDays(10, 4.9, kDay + 600), kDay, kDay + 600), 0.98, 1e-6);
  // At level_ratio 1 the forecast follows the level itself.
  EXPECT_NEAR(LevelScale(Leveled({1}, 60, 1.0), TwoDays(10, 6, kDay + 600), kDay, kDay + 600), 0.6, 1e-6);
  // Without level_rise a busier day is not scaled up.
  EXPECT_DOUBLE_EQ(LevelScale(p, TwoDays(10, 30, kDay + 600), kDay, kDay + 600), 1.0);
  // Without a window, never.
  EXPECT_DOUBLE_EQ(LevelScale(Leveled({1}, 0, 0.5), TwoDays(10, 3, kDay + 600), kDay, kDay + 600), 1.0);
}

TEST(ForecastLevel, WithLevelRiseALevelAboveItScalesAForecastUpInProportion) {
  PolicySpec p = Leveled({1}, 60, 0.5);
  p.level_rise = 1.5;
  const auto scale = [&](double before, double after) {
    return LevelScale(p, TwoDays(before, after, kDay + 600), kDay, kDay + 600);
  };
  // Up to the rise (150% of yesterday) the forecast stands.
  EXPECT_DOUBLE_EQ(scale(10, 12), 1.0);
  EXPECT_DOUBLE_EQ(scale(10, 15), 1.0);
  // Above it, ratio / level_rise: at 300%, 2; just above it, just above 1.
  EXPECT_NEAR(scale(10, 30), 2.0, 1e-6);
  EXPECT_NEAR(scale(10, 15.3), 1.02, 1e-6);
  // At most kMaxLevelRiseScale: 600% is a jump more likely than a day six times busier.
  EXPECT_DOUBLE_EQ(scale(10, 60), kMaxLevelRiseScale);
  // Below level_ratio it still scales down; a nearly idle source still says nothing.
  EXPECT_NEAR(scale(10, 3), 0.6, 1e-6);
  EXPECT_DOUBLE_EQ(scale(0.8, 30), 1.0);
  // Without a window, never.
  p.level_window_minutes = 0;
  EXPECT_DOUBLE_EQ(scale(10, 30), 1.0);
}

TEST(ForecastLevel, TheForecastIsTheLargestOfTheScaledLags) {
  const PolicySpec p = Leveled({1, 7}, 60, 0.5);
  LoadHistory h(8 * kDay + 100);
  for (std::int64_t m = 0; m < 7 * kDay + 600; ++m) h.Record(m, m >= 6 * kDay ? 20.0 : 6.0);
  const std::int64_t now = 7 * kDay + 600;
  const auto unscaled = SeasonalForecast(p, h, now);
  ASSERT_TRUE(unscaled.has_value());
  EXPECT_EQ(unscaled->lag_days, 1);
  EXPECT_DOUBLE_EQ(unscaled->units(), 20.0);
  const std::vector<double> scales = {0.2, 1.0};
  const auto scaled = SeasonalForecast(p, h, now, {}, scales);
  ASSERT_TRUE(scaled.has_value());
  EXPECT_EQ(scaled->lag_days, 7) << "yesterday's 20 x 0.2 = 4 is less than last week's 6";
  EXPECT_DOUBLE_EQ(scaled->units(), 6.0);
  EXPECT_DOUBLE_EQ(scaled->scale, 1.0);
  const std::vector<int> yesterday = {1};
  const auto only_yesterday = SeasonalForecast(p, h, now, yesterday, scales);
  ASSERT_TRUE(only_yesterday.has_value());
  EXPECT_DOUBLE_EQ(only_yesterday->units(), 4.0);
  EXPECT_DOUBLE_EQ(only_yesterday->seen, 20.0);
  EXPECT_DOUBLE_EQ(only_yesterday->scale, 0.2);
}

TEST(ForecastLevel, TheHistoryCoversTheWindowBehindEachSource) {
  EXPECT_EQ(LoadMinutesNeeded({Leveled({1}, 120, 0.5)}), kDay + 121);
  PolicySpec periods = Leveled({}, 600, 0.5);
  periods.learn_periods = true;
  periods.max_period_minutes = 60;
  periods.repetitions = 2;
  EXPECT_EQ(LoadMinutesNeeded({periods}), 60 + 600 + 1) << "the last repetition's window";
}

TEST(ForecastLevel, ValidateRefusesAWindowOrRatioOutOfRange) {
  EXPECT_TRUE(Validate(Leveled({1}, 60, 0.5)).ok()) << Validate(Leveled({1}, 60, 0.5)).message();
  EXPECT_TRUE(Validate(Leveled({1}, 0, 0.5)).ok());
  EXPECT_TRUE(Validate(Leveled({1}, 1440, 1.0)).ok());
  EXPECT_NE(Validate(Leveled({1}, 9, 0.5)).message().find("level_window_minutes (9) must be 0"), std::string::npos);
  EXPECT_NE(Validate(Leveled({1}, 1441, 0.5)).message().find("level_window_minutes (1441)"), std::string::npos);
  for (double bad : {0.0, -0.5, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_NE(Validate(Leveled({1}, 60, bad)).message().find("level_ratio must be above 0 and at most 1"),
              std::string::npos)
        << bad;
  }
}

TEST(ForecastLevel, ValidateRefusesARiseOutOfRangeOrWithoutAWindow) {
  PolicySpec p = Leveled({1}, 60, 0.8);
  for (double good : {0.0, 1.01, 1.5, kMaxLevelRise}) {
    p.level_rise = good;
    EXPECT_TRUE(Validate(p).ok()) << good << ": " << Validate(p).message();
  }
  for (double bad : {1.0, 0.5, -1.5, kMaxLevelRise + 0.5, std::numeric_limits<double>::quiet_NaN()}) {
    p.level_rise = bad;
    EXPECT_THAT(Validate(p).message(), HasSubstr("level_rise must be 0 (never scale a forecast up) or above 1"))
        << bad;
  }
  p.level_rise = 1.5;
  p.level_window_minutes = 0;
  EXPECT_THAT(Validate(p).message(), HasSubstr("level_rise needs a level_window_minutes"));
}

// Records `load(m)` for minutes [from, until) as the group's CPU.
template <typename F>
void Feed(GroupState& state, std::int64_t from, std::int64_t until, F load) {
  for (std::int64_t m = from; m < until; ++m) {
    RecordMetrics(state, m, Datapoint::Single(load(m) * 100), Datapoint{});
  }
}

// A match day, then a quiet one: yesterday's kick-off is not prepared for
// when the morning ran at a fraction of yesterday's; a day merely quieter is.
TEST(ForecastLevel, AQuietDayAfterAMatchDayIsNotSizedForTheMatch) {
  for (const double today : {1.0, 2.5}) {
    for (const int window : {0, 60}) {
      GroupSpec g = testing::SpotGroup();
      g.min = 1;
      g.max = 100;
      g.policies = {Leveled({1}, window, 0.5)};
      GroupState state = InitialState(g);
      // Day 0: 4 units, the match at 20 from 10:00 to 12:00; day 1: `today`.
      Feed(state, 0, kDay + 590, [&](std::int64_t m) {
        if (m >= kDay) return today;
        return m >= 600 && m < 720 ? 20.0 : 4.0;
      });
      EvaluateAlarms(g, state, kDay + 590);  // 09:50: the match is 10 minutes away
      const int floor = PredictiveFloor(g, state);
      if (window == 0 || today == 2.5) {
        EXPECT_EQ(floor, 40) << "20 units at 50%: window " << window << ", today " << today;
        continue;
      }
      EXPECT_EQ(floor, 20) << "20 units x 0.25 / 0.5 (1 against 4, below half) at 50%";
      const auto proposals = ProposeAll(g, state, (kDay + 590) * 60);
      ASSERT_EQ(proposals.size(), 1u);
      EXPECT_EQ(proposals[0].desired, 20);
      EXPECT_THAT(proposals[0].cause, HasSubstr("load 20.0 units 1 day(s) ago"));
      EXPECT_THAT(proposals[0].cause,
                  HasSubstr("scaled to 50.0%: the last 60 minutes ran at 25.0% of that day's load, below 50.0%"));
    }
  }
}

// A learned daily period scales the same way, against its last repetition,
// and the scale follows the level minute by minute (not the hourly relearn).
TEST(ForecastLevel, ALearnedPeriodIsScaledAgainstItsLastRepetition) {
  GroupSpec g = testing::SpotGroup();
  g.min = 1;
  g.max = 100;
  g.policies = {Leveled({}, 60, 0.5)};
  g.policies[0].learn_periods = true;
  g.policies[0].repetitions = 2;
  GroupState state = InitialState(g);
  // Days 0 and 1 had the match; day 2 runs at 1 unit.
  Feed(state, 0, 2 * kDay + 590, [](std::int64_t m) {
    if (m >= 2 * kDay) return 1.0;
    const std::int64_t tod = m % kDay;
    return tod >= 600 && tod < 720 ? 20.0 : 4.0;
  });
  PolicyLearning& learned = state.learned[0];
  learned.learned_at = 2 * kDay + 590;  // as learned this minute: the daily period
  learned.periods = {LearnedPeriod{static_cast<int>(kDay), 0.9}};
  EvaluateAlarms(g, state, 2 * kDay + 590);
  ASSERT_EQ(learned.periods.size(), 1u);
  EXPECT_DOUBLE_EQ(learned.periods[0].scale, 0.5);
  EXPECT_EQ(PredictiveFloor(g, state), 20) << "20 units in both repetitions, x 0.25 / 0.5, at 50%";
  const auto proposals = ProposeAll(g, state, (2 * kDay + 590) * 60);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_THAT(proposals[0].cause, HasSubstr("1440-minute period (correlation 0.9), scaled to 50.0%: the last 60 "
                                            "minutes ran at 25.0% of its last repetition's load, below 50.0%"));
  // The level comes back within the window: the scale follows at once.
  Feed(state, 2 * kDay + 590, 2 * kDay + 600, [](std::int64_t) { return 40.0; });
  EvaluateAlarms(g, state, 2 * kDay + 600);
  EXPECT_DOUBLE_EQ(learned.periods[0].scale, 1.0);
  EXPECT_EQ(PredictiveFloor(g, state), 40);
}

// A day busier than the one the forecast comes from (a Monday forecast
// from the Sunday before a week of history exists): yesterday's burst is
// prepared for at today's level, up to the busiest load the history holds,
// and the activity says why.
TEST(ForecastLevel, ABusierDayPreparesForYesterdaysBurstAtTodaysLevelUpToTheBusiestSeen) {
  struct Case {
    double rise;
    double evening_peak;  // day 0's load at 20:00 (0: none above the burst)
    double today;
    int floor;
    const char* why;
  };
  const Case cases[] = {
      {0, 40, 8, 40, "without level_rise: 20 units at 50%, as yesterday"},
      {1.5, 40, 8, 54, "20 units x (200% / 150%) at 50%"},
      {1.5, 40, 24, 80, "20 units x 3 (at most) = 60, but 40 is the busiest seen"},
      {1.5, 0, 8, 40, "20 is the busiest load seen: nothing to scale up to"},
  };
  for (const Case& c : cases) {
    GroupSpec g = testing::SpotGroup();
    g.min = 1;
    g.max = 200;
    g.policies = {Leveled({1}, 60, 0.8)};
    g.policies[0].level_rise = c.rise;
    GroupState state = InitialState(g);
    // Day 0: 4 units, a burst to 20 from 10:00 to 10:05, the evening peak at 20:00 (within the
    // day of history the policy keeps); day 1: `today`.
    Feed(state, 0, kDay + 590, [&](std::int64_t m) {
      if (m >= kDay) return c.today;
      if (m >= 1200 && m < 1205 && c.evening_peak > 0) return c.evening_peak;
      return m >= 600 && m < 605 ? 20.0 : 4.0;
    });
    EvaluateAlarms(g, state, kDay + 590);  // 09:50: the burst is 10 minutes away
    EXPECT_EQ(PredictiveFloor(g, state), c.floor) << c.why;
    if (c.rise == 0 || c.evening_peak == 0) continue;
    const auto proposals = ProposeAll(g, state, (kDay + 590) * 60);
    ASSERT_FALSE(proposals.empty());
    if (c.today == 8) {
      EXPECT_THAT(proposals[0].cause,
                  HasSubstr("scaled to 133.3%: the last 60 minutes ran at 200.0% of that day's load, above 150.0%, at"));
    } else {
      EXPECT_THAT(proposals[0].cause, HasSubstr("scaled to 300.0%: the last 60 minutes ran at 450.0% or more of "
                                                "that day's load, above 150.0% (scaled up 3.0x at most), to 40.0 "
                                                "units, the busiest load seen"));
    }
  }
}

TEST(ForecastLevel, AScaledUpForecastStaysBetweenWhatItSawAndTheCeiling) {
  EXPECT_DOUBLE_EQ(ScaledUnits(10, 0.5, 0), 5.0) << "scaling down needs no ceiling";
  EXPECT_DOUBLE_EQ(ScaledUnits(10, 2, 30), 20.0);
  EXPECT_DOUBLE_EQ(ScaledUnits(10, 2, 15), 15.0);
  EXPECT_DOUBLE_EQ(ScaledUnits(10, 2, 5), 10.0) << "never below what the source saw";
  EXPECT_DOUBLE_EQ(ScaledUnits(10, 2, 0), 10.0) << "no ceiling learned yet: not scaled up";
}

}  // namespace
}  // namespace shoal
