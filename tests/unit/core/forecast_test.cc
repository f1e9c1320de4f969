// Seasonal forecasts and the predictive policy (core/forecast.h, scaling.h).
#include "core/forecast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/scaling.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

constexpr std::int64_t kDay = 1440;

PolicySpec Predictive(std::vector<int> lags, int horizon, double target) {
  PolicySpec p;
  p.name = "seasonal";
  p.type = PolicyType::kPredictive;
  p.lag_days = std::move(lags);
  p.horizon_minutes = horizon;
  p.target_value = target;
  return p;
}

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
  EXPECT_DOUBLE_EQ(f->units, 6.0);
  EXPECT_EQ(f->lag_days, 1);
  EXPECT_EQ(PredictiveCapacity(*f, 50), 12);  // 6 units at 50% CPU
  EXPECT_EQ(PredictiveCapacity(Forecast{3.0, 1}, 60), 5);
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
}

}  // namespace
}  // namespace shoal
