#include "core/policy.h"

#include <gtest/gtest.h>

#include <cctype>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace shoal {
namespace {

std::string CaseName(const std::string& description) {
  std::string out;
  for (char c : description) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

constexpr auto kNone = std::nullopt;

// ---- AdjustedCapacity ---------------------------------------------------------

struct AdjustCase {
  std::string description;
  AdjustmentType type;
  double adjustment;
  int current;
  int min_magnitude;
  int want;
};

class PolicyAdjustedCapacityTest : public ::testing::TestWithParam<AdjustCase> {};

TEST_P(PolicyAdjustedCapacityTest, Rounds) {
  const AdjustCase& c = GetParam();
  EXPECT_EQ(AdjustedCapacity(c.type, c.adjustment, c.current, c.min_magnitude), c.want)
      << c.description;
}

constexpr auto kChange = AdjustmentType::kChangeInCapacity;
constexpr auto kExact = AdjustmentType::kExactCapacity;
constexpr auto kPercent = AdjustmentType::kPercentChangeInCapacity;

INSTANTIATE_TEST_SUITE_P(
    Policy, PolicyAdjustedCapacityTest,
    ::testing::Values(
        AdjustCase{"change adds", kChange, 2, 5, 0, 7},
        AdjustCase{"change subtracts below zero before clamping", kChange, -3, 2, 0, -1},
        AdjustCase{"change ignores min magnitude", kChange, 1, 5, 3, 6},
        AdjustCase{"exact replaces", kExact, 4, 10, 0, 4},
        AdjustCase{"exact zero", kExact, 0, 10, 0, 0},
        AdjustCase{"10 percent of 2 is 0.2, rounds up to +1", kPercent, 10, 2, 0, 3},
        AdjustCase{"-10 percent of 2 is -0.2, rounds to -1", kPercent, -10, 2, 0, 1},
        AdjustCase{"10 percent of 25 is 2.5, truncates to 2", kPercent, 10, 25, 0, 27},
        AdjustCase{"-10 percent of 25 is -2.5, truncates to -2", kPercent, -10, 25, 0, 23},
        AdjustCase{"150 percent of 3 is 4.5, truncates to 4", kPercent, 150, 3, 0, 7},
        AdjustCase{"-50 percent of 3 is -1.5, truncates to -1", kPercent, -50, 3, 0, 2},
        AdjustCase{"10 percent of 30 is exactly 3", kPercent, 10, 30, 0, 33},
        AdjustCase{"100 percent of 1 is exactly 1", kPercent, 100, 1, 0, 2},
        AdjustCase{"-100 percent of 4 empties", kPercent, -100, 4, 0, 0},
        AdjustCase{"1000 percent of 2", kPercent, 1000, 2, 0, 22},
        AdjustCase{"4.1 percent of 1000 is 41", kPercent, 4.1, 1000, 0, 1041},
        AdjustCase{"0 percent changes nothing", kPercent, 0, 10, 2, 10},
        AdjustCase{"percent of 0 is 0", kPercent, 50, 0, 0, 0},
        AdjustCase{"min magnitude 2 raises 0.5 (-> 1) to 2", kPercent, 10, 5, 2, 7},
        AdjustCase{"min magnitude 2 raises -0.5 (-> -1) to -2", kPercent, -10, 5, 2, 3},
        AdjustCase{"min magnitude 3 raises 2.5 (-> 2) to 3", kPercent, 10, 25, 3, 28},
        AdjustCase{"min magnitude below the change does nothing", kPercent, 50, 10, 3, 15},
        AdjustCase{"min magnitude equal to the change does nothing", kPercent, 10, 30, 3, 33}),
    [](const auto& info) { return CaseName(info.param.description); });

// ---- FindStep -----------------------------------------------------------------

// Threshold 50; scale-out steps above it and scale-in steps below it.
const std::vector<StepAdjustment> kScaleOut = {
    {0.0, 10.0, 1}, {10.0, 20.0, 2}, {20.0, kNone, 3}};
const std::vector<StepAdjustment> kScaleIn = {
    {kNone, -20.0, -3}, {-20.0, -10.0, -2}, {-10.0, 0.0, -1}};
const std::vector<StepAdjustment> kBoth = {{kNone, 0.0, -1}, {0.0, kNone, 1}};
const std::vector<StepAdjustment> kStraddle = {{-10.0, 10.0, 5}};

struct FindStepCase {
  std::string description;
  const std::vector<StepAdjustment>* steps;
  double value;
  int want_index;  // -1: no step
};

class PolicyFindStepTest : public ::testing::TestWithParam<FindStepCase> {};

TEST_P(PolicyFindStepTest, Selects) {
  const FindStepCase& c = GetParam();
  const StepAdjustment* got = FindStep(*c.steps, c.value, 50);
  if (c.want_index < 0) {
    EXPECT_EQ(got, nullptr) << c.description;
    return;
  }
  ASSERT_NE(got, nullptr) << c.description;
  EXPECT_EQ(got - c.steps->data(), c.want_index) << c.description;
}

INSTANTIATE_TEST_SUITE_P(
    Policy, PolicyFindStepTest,
    ::testing::Values(
        FindStepCase{"above: at threshold, lower bound inclusive", &kScaleOut, 50, 0},
        FindStepCase{"above: inside first step", &kScaleOut, 59.9, 0},
        FindStepCase{"above: upper bound exclusive", &kScaleOut, 60, 1},
        FindStepCase{"above: second boundary", &kScaleOut, 70, 2},
        FindStepCase{"above: unbounded top", &kScaleOut, 1e9, 2},
        FindStepCase{"above steps do not cover below", &kScaleOut, 49.9, -1},
        FindStepCase{"below: upper bound inclusive", &kScaleIn, 40, 1},
        FindStepCase{"below: lower bound exclusive", &kScaleIn, 30, 0},
        FindStepCase{"below: inside step", &kScaleIn, 35, 1},
        FindStepCase{"below: near threshold", &kScaleIn, 45, 2},
        FindStepCase{"below: unbounded bottom", &kScaleIn, -1e9, 0},
        FindStepCase{"below steps at threshold use the step ending at 0", &kScaleIn, 50, 2},
        FindStepCase{"below steps do not cover above", &kScaleIn, 50.1, -1},
        FindStepCase{"both: at threshold picks the upper step", &kBoth, 50, 1},
        FindStepCase{"both: below picks the lower step", &kBoth, 49, 0},
        FindStepCase{"straddle: lower bound exclusive below", &kStraddle, 40, -1},
        FindStepCase{"straddle: upper bound exclusive above", &kStraddle, 60, -1},
        FindStepCase{"straddle: inside below", &kStraddle, 40.1, 0},
        FindStepCase{"straddle: inside above", &kStraddle, 59.9, 0},
        FindStepCase{"straddle: at threshold", &kStraddle, 50, 0}),
    [](const auto& info) { return CaseName(info.param.description); });

TEST(PolicyFindStepTest, EmptyStepsFindNothing) { EXPECT_EQ(FindStep({}, 60, 50), nullptr); }

// ---- ValidateSteps --------------------------------------------------------------

struct StepsCase {
  std::string description;
  std::vector<StepAdjustment> steps;
  std::string want_substring;  // empty: valid
};

class PolicyValidateStepsTest : public ::testing::TestWithParam<StepsCase> {};

TEST_P(PolicyValidateStepsTest, Message) {
  const StepsCase& c = GetParam();
  const Status st = ValidateSteps(c.steps);
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
    Policy, PolicyValidateStepsTest,
    ::testing::Values(
        StepsCase{"scale-out steps", kScaleOut, ""},
        StepsCase{"scale-in steps", kScaleIn, ""},
        StepsCase{"one unbounded step", {{kNone, kNone, 1}}, ""},
        StepsCase{"empty", {}, "steps must not be empty"},
        StepsCase{"gap",
                  {{0.0, 10.0, 1}, {20.0, kNone, 2}},
                  "steps[1].lower_bound (20) must equal steps[0].upper_bound (10): steps may not "
                  "leave gaps or overlap"},
        StepsCase{"overlap",
                  {{0.0, 20.0, 1}, {10.0, kNone, 2}},
                  "steps[1].lower_bound (10) must equal steps[0].upper_bound (20): steps may not "
                  "leave gaps or overlap"},
        StepsCase{"out of order",
                  {{10.0, 20.0, 1}, {0.0, 10.0, 2}},
                  "steps[1].lower_bound (0) must equal steps[0].upper_bound (20)"},
        StepsCase{"fractional gap",
                  {{0.0, 10.5, 1}, {10.25, kNone, 2}},
                  "steps[1].lower_bound (10.25) must equal steps[0].upper_bound (10.5)"},
        StepsCase{"two unbounded lowers",
                  {{kNone, 0.0, 1}, {kNone, 10.0, 2}},
                  "steps[1].lower_bound must be set"},
        StepsCase{"unbounded upper not last",
                  {{0.0, kNone, 1}, {10.0, 20.0, 2}},
                  "steps[0].upper_bound must be set"},
        StepsCase{"lower equals upper",
                  {{10.0, 10.0, 1}},
                  "steps[0].lower_bound (10) must be less than steps[0].upper_bound (10)"},
        StepsCase{"lower above upper",
                  {{0.0, 10.0, 1}, {10.0, 5.0, 2}},
                  "steps[1].lower_bound (10) must be less than steps[1].upper_bound (5)"},
        StepsCase{"infinite bound",
                  {{0.0, std::numeric_limits<double>::infinity(), 1}},
                  "steps[0] bounds"}),
    [](const auto& info) { return CaseName(info.param.description); });

// ---- Target tracking ----------------------------------------------------------

struct TrackingCase {
  std::string description;
  int current;
  double metric;
  double target;
  int want;
};

class PolicyTargetTrackingTest : public ::testing::TestWithParam<TrackingCase> {};

TEST_P(PolicyTargetTrackingTest, Capacity) {
  const TrackingCase& c = GetParam();
  EXPECT_EQ(TargetTrackingCapacity(c.current, c.metric, c.target), c.want) << c.description;
}

INSTANTIATE_TEST_SUITE_P(
    Policy, PolicyTargetTrackingTest,
    ::testing::Values(
        TrackingCase{"on target keeps capacity", 10, 50, 50, 10},
        TrackingCase{"over target scales out", 10, 60, 50, 12},
        TrackingCase{"slightly over rounds up", 10, 55, 50, 11},
        TrackingCase{"under target scales in", 10, 40, 50, 8},
        TrackingCase{"scale in rounds up (conservative)", 10, 41, 50, 9},
        TrackingCase{"small group rounds up", 3, 70, 50, 5},
        // 3 * 0.1 / 0.1 is 3.0000000000000004 in doubles: must not become 4.
        TrackingCase{"exact ratio with float error 3*0.1/0.1", 3, 0.1, 0.1, 3},
        TrackingCase{"exact ratio with float error 3*0.2/0.1", 3, 0.2, 0.1, 6},
        TrackingCase{"exact ratio with float error 3*1.1/0.3", 3, 1.1, 0.3, 11},
        TrackingCase{"exact ratio just below 3*0.7/0.7", 3, 0.7, 0.7, 3},
        TrackingCase{"idle metric goes to zero", 10, 0, 50, 0},
        TrackingCase{"empty group with load gets one", 0, 10, 50, 1},
        TrackingCase{"empty group without load stays empty", 0, 0, 50, 0},
        TrackingCase{"zero target keeps capacity", 10, 90, 0, 10},
        TrackingCase{"negative target keeps capacity", 10, 90, -5, 10}),
    [](const auto& info) { return CaseName(info.param.description); });

PolicySpec TrackingPolicy() {
  PolicySpec p;
  p.name = "cpu50";
  p.type = PolicyType::kTargetTracking;
  p.target_metric = MetricName::kCpuUtilization;
  p.target_value = 50;
  return p;
}

TEST(PolicyTargetTrackingAlarmTest, HighAlarmFiresAboveTarget) {
  PolicySpec p = TrackingPolicy();
  p.target_metric = MetricName::kRequestCountPerTarget;
  p.target_value = 1000;
  p.shape.scale_out_evaluation_periods = 4;
  p.shape.scale_out_datapoints = 2;
  const AlarmSpec a = TargetTrackingHighAlarm(p);
  EXPECT_EQ(a.name, "cpu50-high");
  EXPECT_EQ(a.metric, MetricName::kRequestCountPerTarget);
  EXPECT_EQ(a.statistic, Statistic::kAverage);
  EXPECT_EQ(a.period_seconds, 60);
  EXPECT_EQ(a.evaluation_periods, 4);
  EXPECT_EQ(a.datapoints_to_alarm, 2);
  EXPECT_EQ(a.comparison, Comparison::kGreaterThan);
  EXPECT_DOUBLE_EQ(a.threshold, 1000);
  EXPECT_EQ(a.missing_data, MissingData::kMissing);
  EXPECT_TRUE(Validate(a).ok());
}

TEST(PolicyTargetTrackingAlarmTest, LowAlarmFiresBelowTargetTimesRatio) {
  PolicySpec p = TrackingPolicy();
  p.shape.scale_in_evaluation_periods = 10;
  p.shape.scale_in_datapoints = 8;
  p.shape.scale_in_ratio = 0.8;
  const AlarmSpec a = TargetTrackingLowAlarm(p);
  EXPECT_EQ(a.name, "cpu50-low");
  EXPECT_EQ(a.metric, MetricName::kCpuUtilization);
  EXPECT_EQ(a.statistic, Statistic::kAverage);
  EXPECT_EQ(a.period_seconds, 60);
  EXPECT_EQ(a.evaluation_periods, 10);
  EXPECT_EQ(a.datapoints_to_alarm, 8);
  EXPECT_EQ(a.comparison, Comparison::kLessThan);
  EXPECT_DOUBLE_EQ(a.threshold, 40);
  EXPECT_EQ(a.missing_data, MissingData::kMissing);
  EXPECT_TRUE(Validate(a).ok());
}

TEST(PolicyTargetTrackingAlarmTest, DefaultShapeIsThreeOutFifteenIn) {
  const PolicySpec p = TrackingPolicy();
  const AlarmSpec high = TargetTrackingHighAlarm(p);
  const AlarmSpec low = TargetTrackingLowAlarm(p);
  EXPECT_EQ(high.evaluation_periods, 3);
  EXPECT_EQ(high.datapoints_to_alarm, 3);
  EXPECT_EQ(low.evaluation_periods, 15);
  EXPECT_EQ(low.datapoints_to_alarm, 15);
  EXPECT_DOUBLE_EQ(low.threshold, 45);
}

// ---- Validate(PolicySpec) -----------------------------------------------------

PolicySpec SimplePolicy() {
  PolicySpec p;
  p.name = "add-one";
  p.type = PolicyType::kSimple;
  p.alarm = "cpu-high";
  p.adjustment_type = AdjustmentType::kChangeInCapacity;
  p.scaling_adjustment = 1;
  return p;
}

PolicySpec StepPolicy() {
  PolicySpec p;
  p.name = "steps";
  p.type = PolicyType::kStep;
  p.alarm = "cpu-high";
  p.steps = kScaleOut;
  p.warmup = 300;
  return p;
}

struct PolicyValidateCase {
  std::string description;
  PolicySpec (*base)();
  void (*mutate)(PolicySpec&);
  std::string want_substring;  // empty: valid
};

class PolicyValidateTest : public ::testing::TestWithParam<PolicyValidateCase> {};

TEST_P(PolicyValidateTest, Message) {
  const PolicyValidateCase& c = GetParam();
  PolicySpec p = c.base();
  c.mutate(p);
  const Status st = Validate(p);
  if (c.want_substring.empty()) {
    EXPECT_TRUE(st.ok()) << c.description << ": " << st.message();
    return;
  }
  ASSERT_FALSE(st.ok()) << c.description;
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(c.want_substring), std::string::npos)
      << c.description << ": got \"" << st.message() << "\"";
}

using V = PolicyValidateCase;
void Keep(PolicySpec&) {}

INSTANTIATE_TEST_SUITE_P(
    PolicySimple, PolicyValidateTest,
    ::testing::Values(
        V{"valid simple", SimplePolicy, Keep, ""},
        V{"valid scale in", SimplePolicy, [](PolicySpec& p) { p.scaling_adjustment = -2; }, ""},
        V{"valid exact zero",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kExactCapacity;
            p.scaling_adjustment = 0;
          },
          ""},
        V{"valid percent with min magnitude",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
            p.scaling_adjustment = -1000;
            p.min_adjustment_magnitude = 2;
          },
          ""},
        V{"empty name", SimplePolicy, [](PolicySpec& p) { p.name.clear(); }, "name"},
        V{"no alarm", SimplePolicy, [](PolicySpec& p) { p.alarm.clear(); }, "alarm"},
        V{"zero change", SimplePolicy, [](PolicySpec& p) { p.scaling_adjustment = 0; },
          "scaling_adjustment must not be 0"},
        V{"fractional change", SimplePolicy, [](PolicySpec& p) { p.scaling_adjustment = 1.5; },
          "scaling_adjustment (1.5)"},
        V{"negative exact",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kExactCapacity;
            p.scaling_adjustment = -1;
          },
          "scaling_adjustment (-1)"},
        V{"zero percent",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
            p.scaling_adjustment = 0;
          },
          "scaling_adjustment must not be 0"},
        V{"percent over 1000",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
            p.scaling_adjustment = 1001;
          },
          "scaling_adjustment (1001)"},
        V{"percent under -1000",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
            p.scaling_adjustment = -1001;
          },
          "scaling_adjustment (-1001)"},
        V{"min magnitude without percent", SimplePolicy,
          [](PolicySpec& p) { p.min_adjustment_magnitude = 2; }, "min_adjustment_magnitude (2)"},
        V{"negative min magnitude",
          SimplePolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
            p.min_adjustment_magnitude = -1;
          },
          "min_adjustment_magnitude (-1)"},
        V{"negative cooldown", SimplePolicy, [](PolicySpec& p) { p.cooldown = -5; },
          "cooldown (-5)"},
        V{"zero cooldown", SimplePolicy, [](PolicySpec& p) { p.cooldown = 0; }, ""},
        V{"negative warmup", SimplePolicy, [](PolicySpec& p) { p.warmup = -1; }, "warmup (-1)"}),
    [](const auto& info) { return CaseName(info.param.description); });

INSTANTIATE_TEST_SUITE_P(
    PolicyStep, PolicyValidateTest,
    ::testing::Values(
        V{"valid step", StepPolicy, Keep, ""},
        V{"valid scale-in step", StepPolicy, [](PolicySpec& p) { p.steps = kScaleIn; }, ""},
        V{"zero step is a dead band",
          StepPolicy,
          [](PolicySpec& p) { p.steps = {{0.0, 10.0, 0}, {10.0, kNone, 2}}; },
          ""},
        V{"no alarm", StepPolicy, [](PolicySpec& p) { p.alarm.clear(); }, "alarm"},
        V{"no steps", StepPolicy, [](PolicySpec& p) { p.steps.clear(); },
          "steps must not be empty"},
        V{"gap", StepPolicy, [](PolicySpec& p) { p.steps[1].lower_bound = 11; },
          "steps[1].lower_bound (11) must equal steps[0].upper_bound (10)"},
        V{"mixed signs", StepPolicy, [](PolicySpec& p) { p.steps[1].adjustment = -1; },
          "steps[1].adjustment (-1) has the opposite sign of steps[0].adjustment (1)"},
        V{"mixed signs after a dead band",
          StepPolicy,
          [](PolicySpec& p) { p.steps = {{0.0, 10.0, 0}, {10.0, 20.0, -1}, {20.0, kNone, 2}}; },
          "steps[2].adjustment (2) has the opposite sign of steps[1].adjustment (-1)"},
        V{"negative exact step",
          StepPolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kExactCapacity;
            p.steps[0].adjustment = -2;
          },
          "steps[0].adjustment (-2)"},
        V{"percent step over 1000",
          StepPolicy,
          [](PolicySpec& p) {
            p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
            p.steps[2].adjustment = 2000;
          },
          "steps[2].adjustment (2000)"},
        V{"negative warmup", StepPolicy, [](PolicySpec& p) { p.warmup = -60; },
          "warmup (-60)"}),
    [](const auto& info) { return CaseName(info.param.description); });

INSTANTIATE_TEST_SUITE_P(
    PolicyTargetTracking, PolicyValidateTest,
    ::testing::Values(
        V{"valid tracking", TrackingPolicy, Keep, ""},
        V{"requests may exceed 100",
          TrackingPolicy,
          [](PolicySpec& p) {
            p.target_metric = MetricName::kRequestCountPerTarget;
            p.target_value = 1500;
          },
          ""},
        V{"ratio of exactly 1", TrackingPolicy, [](PolicySpec& p) { p.shape.scale_in_ratio = 1; },
          ""},
        V{"empty name", TrackingPolicy, [](PolicySpec& p) { p.name.clear(); }, "name"},
        V{"zero target", TrackingPolicy, [](PolicySpec& p) { p.target_value = 0; },
          "target_value (0) must be > 0"},
        V{"negative target", TrackingPolicy, [](PolicySpec& p) { p.target_value = -5; },
          "target_value (-5)"},
        V{"cpu over 100", TrackingPolicy, [](PolicySpec& p) { p.target_value = 150; },
          "target_value (150) must be <= 100"},
        V{"no scale-out periods", TrackingPolicy,
          [](PolicySpec& p) { p.shape.scale_out_evaluation_periods = 0; },
          "shape.scale_out_evaluation_periods (0)"},
        V{"scale-out datapoints above periods", TrackingPolicy,
          [](PolicySpec& p) { p.shape.scale_out_datapoints = 4; },
          "shape.scale_out_datapoints (4) must be between 1 and "
          "shape.scale_out_evaluation_periods (3)"},
        V{"no scale-in datapoints", TrackingPolicy,
          [](PolicySpec& p) { p.shape.scale_in_datapoints = 0; },
          "shape.scale_in_datapoints (0)"},
        V{"no scale-in periods", TrackingPolicy,
          [](PolicySpec& p) { p.shape.scale_in_evaluation_periods = 0; },
          "shape.scale_in_evaluation_periods (0)"},
        V{"zero ratio", TrackingPolicy, [](PolicySpec& p) { p.shape.scale_in_ratio = 0; },
          "shape.scale_in_ratio (0)"},
        V{"ratio over 1", TrackingPolicy, [](PolicySpec& p) { p.shape.scale_in_ratio = 1.1; },
          "shape.scale_in_ratio (1.1)"},
        V{"negative warmup", TrackingPolicy, [](PolicySpec& p) { p.warmup = -1; },
          "warmup (-1)"}),
    [](const auto& info) { return CaseName(info.param.description); });

// ---- Names ----------------------------------------------------------------------

TEST(PolicyNamesTest, PolicyTypeRoundTrips) {
  for (PolicyType t : {PolicyType::kSimple, PolicyType::kStep, PolicyType::kTargetTracking,
                       PolicyType::kPredictive}) {
    PolicyType got{};
    ASSERT_TRUE(ParsePolicyType(ToString(t), &got)) << ToString(t);
    EXPECT_EQ(got, t);
  }
  EXPECT_EQ(ToString(PolicyType::kTargetTracking), "target-tracking");
  PolicyType out{};
  EXPECT_FALSE(ParsePolicyType("scheduled", &out));
}

TEST(PolicyNamesTest, AdjustmentTypeAcceptsShortAndAwsNames) {
  const std::vector<std::pair<std::string, AdjustmentType>> cases = {
      {"change", kChange},  {"ChangeInCapacity", kChange},
      {"exact", kExact},    {"ExactCapacity", kExact},
      {"percent", kPercent}, {"PercentChangeInCapacity", kPercent},
  };
  for (const auto& [text, want] : cases) {
    AdjustmentType got{};
    ASSERT_TRUE(ParseAdjustmentType(text, &got)) << text;
    EXPECT_EQ(got, want) << text;
  }
  EXPECT_EQ(ToString(kChange), "change");
  EXPECT_EQ(ToString(kExact), "exact");
  EXPECT_EQ(ToString(kPercent), "percent");
  AdjustmentType out{};
  EXPECT_FALSE(ParseAdjustmentType("delta", &out));
}

}  // namespace
}  // namespace shoal
