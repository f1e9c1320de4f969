#include "adapters/config/scaling_reader.h"

#include <sstream>
#include <string>
#include <vector>

#include "adapters/config/schema.h"

namespace shoal::config_internal {
namespace {

std::vector<std::string> MetricNames() {
  return NamesOf({MetricName::kCpuUtilization, MetricName::kRequestCountPerTarget});
}

// Keys of another type are an error rather than ignored: "target" on a step
// policy is a misunderstanding worth reporting. The message lists the type's
// own keys (not name and type, which every policy takes).
void RejectKeysOfOtherTypes(const MapReader& m, PolicyType type) {
  const PolicyTypes mine = TypeBit(type);
  std::vector<std::string> own;
  for (const KeyShape& key : PolicyMap().shape().keys) {
    if ((key.types & mine) != 0 && key.types != kAllPolicyTypes) own.emplace_back(key.name);
  }
  for (const KeyShape& key : PolicyMap().shape().keys) {
    if ((key.types & mine) == 0 && m.Has(key.name)) {
      m.FailAt(key.name, "not used by a " + std::string(ToString(type)) + " policy; it takes: " + Join(own));
    }
  }
}

// M of N: the core checks this too, but here the message names the key and line.
void CheckDatapoints(const MapReader& m, std::string_view key, int datapoints, int periods) {
  if (datapoints > periods) {
    m.FailAt(key, "(" + std::to_string(datapoints) + ") must be at most evaluation_periods (" +
                      std::to_string(periods) + ")");
  }
}

StepAdjustment ReadStep(const MapReader& m) {
  m.AllowOnly(KeyNames(StepMap().shape()));
  m.Require("adjustment");
  StepAdjustment step;
  m.Bound("lower", &step.lower_bound, /*upper=*/false);
  m.Bound("upper", &step.upper_bound, /*upper=*/true);
  m.Number("adjustment", &step.adjustment);
  return step;
}

// As for alarms, datapoints left out means "all of the evaluation periods".
void ReadShape(const MapReader& m, TargetTrackingShape* shape) {
  m.AllowOnly(KeyNames(AlarmShapeMap().shape()));
  MapReader out = m.Map("scale_out");
  out.AllowOnly(KeyNames(ScaleOutMap().shape()));
  out.Int("evaluation_periods", &shape->scale_out_evaluation_periods, 1);
  if (out.Has("evaluation_periods")) shape->scale_out_datapoints = shape->scale_out_evaluation_periods;
  out.Int("datapoints", &shape->scale_out_datapoints, 1);
  CheckDatapoints(out, "datapoints", shape->scale_out_datapoints,
                  shape->scale_out_evaluation_periods);
  MapReader in = m.Map("scale_in");
  in.AllowOnly(KeyNames(ScaleInMap().shape()));
  in.Int("evaluation_periods", &shape->scale_in_evaluation_periods, 1);
  if (in.Has("evaluation_periods")) shape->scale_in_datapoints = shape->scale_in_evaluation_periods;
  in.Int("datapoints", &shape->scale_in_datapoints, 1);
  CheckDatapoints(in, "datapoints", shape->scale_in_datapoints, shape->scale_in_evaluation_periods);
  in.PositiveNumber("ratio", &shape->scale_in_ratio);
  if (shape->scale_in_ratio > 1) in.FailAt("ratio", "must be at most 1 (a fraction of the target)");
}

void ReadAlarmPolicyFields(const MapReader& m, PolicySpec* p) {
  m.Require("alarm");
  m.String("alarm", &p->alarm);
  m.Enum("adjustment_type", &p->adjustment_type, &ParseAdjustmentType,
         NamesOf({AdjustmentType::kChangeInCapacity, AdjustmentType::kExactCapacity,
                  AdjustmentType::kPercentChangeInCapacity}));
  m.Int("min_adjustment_magnitude", &p->min_adjustment_magnitude);
}

void ReadSimple(const MapReader& m, PolicySpec* p) {
  ReadAlarmPolicyFields(m, p);
  m.Require("adjustment");
  m.Number("adjustment", &p->scaling_adjustment);
  m.OptionalDuration("cooldown", &p->cooldown);
}

void ReadStepPolicy(const MapReader& m, PolicySpec* p) {
  ReadAlarmPolicyFields(m, p);
  m.Require("steps");
  for (const MapReader& step : m.List("steps")) p->steps.push_back(ReadStep(step));
  if (p->steps.empty()) m.FailAt("steps", "must list at least one step");
  m.Duration("warmup", &p->warmup);
}

void ReadTargetTracking(const MapReader& m, PolicySpec* p) {
  m.Enum("metric", &p->target_metric, &ParseMetricName, MetricNames());
  m.Require("target");
  m.PositiveNumber("target", &p->target_value);
  m.Bool("disable_scale_in", &p->disable_scale_in);
  m.OptionalDuration("cooldown", &p->cooldown);  // between scale-ins
  m.Duration("warmup", &p->warmup);
  ReadShape(m.Map("alarm_shape"), &p->shape);
}

std::string Shown(double v) {
  std::ostringstream text;
  text << v;
  return text.str();
}

// learn_periods and what tunes it; the tuning keys without learn_periods
// would be ignored, so they are refused.
void ReadLearning(const MapReader& m, PolicySpec* p) {
  m.Bool("learn_periods", &p->learn_periods);
  if (!p->learn_periods) {
    for (std::string_view key : {"max_period", "repetitions", "short_period_repetitions", "min_correlation"}) {
      if (m.Has(key)) m.FailAt(key, "only used when learn_periods is true");
    }
    return;
  }
  Seconds max_period = static_cast<Seconds>(p->max_period_minutes) * kMinute;
  m.Duration("max_period", &max_period);
  if (max_period < 10 * kMinute || max_period % kMinute != 0 || max_period > kMaxPeriodMinutes * kMinute) {
    m.FailAt("max_period", "must be a whole number of minutes between 10m and " +
                               std::to_string(kMaxPeriodMinutes / 1440) + "d, got " + std::to_string(max_period) + "s");
  }
  p->max_period_minutes = static_cast<int>(max_period / kMinute);
  m.Int("repetitions", &p->repetitions, 1, 20);
  if (static_cast<std::int64_t>(p->max_period_minutes) * (p->repetitions + 1) > kMaxLearnHistoryDays * 1440LL) {
    m.FailAt("repetitions", "max_period x (repetitions + 1) must be at most " +
                                std::to_string(kMaxLearnHistoryDays) + " days of history");
  }
  if (m.Has("short_period_repetitions")) m.Int("short_period_repetitions", &p->short_period_repetitions, 1, 20);
  m.Number("min_correlation", &p->min_correlation);
  if (!(p->min_correlation > 0 && p->min_correlation < 1)) {
    m.FailAt("min_correlation", "must be above 0 and below 1, got " + Shown(p->min_correlation));
  }
}

// level_window: how long the load's level is compared with the forecast
// source's (0: never); level_ratio: below what share of the source's load
// its forecast is scaled down, in proportion (LevelScale); level_rise:
// above what share it is scaled up (0: never). Either alone would be
// ignored, so it is refused.
void ReadLevel(const MapReader& m, PolicySpec* p) {
  Seconds window = static_cast<Seconds>(p->level_window_minutes) * kMinute;
  m.Duration("level_window", &window);
  if (window != 0 && (window < kMinLevelWindowMinutes * kMinute || window % kMinute != 0 ||
                      window > kMaxLevelWindowMinutes * kMinute)) {
    m.FailAt("level_window", "must be 0 (never scale a forecast) or a whole number of minutes between " +
                                 std::to_string(kMinLevelWindowMinutes) + "m and " +
                                 std::to_string(kMaxLevelWindowMinutes / 60) + "h, got " + std::to_string(window) +
                                 "s");
  }
  p->level_window_minutes = static_cast<int>(window / kMinute);
  if (p->level_window_minutes == 0) {
    for (const char* key : {"level_ratio", "level_rise"}) {
      if (m.Has(key)) m.FailAt(key, "only used with a level_window (e.g. level_window: 1h)");
    }
    return;
  }
  m.Number("level_ratio", &p->level_ratio);
  if (!(p->level_ratio > 0 && p->level_ratio <= 1)) {
    m.FailAt("level_ratio", "must be above 0 and at most 1 (0.8: below 80% of what its source saw, a forecast "
                            "is scaled in proportion), got " + Shown(p->level_ratio));
  }
  m.Number("level_rise", &p->level_rise);
  if (p->level_rise != 0 && !(p->level_rise > 1 && p->level_rise <= kMaxLevelRise)) {
    m.FailAt("level_rise", "must be 0 (never scale a forecast up) or above 1 and at most " +
                               std::to_string(static_cast<int>(kMaxLevelRise)) +
                               " (1.5: above 150% of what its source saw, a forecast is scaled up in proportion), got " +
                               Shown(p->level_rise));
  }
}

// lags: days back, e.g. [1, 7] (yesterday and the same day last week), or
// [] for none (only learned periods and headroom);
// horizon: how far ahead capacity is made ready (a duration, whole minutes).
void ReadPredictive(const MapReader& m, PolicySpec* p) {
  m.Require("target");
  m.PositiveNumber("target", &p->target_value);
  if (p->target_value > 100) m.FailAt("target", "must be at most 100 (a CPU percent)");
  m.IntList("lags", &p->lag_days, 1, kMaxLagDays, /*allow_empty=*/true);
  Seconds horizon = static_cast<Seconds>(p->horizon_minutes) * kMinute;
  m.Duration("horizon", &horizon);
  if (horizon < kMinute || horizon % kMinute != 0 || horizon > 240 * kMinute) {
    m.FailAt("horizon", "must be a whole number of minutes between 1m and 240m, got " +
                            std::to_string(horizon) + "s");
  }
  p->horizon_minutes = static_cast<int>(horizon / kMinute);
  Seconds lag_choice = static_cast<Seconds>(p->lag_choice_minutes) * kMinute;
  m.Duration("lag_choice_window", &lag_choice);
  if (lag_choice != 0 &&
      (lag_choice < kHour || lag_choice % kMinute != 0 || lag_choice > kMaxLagChoiceMinutes * kMinute)) {
    m.FailAt("lag_choice_window", "must be 0 (every lag, the busiest) or a whole number of minutes between 1h and " +
                                      std::to_string(kMaxLagChoiceMinutes / 1440) + "d, got " +
                                      std::to_string(lag_choice) + "s");
  }
  p->lag_choice_minutes = static_cast<int>(lag_choice / kMinute);
  if (p->lag_choice_minutes != 0 && p->lag_days.size() < 2) {
    m.FailAt("lag_choice_window", "chooses one of the lags: list at least two in lags (e.g. [1, 7])");
  }
  ReadLevel(m, p);
  ReadLearning(m, p);
  m.Number("headroom_quantile", &p->headroom_quantile);
  if (!(p->headroom_quantile >= 0 && p->headroom_quantile < 1)) {
    m.FailAt("headroom_quantile", "must be at least 0 and below 1 (0: no headroom; 0.99: the growth 99% of "
                                  "the minutes stayed within), got " + Shown(p->headroom_quantile));
  }
}

}  // namespace

AlarmSpec ReadAlarm(const MapReader& m) {
  m.AllowOnly(KeyNames(AlarmMap().shape()));
  m.Require("name");
  m.Require("threshold");
  AlarmSpec a;
  m.String("name", &a.name);
  m.Enum("metric", &a.metric, &ParseMetricName, MetricNames());
  m.Enum("statistic", &a.statistic, &ParseStatistic,
         NamesOf({Statistic::kAverage, Statistic::kSum, Statistic::kMinimum, Statistic::kMaximum,
                  Statistic::kSampleCount}));
  m.Duration("period", &a.period_seconds);
  if (a.period_seconds == 0 || a.period_seconds % kMinute != 0) {
    m.FailAt("period", "must be a positive multiple of 60 seconds (alarms read one-minute "
                       "datapoints), got " + std::to_string(a.period_seconds) + "s");
  }
  m.Int("evaluation_periods", &a.evaluation_periods, 1);
  a.datapoints_to_alarm = a.evaluation_periods;  // CloudWatch's default: M = N
  m.Int("datapoints_to_alarm", &a.datapoints_to_alarm, 1);
  CheckDatapoints(m, "datapoints_to_alarm", a.datapoints_to_alarm, a.evaluation_periods);
  m.Enum("comparison", &a.comparison, &ParseComparison,
         NamesOf({Comparison::kGreaterThanOrEqual, Comparison::kGreaterThan, Comparison::kLessThan,
                  Comparison::kLessThanOrEqual}));
  m.Number("threshold", &a.threshold);
  m.Enum("missing_data", &a.missing_data, &ParseMissingData,
         NamesOf({MissingData::kMissing, MissingData::kNotBreaching, MissingData::kBreaching,
                  MissingData::kIgnore}));
  return a;
}

PolicySpec ReadPolicy(const MapReader& m) {
  m.AllowOnly(KeyNames(PolicyMap().shape()));
  m.Require("name");
  PolicySpec p;
  m.String("name", &p.name);
  m.Enum("type", &p.type, &ParsePolicyType,
         NamesOf({PolicyType::kSimple, PolicyType::kStep, PolicyType::kTargetTracking,
                  PolicyType::kPredictive}));
  RejectKeysOfOtherTypes(m, p.type);
  switch (p.type) {
    case PolicyType::kSimple: ReadSimple(m, &p); break;
    case PolicyType::kStep: ReadStepPolicy(m, &p); break;
    case PolicyType::kTargetTracking: ReadTargetTracking(m, &p); break;
    case PolicyType::kPredictive: ReadPredictive(m, &p); break;
  }
  return p;
}

}  // namespace shoal::config_internal
