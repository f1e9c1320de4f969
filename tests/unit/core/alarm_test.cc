#include "core/alarm.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace shoal {
namespace {

constexpr std::int64_t kNow = 1000;
constexpr double kThreshold = 50;
constexpr double kBreach = 90;
constexpr double kCalm = 10;

// A history of one-minute datapoints written oldest first, ending at the last
// complete minute (kNow - 1): 'B' breaches kThreshold, '.' does not, '-' is missing.
MetricHistory FromPattern(const std::string& pattern) {
  MetricHistory h(256);
  const auto first = kNow - static_cast<std::int64_t>(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto minute = first + static_cast<std::int64_t>(i);
    if (pattern[i] == 'B') h.Record(minute, Datapoint::Single(kBreach));
    if (pattern[i] == '.') h.Record(minute, Datapoint::Single(kCalm));
  }
  return h;
}

AlarmSpec OneMinuteAlarm(int n, int m, MissingData missing) {
  AlarmSpec s;
  s.name = "cpu-high";
  s.statistic = Statistic::kAverage;
  s.period_seconds = 60;
  s.evaluation_periods = n;
  s.datapoints_to_alarm = m;
  s.comparison = Comparison::kGreaterThanOrEqual;
  s.threshold = kThreshold;
  s.missing_data = missing;
  return s;
}

std::string CaseName(const std::string& description) {
  std::string out;
  for (char c : description) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// ---- Statistics over one period ----------------------------------------

// Minutes kNow-5 .. kNow-1: 10 | missing | {90 over 3 samples, min 5, max 60} | 30 | missing.
MetricHistory MixedFiveMinutes() {
  MetricHistory h(64);
  h.Record(kNow - 5, Datapoint::Single(10));
  h.Record(kNow - 3, Datapoint{90, 5, 60, 3});
  h.Record(kNow - 2, Datapoint::Single(30));
  return h;
}

struct StatisticCase {
  std::string description;
  Statistic statistic;
  double want;
};

class AlarmStatisticTest : public ::testing::TestWithParam<StatisticCase> {};

TEST_P(AlarmStatisticTest, PeriodValueAggregatesMinutes) {
  const StatisticCase& c = GetParam();
  const MetricHistory h = MixedFiveMinutes();
  const auto got = PeriodValue(h, c.statistic, kNow - 5, 5);
  ASSERT_TRUE(got.has_value()) << c.description;
  EXPECT_DOUBLE_EQ(*got, c.want) << c.description;
}

// The same value drives a 5-minute alarm: at the threshold it fires (>=),
// just above it it does not.
TEST_P(AlarmStatisticTest, FiveMinuteAlarmUsesTheStatistic) {
  const StatisticCase& c = GetParam();
  const MetricHistory h = MixedFiveMinutes();
  AlarmSpec s = OneMinuteAlarm(1, 1, MissingData::kMissing);
  s.period_seconds = 300;
  s.statistic = c.statistic;
  s.threshold = c.want;
  EXPECT_EQ(EvaluateAlarm(s, h, kNow, AlarmState::kOk), AlarmState::kAlarm) << c.description;
  s.threshold = c.want + 0.5;
  EXPECT_EQ(EvaluateAlarm(s, h, kNow, AlarmState::kAlarm), AlarmState::kOk) << c.description;
}

INSTANTIATE_TEST_SUITE_P(
    Alarm, AlarmStatisticTest,
    ::testing::Values(
        // Weighted by samples: (10 + 90 + 30) / 5, not the mean of minute means (23.3).
        StatisticCase{"average is sum of sums over sum of counts", Statistic::kAverage, 26},
        StatisticCase{"sum adds every sample", Statistic::kSum, 130},
        StatisticCase{"minimum is the smallest sample", Statistic::kMinimum, 5},
        StatisticCase{"maximum is the largest sample", Statistic::kMaximum, 60},
        StatisticCase{"sample count counts samples not minutes", Statistic::kSampleCount, 5}),
    [](const auto& info) { return CaseName(info.param.description); });

TEST(AlarmPeriodValueTest, AllMissingIsNullopt) {
  const MetricHistory h = MixedFiveMinutes();
  EXPECT_FALSE(PeriodValue(h, Statistic::kAverage, kNow - 20, 5).has_value());
  EXPECT_FALSE(PeriodValue(h, Statistic::kSampleCount, kNow - 4, 1).has_value());
}

// ---- Periods longer than a minute ---------------------------------------

TEST(AlarmPeriodTest, FiveMinutePeriodsEndAtTheLastCompleteMinute) {
  // N=2 periods of 5 minutes read minutes kNow-10 .. kNow-1.
  AlarmSpec s = OneMinuteAlarm(2, 2, MissingData::kNotBreaching);
  s.period_seconds = 300;
  // Each period averages 1 breaching minute (90) and 4 calm ones (10) = 26: OK.
  EXPECT_EQ(EvaluateAlarm(s, FromPattern("B....B...."), kNow, AlarmState::kOk), AlarmState::kOk);
  // Three breaching minutes in each: (270 + 20) / 5 = 58: both breach.
  EXPECT_EQ(EvaluateAlarm(s, FromPattern("BBB..BB.B."), kNow, AlarmState::kOk),
            AlarmState::kAlarm);
  // Only the newer period breaches: 1 of 2.
  EXPECT_EQ(EvaluateAlarm(s, FromPattern(".....BBB.."), kNow, AlarmState::kOk), AlarmState::kOk);
  s.statistic = Statistic::kMaximum;
  EXPECT_EQ(EvaluateAlarm(s, FromPattern("B....B...."), kNow, AlarmState::kOk),
            AlarmState::kAlarm);
}

TEST(AlarmPeriodTest, TheCurrentMinuteIsNotRead) {
  MetricHistory h = FromPattern("...");
  h.Record(kNow, Datapoint::Single(kBreach));  // minute in progress
  const AlarmSpec s = OneMinuteAlarm(1, 1, MissingData::kMissing);
  EXPECT_EQ(EvaluateAlarm(s, h, kNow, AlarmState::kOk), AlarmState::kOk);
  EXPECT_EQ(EvaluateAlarm(s, h, kNow + 1, AlarmState::kOk), AlarmState::kAlarm);
}

// ---- M of N and missing data ---------------------------------------------

struct EvalCase {
  std::string description;
  int n;
  int m;
  MissingData missing;
  std::string pattern;  // oldest first, last char is minute kNow - 1
  AlarmState previous;
  AlarmState want;
};

class AlarmEvaluateTest : public ::testing::TestWithParam<EvalCase> {};

TEST_P(AlarmEvaluateTest, State) {
  const EvalCase& c = GetParam();
  const AlarmSpec s = OneMinuteAlarm(c.n, c.m, c.missing);
  EXPECT_EQ(EvaluateAlarm(s, FromPattern(c.pattern), kNow, c.previous), c.want)
      << c.description << ": pattern " << c.pattern << " want " << ToString(c.want);
}

constexpr auto kMiss = MissingData::kMissing;
constexpr auto kNotB = MissingData::kNotBreaching;
constexpr auto kBrch = MissingData::kBreaching;
constexpr auto kIgn = MissingData::kIgnore;
constexpr auto kIns = AlarmState::kInsufficientData;
constexpr auto kOk = AlarmState::kOk;
constexpr auto kAl = AlarmState::kAlarm;

INSTANTIATE_TEST_SUITE_P(
    AlarmMOfN, AlarmEvaluateTest,
    ::testing::Values(
        EvalCase{"2 of 3 newest two breach", 3, 2, kMiss, "..BB.", kIns, kAl},
        EvalCase{"2 of 3 oldest and newest breach", 3, 2, kMiss, "B.B", kOk, kAl},
        EvalCase{"2 of 3 only one breaches", 3, 2, kMiss, ".B.", kAl, kOk},
        EvalCase{"2 of 3 none breach", 3, 2, kMiss, "...", kAl, kOk},
        EvalCase{"2 of 3 all breach", 3, 2, kMiss, "BBB", kOk, kAl},
        EvalCase{"breaches older than N do not count", 3, 2, kMiss, "BB...", kAl, kOk},
        EvalCase{"3 of 3 needs all", 3, 3, kMiss, "BB.", kAl, kOk},
        EvalCase{"3 of 3 all breach", 3, 3, kMiss, "BBB", kOk, kAl},
        EvalCase{"1 of 1", 1, 1, kMiss, ".B", kOk, kAl}),
    [](const auto& info) { return CaseName(info.param.description); });

// N = 3, so the evaluation range is 3 + min(3, 5) = 6 one-minute periods.
INSTANTIATE_TEST_SUITE_P(
    AlarmMissingData, AlarmEvaluateTest,
    ::testing::Values(
        // Everything missing: the treatment alone decides.
        EvalCase{"all missing, missing", 3, 3, kMiss, "------", kOk, kIns},
        EvalCase{"all missing, notBreaching", 3, 3, kNotB, "------", kAl, kOk},
        EvalCase{"all missing, breaching", 3, 3, kBrch, "------", kOk, kAl},
        EvalCase{"all missing, ignore keeps ALARM", 3, 3, kIgn, "------", kAl, kAl},
        EvalCase{"all missing, ignore keeps OK", 3, 3, kIgn, "------", kOk, kOk},
        EvalCase{"all missing, ignore keeps INSUFFICIENT", 3, 3, kIgn, "------", kIns, kIns},
        // Data older than the range is as good as missing.
        EvalCase{"data beyond the range, missing", 3, 3, kMiss, "BBB------", kOk, kIns},
        EvalCase{"data beyond the range, breaching", 3, 3, kBrch, "...------", kOk, kAl},

        // Enough real periods in the extended range: the newest N real decide
        // and the treatment is not used at all.
        EvalCase{"enough real, breaching ones, missing", 3, 3, kMiss, "BB-B--", kOk, kAl},
        EvalCase{"enough real, breaching ones, notBreaching", 3, 3, kNotB, "BB-B--", kOk, kAl},
        EvalCase{"enough real, breaching ones, ignore", 3, 3, kIgn, "BB-B--", kOk, kAl},
        EvalCase{"enough real, calm one, breaching", 3, 3, kBrch, "BB-.--", kAl, kOk},
        EvalCase{"enough real, calm one, ignore", 3, 3, kIgn, "BB-.--", kAl, kOk},
        EvalCase{"enough real, oldest skipped", 3, 2, kBrch, ".B.B-B", kOk, kAl},
        EvalCase{"enough real, only newest three real count", 3, 2, kNotB, "BB.B-.", kAl, kOk},

        // Too few real periods: the real ones count and the rest are filled.
        EvalCase{"too few, one breach of 3 of 3, missing", 3, 3, kMiss, "----B-", kAl, kOk},
        EvalCase{"too few, one breach of 3 of 3, notBreaching", 3, 3, kNotB, "----B-", kAl, kOk},
        EvalCase{"too few, one breach of 3 of 3, breaching", 3, 3, kBrch, "----B-", kOk, kAl},
        EvalCase{"too few, one breach of 3 of 3, ignore keeps OK", 3, 3, kIgn, "----B-", kOk, kOk},
        EvalCase{"too few, one breach of 3 of 3, ignore keeps ALARM", 3, 3, kIgn, "----B-", kAl,
                 kAl},
        EvalCase{"too few, one calm of 3 of 3, breaching", 3, 3, kBrch, "-----.", kAl, kOk},
        EvalCase{"too few, one calm, ignore decides OK", 3, 3, kIgn, "-----.", kAl, kOk},
        EvalCase{"too few, two breaches reach 2 of 3, missing", 3, 2, kMiss, "---B-B", kOk, kAl},
        EvalCase{"too few, two breaches reach 2 of 3, notBreaching", 3, 2, kNotB, "---B-B", kOk,
                 kAl},
        EvalCase{"too few, two breaches reach 2 of 3, ignore", 3, 2, kIgn, "---B-B", kOk, kAl},
        EvalCase{"too few, one of two breaches, missing", 3, 2, kMiss, "----.B", kAl, kOk},
        EvalCase{"too few, one of two breaches, notBreaching", 3, 2, kNotB, "----.B", kAl, kOk},
        EvalCase{"too few, one of two breaches, breaching", 3, 2, kBrch, "----.B", kOk, kAl},
        EvalCase{"too few, one of two breaches, ignore keeps OK", 3, 2, kIgn, "----.B", kOk, kOk},
        EvalCase{"too few, one of two breaches, ignore keeps ALARM", 3, 2, kIgn, "----.B", kAl,
                 kAl}),
    [](const auto& info) { return CaseName(info.param.description); });

// ---- Comparisons at the boundary -------------------------------------------

struct ComparisonCase {
  Comparison comparison;
  double value;
  bool want;
};

class AlarmComparisonTest : public ::testing::TestWithParam<ComparisonCase> {};

TEST_P(AlarmComparisonTest, Breaches) {
  const ComparisonCase& c = GetParam();
  EXPECT_EQ(Breaches(c.comparison, c.value, kThreshold), c.want)
      << c.value << " " << ToString(c.comparison) << " " << kThreshold;
  AlarmSpec s = OneMinuteAlarm(1, 1, MissingData::kMissing);
  s.comparison = c.comparison;
  MetricHistory h(8);
  h.Record(kNow - 1, Datapoint::Single(c.value));
  EXPECT_EQ(EvaluateAlarm(s, h, kNow, AlarmState::kInsufficientData),
            c.want ? AlarmState::kAlarm : AlarmState::kOk);
}

INSTANTIATE_TEST_SUITE_P(
    Alarm, AlarmComparisonTest,
    ::testing::Values(ComparisonCase{Comparison::kGreaterThanOrEqual, 50, true},
                      ComparisonCase{Comparison::kGreaterThanOrEqual, 49.99, false},
                      ComparisonCase{Comparison::kGreaterThan, 50, false},
                      ComparisonCase{Comparison::kGreaterThan, 50.01, true},
                      ComparisonCase{Comparison::kLessThan, 50, false},
                      ComparisonCase{Comparison::kLessThan, 49.99, true},
                      ComparisonCase{Comparison::kLessThanOrEqual, 50, true},
                      ComparisonCase{Comparison::kLessThanOrEqual, 50.01, false}));

// ---- MinutesNeeded ------------------------------------------------------------

TEST(AlarmMinutesNeededTest, IsTheWholeEvaluationRange) {
  struct Case {
    int n;
    int period_seconds;
    int want;
  };
  for (const Case& c : std::vector<Case>{{1, 60, 2}, {3, 60, 6}, {5, 60, 10}, {15, 60, 20},
                                         {2, 300, 20}, {10, 300, 75}}) {
    AlarmSpec s = OneMinuteAlarm(c.n, 1, MissingData::kMissing);
    s.period_seconds = c.period_seconds;
    EXPECT_EQ(MinutesNeeded(s), c.want) << "N=" << c.n << " period=" << c.period_seconds;
  }
}

// ---- Validation -------------------------------------------------------------

struct ValidateCase {
  std::string description;
  void (*mutate)(AlarmSpec&);
  std::string want_substring;  // empty: valid
};

class AlarmValidateTest : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(AlarmValidateTest, Message) {
  const ValidateCase& c = GetParam();
  AlarmSpec s = OneMinuteAlarm(3, 2, MissingData::kMissing);
  c.mutate(s);
  const Status st = Validate(s);
  if (c.want_substring.empty()) {
    EXPECT_TRUE(st.ok()) << c.description << ": " << st.message();
    return;
  }
  ASSERT_FALSE(st.ok()) << c.description;
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(c.want_substring), std::string::npos)
      << c.description << ": got \"" << st.message() << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    Alarm, AlarmValidateTest,
    ::testing::Values(
        ValidateCase{"valid", [](AlarmSpec&) {}, ""},
        ValidateCase{"one day exactly is allowed",
                     [](AlarmSpec& s) {
                       s.evaluation_periods = 24;
                       s.datapoints_to_alarm = 24;
                       s.period_seconds = 3600;
                     },
                     ""},
        ValidateCase{"empty name", [](AlarmSpec& s) { s.name.clear(); }, "name"},
        ValidateCase{"zero period", [](AlarmSpec& s) { s.period_seconds = 0; },
                     "period_seconds (0) must be a positive multiple of 60"},
        ValidateCase{"negative period", [](AlarmSpec& s) { s.period_seconds = -60; },
                     "period_seconds (-60)"},
        ValidateCase{"period not a multiple of 60", [](AlarmSpec& s) { s.period_seconds = 90; },
                     "period_seconds (90)"},
        ValidateCase{"zero evaluation periods",
                     [](AlarmSpec& s) {
                       s.evaluation_periods = 0;
                       s.datapoints_to_alarm = 0;
                     },
                     "evaluation_periods (0)"},
        ValidateCase{"M above N", [](AlarmSpec& s) { s.datapoints_to_alarm = 4; },
                     "datapoints_to_alarm (4) must be between 1 and evaluation_periods (3)"},
        ValidateCase{"M zero", [](AlarmSpec& s) { s.datapoints_to_alarm = 0; },
                     "datapoints_to_alarm (0)"},
        ValidateCase{"longer than a day",
                     [](AlarmSpec& s) {
                       s.evaluation_periods = 25;
                       s.period_seconds = 3600;
                     },
                     "evaluation_periods (25) * period_seconds (3600)"},
        ValidateCase{"NaN threshold",
                     [](AlarmSpec& s) { s.threshold = std::numeric_limits<double>::quiet_NaN(); },
                     "threshold"},
        ValidateCase{"infinite threshold",
                     [](AlarmSpec& s) { s.threshold = std::numeric_limits<double>::infinity(); },
                     "threshold (inf) must be finite"}),
    [](const auto& info) { return CaseName(info.param.description); });

// ---- Names -------------------------------------------------------------------

TEST(AlarmNamesTest, StatisticRoundTripsAndAcceptsLowercase) {
  const std::vector<std::pair<std::string, Statistic>> cases = {
      {"Average", Statistic::kAverage},         {"average", Statistic::kAverage},
      {"Sum", Statistic::kSum},                 {"sum", Statistic::kSum},
      {"Minimum", Statistic::kMinimum},         {"minimum", Statistic::kMinimum},
      {"Maximum", Statistic::kMaximum},         {"maximum", Statistic::kMaximum},
      {"SampleCount", Statistic::kSampleCount}, {"samplecount", Statistic::kSampleCount},
  };
  for (const auto& [text, want] : cases) {
    Statistic got{};
    ASSERT_TRUE(ParseStatistic(text, &got)) << text;
    EXPECT_EQ(got, want) << text;
    Statistic again{};
    ASSERT_TRUE(ParseStatistic(ToString(got), &again));
    EXPECT_EQ(again, want);
  }
  Statistic out{};
  EXPECT_FALSE(ParseStatistic("p99", &out));
  EXPECT_FALSE(ParseStatistic("", &out));
}

TEST(AlarmNamesTest, ComparisonAcceptsSymbolsAndAwsNames) {
  const std::vector<std::pair<std::string, Comparison>> cases = {
      {">=", Comparison::kGreaterThanOrEqual},
      {"GreaterThanOrEqualToThreshold", Comparison::kGreaterThanOrEqual},
      {">", Comparison::kGreaterThan},
      {"GreaterThanThreshold", Comparison::kGreaterThan},
      {"<", Comparison::kLessThan},
      {"LessThanThreshold", Comparison::kLessThan},
      {"<=", Comparison::kLessThanOrEqual},
      {"LessThanOrEqualToThreshold", Comparison::kLessThanOrEqual},
  };
  for (const auto& [text, want] : cases) {
    Comparison got{};
    ASSERT_TRUE(ParseComparison(text, &got)) << text;
    EXPECT_EQ(got, want) << text;
  }
  EXPECT_EQ(ToString(Comparison::kGreaterThanOrEqual), ">=");
  EXPECT_EQ(ToString(Comparison::kGreaterThan), ">");
  EXPECT_EQ(ToString(Comparison::kLessThan), "<");
  EXPECT_EQ(ToString(Comparison::kLessThanOrEqual), "<=");
  Comparison out{};
  EXPECT_FALSE(ParseComparison("==", &out));
  EXPECT_FALSE(ParseComparison("=>", &out));
}

TEST(AlarmNamesTest, MissingDataRoundTrips) {
  const std::vector<std::pair<std::string, MissingData>> cases = {
      {"missing", MissingData::kMissing},
      {"notBreaching", MissingData::kNotBreaching},
      {"breaching", MissingData::kBreaching},
      {"ignore", MissingData::kIgnore},
  };
  for (const auto& [text, want] : cases) {
    MissingData got{};
    ASSERT_TRUE(ParseMissingData(text, &got)) << text;
    EXPECT_EQ(got, want) << text;
    EXPECT_EQ(ToString(want), text);
  }
  MissingData out{};
  EXPECT_FALSE(ParseMissingData("zero", &out));
}

TEST(AlarmNamesTest, StatesAreCloudWatchNames) {
  EXPECT_EQ(ToString(AlarmState::kInsufficientData), "INSUFFICIENT_DATA");
  EXPECT_EQ(ToString(AlarmState::kOk), "OK");
  EXPECT_EQ(ToString(AlarmState::kAlarm), "ALARM");
}

}  // namespace
}  // namespace shoal
