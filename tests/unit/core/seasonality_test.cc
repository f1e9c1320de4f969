// Learned periods and headroom (core/seasonality.h), on synthetic series:
// the periods a load repeats with are found, noise is refused, and a
// predictive policy raises capacity ahead of a recurring burst only as far
// as its past repetitions justify.
#include "core/seasonality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/scaling.h"
#include "decide_test_util.h"

namespace shoal {
namespace {

constexpr int kDay = 1440;

// A level with noise (seeded: the same series on every run).
std::vector<float> Noisy(int minutes, double level, double noise, std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0, noise);
  std::vector<float> out;
  for (int m = 0; m < minutes; ++m) out.push_back(static_cast<float>(std::max(0.0, level + n(rng))));
  return out;
}

// Bursts to `height` x the level for `length` minutes every `period`, from `offset`.
void AddBursts(std::vector<float>* s, int period, int offset, double extra, int length) {
  for (std::size_t m = 0; m < s->size(); ++m) {
    const int phase = static_cast<int>((static_cast<int>(m) - offset) % period + period) % period;
    if (phase < length) (*s)[m] += static_cast<float>(extra);
  }
}

bool Has(const std::vector<LearnedPeriod>& periods, int minutes) {
  for (const LearnedPeriod& p : periods) {
    if (p.minutes == minutes) return true;
  }
  return false;
}

TEST(Seasonality, FindsAQuarterHourlyBurstWithinTheFirstHours) {
  // Two hours of history: eight repetitions of a job every 15 minutes.
  std::vector<float> s = Noisy(120, 4, 0.5);
  AddBursts(&s, 15, 3, 12, 2);
  const std::vector<LearnedPeriod> p = LearnPeriods(s, LearnOptions{});
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].minutes, 15);
  EXPECT_GT(p[0].correlation, 0.5);
  EXPECT_FALSE(Has(p, 30)) << "a multiple of the period is the same schedule";
  EXPECT_FALSE(Has(p, 45));
}

TEST(Seasonality, NeedsRepetitionsBeforeItLearnsAPeriod) {
  // 40 minutes hold fewer than repetitions + 1 = 4 quarter hours.
  std::vector<float> s = Noisy(40, 4, 0.5);
  AddBursts(&s, 15, 3, 12, 2);
  EXPECT_FALSE(Has(LearnPeriods(s, LearnOptions{}), 15));
  LearnOptions once;
  once.repetitions = 1;
  EXPECT_TRUE(Has(LearnPeriods(s, once), 15));
}

TEST(Seasonality, FindsTheDailyCycle) {
  // Eight days of a daily cycle from 2 to 10 units with noise.
  std::vector<float> s = Noisy(8 * kDay, 0, 0.4);
  for (int m = 0; m < 8 * kDay; ++m) {
    s[m] += static_cast<float>(6 - 4 * std::cos(2 * M_PI * (m % kDay) / kDay));
  }
  const std::vector<LearnedPeriod> p = LearnPeriods(s, LearnOptions{});
  ASSERT_FALSE(p.empty());
  EXPECT_TRUE(Has(p, kDay));
  EXPECT_FALSE(Has(p, 2 * kDay)) << "two days is the same cycle";
  EXPECT_FALSE(Has(p, 7 * kDay));
}

TEST(Seasonality, FindsAnHourlyJobOnTopOfTheDailyCycle) {
  std::vector<float> s = Noisy(5 * kDay, 0, 0.4, 3);
  for (int m = 0; m < 5 * kDay; ++m) {
    s[m] += static_cast<float>(6 - 4 * std::cos(2 * M_PI * (m % kDay) / kDay));
  }
  AddBursts(&s, 60, 0, 15, 3);
  const std::vector<LearnedPeriod> p = LearnPeriods(s, LearnOptions{});
  EXPECT_TRUE(Has(p, 60));
  EXPECT_TRUE(Has(p, kDay)) << "hourly means average the job away, the day stays";
}

TEST(Seasonality, FindsASixHourlyReport) {
  std::vector<float> s = Noisy(6 * kDay, 5, 0.5, 4);
  AddBursts(&s, 360, 30, 15, 3);
  EXPECT_TRUE(Has(LearnPeriods(s, LearnOptions{}), 360));
}

TEST(Seasonality, RefusesNoise) {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const std::vector<float> s = Noisy(10 * kDay, 5, 2, seed);
    EXPECT_TRUE(LearnPeriods(s, LearnOptions{}).empty()) << "seed " << seed;
  }
}

TEST(Seasonality, RefusesAFlatOrMissingLoad) {
  EXPECT_TRUE(LearnPeriods(std::vector<float>(3 * kDay, 5.0f), LearnOptions{}).empty());
  EXPECT_TRUE(LearnPeriods(std::vector<float>(3 * kDay, NAN), LearnOptions{}).empty());
  EXPECT_TRUE(LearnPeriods({}, LearnOptions{}).empty());
}

TEST(Seasonality, MaxPeriodBoundsWhatIsLearned) {
  std::vector<float> s = Noisy(6 * kDay, 5, 0.5, 4);
  AddBursts(&s, 360, 30, 15, 3);
  LearnOptions o;
  o.max_period = 120;
  EXPECT_FALSE(Has(LearnPeriods(s, o), 360));
}

TEST(Seasonality, MissingMinutesDoNotMakeAPeriod) {
  std::vector<float> s = Noisy(2 * kDay, 4, 0.5, 6);
  AddBursts(&s, 20, 5, 10, 2);
  for (int m = 100; m < 160; ++m) s[m] = NAN;  // an hour of metrics lost
  const std::vector<LearnedPeriod> p = LearnPeriods(s, LearnOptions{});
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].minutes, 20);
}

TEST(Seasonality, PeriodForecastTakesTheLeastOfTheRepetitions) {
  // Bursts at minutes 52 (8 units), 67 (6) and 82 (9): period 15, and now
  // is minute 95, so the next burst is due at 97.
  LoadHistory g(1000);
  for (int m = 0; m < 95; ++m) g.Record(m, m == 52 ? 8.0 : m == 67 ? 6.0 : m == 82 ? 9.0 : 1.0);
  EXPECT_EQ(PeriodForecast(g, 15, 3, 95, 3), 6.0) << "as far as every repetition showed it";
  EXPECT_EQ(PeriodForecast(g, 15, 1, 95, 3), 9.0);
  EXPECT_EQ(PeriodForecast(g, 15, 3, 95, 2), 1.0) << "the window [95, 97) one period back misses it";
  EXPECT_EQ(PeriodForecast(g, 15, 7, 95, 3), std::nullopt) << "a repetition before the history";
}

TEST(Seasonality, GrowthQuantileCoversTheShareOfMinutesAsked) {
  // A steady 4 units; one minute in 100 jumps to 12.
  std::vector<float> s(10000, 4.0f);
  for (std::size_t m = 50; m < s.size(); m += 100) s[m] = 12.0f;
  const auto typical = GrowthQuantile(s, 3, 0.9, 1.0);
  ASSERT_TRUE(typical.has_value());
  EXPECT_DOUBLE_EQ(*typical, 1.0);
  const auto rare = GrowthQuantile(s, 3, 0.99, 1.0);
  ASSERT_TRUE(rare.has_value());
  EXPECT_DOUBLE_EQ(*rare, 3.0) << "3 minutes in 100 see the jump coming";
  EXPECT_FALSE(GrowthQuantile(std::vector<float>(30, 4.0f), 3, 0.9, 1.0).has_value()) << "too few minutes";
}

TEST(Seasonality, GrowthALearnedPeriodExplainsNeedsNoHeadroom) {
  std::vector<float> s(3000, 4.0f);
  AddBursts(&s, 15, 7, 8, 2);
  const std::vector<LearnedPeriod> periods = LearnPeriods(s, LearnOptions{});
  ASSERT_TRUE(Has(periods, 15));
  EXPECT_GT(*GrowthQuantile(s, 3, 0.99, 1.0), 2.9);
  EXPECT_DOUBLE_EQ(*GrowthQuantile(s, 3, 0.99, 1.0, periods, 3), 1.0);
}

// The growth the periods explain is counted as the policy forecasts it:
// with short_period_repetitions, a burst in the last repetition is
// explained.
TEST(Seasonality, GrowthCountsAShortPeriodAsThePolicyForecastsIt) {
  // 8 units more for 2 minutes every quarter hour, but every fourth one
  // does not fire: no burst is in each of the last three repetitions, two
  // in three are in the last one.
  std::vector<float> s(3000, 4.0f);
  for (std::size_t m = 0; m < s.size(); ++m) {
    const std::size_t phase = m % 60;
    if (phase / 15 != 3 && (phase % 15 == 7 || phase % 15 == 8)) s[m] += 8.0f;
  }
  const std::vector<LearnedPeriod> quarter = {LearnedPeriod{15, 0.9}};
  EXPECT_DOUBLE_EQ(*GrowthQuantile(s, 3, 0.9, 1.0, quarter, 3), 3.0) << "every burst unexplained: 12 / 4";
  EXPECT_DOUBLE_EQ(*GrowthQuantile(s, 3, 0.9, 1.0, quarter, 3, 1), 1.0) << "only the one after a skip";
}

// The policy: capacity rises a launch time ahead of a burst it has seen
// repeat, and is not raised for one it has not.
PolicySpec Learning() {
  PolicySpec p;
  p.name = "periods";
  p.type = PolicyType::kPredictive;
  p.target_value = 50;
  p.lag_days = {7};
  p.learn_periods = true;
  return p;
}

GroupSpec LearningGroup() {
  GroupSpec g = testing::SpotGroup();
  g.min = 1;
  g.desired = 2;
  g.max = 100;
  g.policies = {Learning()};
  return g;
}

// Records `load(m)` for minutes [0, until) as CPU over `instances`.
template <typename F>
void Feed(GroupState& state, std::int64_t until, F load) {
  for (std::int64_t m = 0; m < until; ++m) {
    RecordMetrics(state, m, Datapoint::Single(load(m) * 100), Datapoint{});
  }
}

TEST(Seasonality, ThePolicyRaisesCapacityALaunchTimeAheadOfARecurringBurst) {
  const GroupSpec g = LearningGroup();
  GroupState state = InitialState(g);
  // A burst to 10 units at minutes 15k+10, 15k+11; 1 unit otherwise.
  const auto load = [](std::int64_t m) { return m % 15 == 10 || m % 15 == 11 ? 10.0 : 1.0; };
  Feed(state, 182, load);
  // Minute 182 = 15 x 12 + 2: the burst is due at 190, eight minutes away.
  EvaluateAlarms(g, state, 182);
  ASSERT_TRUE(Has(state.learned[0].periods, 15));
  // With no instance served yet the lead is the horizon (15 minutes): the
  // burst is within it.
  EXPECT_EQ(LaunchLeadMinutes(state, 15), 15);
  EXPECT_EQ(PredictiveFloor(g, state), 20);
  Instance served;
  served.launched_at = 0;
  served.in_service_at = 200;  // 3 min 20 s: a lead of 4 minutes
  served.state = InstanceState::kInService;
  state.instances.push_back(served);
  EXPECT_EQ(LaunchLeadMinutes(state, 15), 4);
  // A warm-pool instance launched into the pool an hour before it was
  // started and served: no launch time, so it does not stretch the lead.
  Instance warm;
  warm.warm = true;
  warm.launched_at = 0;
  warm.in_service_at = 3600;
  warm.state = InstanceState::kInService;
  state.instances.push_back(warm);
  EXPECT_EQ(LaunchLeadMinutes(state, 15), 4);
  EXPECT_EQ(PredictiveFloor(g, state), 2) << "8 minutes ahead is beyond the 4-minute lead";
  Feed(state, 186, load);
  EvaluateAlarms(g, state, 186);  // the burst is 4 minutes away: now
  EXPECT_EQ(PredictiveFloor(g, state), 20) << "10 units at 50% CPU";
  const auto proposals = ProposeAll(g, state, 186 * 60);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_EQ(proposals[0].desired, 20);
  EXPECT_NE(proposals[0].cause.find("15-minute period"), std::string::npos) << proposals[0].cause;
}

TEST(Seasonality, ABurstSeenOnceRaisesNothing) {
  const GroupSpec g = LearningGroup();
  GroupState state = InitialState(g);
  Feed(state, 300, [](std::int64_t m) { return m == 190 ? 10.0 : 1.0; });
  EvaluateAlarms(g, state, 300);
  EXPECT_TRUE(state.learned[0].periods.empty());
  EXPECT_LE(PredictiveFloor(g, state), 2);
}

// short_period_repetitions: a period under a day is already a schedule the
// whole last day showed, so one repetition may say whether the next fires;
// the day and the week keep `repetitions`.
TEST(Seasonality, AShortPeriodCanBePreparedFromItsLastRepetitionAlone) {
  GroupSpec g = LearningGroup();  // repetitions 3
  GroupState state = InitialState(g);
  // Bursts to 10 units at minutes 15k+10 and 15k+11, except at 160: the
  // one before the last did not fire.
  const auto load = [](std::int64_t m) {
    return (m % 15 == 10 || m % 15 == 11) && m / 15 != 10 ? 10.0 : 1.0;
  };
  Instance served;  // a lead of 4 minutes
  served.launched_at = 0;
  served.in_service_at = 200;
  served.state = InstanceState::kInService;
  state.instances.push_back(served);
  Feed(state, 186, load);
  EvaluateAlarms(g, state, 186);  // the next burst is due at 190
  ASSERT_TRUE(Has(state.learned[0].periods, 15));
  EXPECT_LE(PredictiveFloor(g, state), 2) << "not in each of the last 3 repetitions";
  g.policies[0].short_period_repetitions = 1;
  EXPECT_EQ(PredictiveFloor(g, state), 20) << "in the last one: 10 units at 50% CPU";
  const auto proposals = ProposeAll(g, state, 186 * 60);
  ASSERT_EQ(proposals.size(), 1u);
  EXPECT_NE(proposals[0].cause.find("in the last repetition of its 15-minute period"), std::string::npos)
      << proposals[0].cause;
  g.policies[0].short_period_repetitions = 3;
  EXPECT_LE(PredictiveFloor(g, state), 2) << "set to what repetitions is, the same as unset";
}

TEST(Seasonality, TheDayKeepsItsRepetitionsWhateverShortPeriodsAsk) {
  GroupSpec g = LearningGroup();
  g.policies[0].repetitions = 2;
  g.policies[0].short_period_repetitions = 1;
  EXPECT_EQ(RepetitionsFor(g.policies[0], 15), 1);
  EXPECT_EQ(RepetitionsFor(g.policies[0], kDay - 1), 1);
  EXPECT_EQ(RepetitionsFor(g.policies[0], kDay), 2);
  EXPECT_EQ(RepetitionsFor(g.policies[0], 7 * kDay), 2);
  GroupState state = InitialState(g);
  // A spike to 10 units at 10:00 yesterday only (not the day before).
  const std::int64_t now = 2 * kDay + 598;
  Feed(state, now, [](std::int64_t m) { return m / kDay == 1 && m % kDay >= 600 && m % kDay < 605 ? 10.0 : 1.0; });
  PolicyLearning& learned = state.learned[0];
  learned.learned_at = now;  // as learned this minute: the day
  learned.periods = {LearnedPeriod{kDay, 0.9}};
  Instance served;  // a lead of 4 minutes
  served.launched_at = 0;
  served.in_service_at = 200;
  served.state = InstanceState::kInService;
  state.instances.push_back(served);
  EvaluateAlarms(g, state, now);
  ASSERT_EQ(learned.periods.size(), 1u);
  EXPECT_LE(PredictiveFloor(g, state), 2) << "one day's spike is not prepared for";
  g.policies[0].repetitions = 1;
  EXPECT_EQ(PredictiveFloor(g, state), 20) << "unless repetitions says one is enough";
}

TEST(Seasonality, HeadroomFollowsTheRecentLoadTimesTheGrowthSeen) {
  GroupSpec g = LearningGroup();
  g.policies[0].learn_periods = false;
  g.policies[0].headroom_quantile = 0.99;
  GroupState state = InitialState(g);
  // 4 units, with a jump to 8 one minute in 50 (at no fixed period a lag of
  // a week would see): the growth 99% of minutes stayed within is 2.
  std::mt19937 rng(5);
  std::vector<double> load(600, 4.0);
  for (std::size_t m = 20; m < load.size(); m += 40 + rng() % 20) load[m] = 8.0;
  Feed(state, 600, [&](std::int64_t m) { return load[static_cast<std::size_t>(m)]; });
  EvaluateAlarms(g, state, 600);
  ASSERT_TRUE(state.learned[0].growth.has_value());
  EXPECT_DOUBLE_EQ(*state.learned[0].growth, 2.0);
  // Recent busiest 4 (or 8 when a jump was in the last lead) x 2 at 100% CPU.
  const int floor = PredictiveFloor(g, state);
  EXPECT_TRUE(floor == 8 || floor == 16) << floor;
}

TEST(Seasonality, HistoryKeptCoversTheRepetitionsOfTheLongestPeriod) {
  PolicySpec p = Learning();
  p.max_period_minutes = 2 * kDay;
  p.repetitions = 3;
  EXPECT_EQ(LoadMinutesNeeded({p}), 8 * kDay + 1) << "four two-day periods";
  p.max_period_minutes = kDay;
  EXPECT_EQ(LoadMinutesNeeded({p}), 7 * kDay + 15 + 1) << "the 7-day lag needs more";
  p.lag_days = {1};
  p.learn_periods = false;
  p.headroom_quantile = 0.9;
  EXPECT_EQ(LoadMinutesNeeded({p}), kHeadroomHistoryMinutes + 61);
}

TEST(Seasonality, BadLearningSettingsAreRefused) {
  const auto bad = [](auto change) {
    PolicySpec p = Learning();
    change(p);
    return !Validate(p).ok();
  };
  EXPECT_FALSE(bad([](PolicySpec&) {}));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.repetitions = 0; }));
  EXPECT_FALSE(bad([](PolicySpec& p) { p.short_period_repetitions = 1; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.short_period_repetitions = -1; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.short_period_repetitions = 21; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.max_period_minutes = 5; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.max_period_minutes = 14 * kDay; p.repetitions = 3; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.min_correlation = 0; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.min_correlation = 1; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.headroom_quantile = 1; }));
  EXPECT_TRUE(bad([](PolicySpec& p) { p.headroom_quantile = -0.1; }));
}

}  // namespace
}  // namespace shoal
