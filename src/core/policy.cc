#include "core/policy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "core/enum_names.h"

namespace shoal {
namespace {

constexpr double kMaxPercentMagnitude = 1000;  // keeps one percent step from exploding a group
constexpr double kMaxCpuPercent = 100;
constexpr int kMaxTrackingPeriods = 24 * 60;  // one-minute periods in a day, as for any alarm
// Products like 10 * 50 / 50 may land a hair above the exact integer; without
// this slack a ceil() or trunc() would be off by one.
constexpr double kRoundingSlack = 1e-9;

std::string Num(double v) {
  std::string s = std::to_string(v);
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string OptNum(const std::optional<double>& v) { return v ? Num(*v) : "unbounded"; }

int ClampToInt(double v) {
  constexpr double kLo = std::numeric_limits<int>::min();
  constexpr double kHi = std::numeric_limits<int>::max();
  if (std::isnan(v)) return 0;
  return static_cast<int>(std::clamp(v, kLo, kHi));
}

// Truncates toward zero, forgiving representation error just short of an integer.
double TruncTowardZero(double v) {
  return v >= 0 ? std::floor(v + kRoundingSlack) : std::ceil(v - kRoundingSlack);
}

double PercentAdjustment(double percent, int current, int min_adjustment_magnitude) {
  const double raw = static_cast<double>(current) * percent / 100.0;
  double adj = 0;
  if (raw > 0 && raw < 1) {
    adj = 1;  // any growth at all adds at least one instance
  } else if (raw < 0 && raw > -1) {
    adj = -1;
  } else {
    adj = TruncTowardZero(raw);
  }
  if (min_adjustment_magnitude > 0 && adj != 0 && std::abs(adj) < min_adjustment_magnitude) {
    adj = std::copysign(static_cast<double>(min_adjustment_magnitude), adj);
  }
  return adj;
}

bool IsWhole(double v) { return std::isfinite(v) && std::trunc(v) == v; }

Status CheckAdjustment(const std::string& field, AdjustmentType type, double v,
                       bool zero_allowed) {
  if (!std::isfinite(v)) {
    return Status::InvalidArgument(field + " (" + Num(v) + ") must be finite");
  }
  switch (type) {
    case AdjustmentType::kExactCapacity:
      if (v < 0 || !IsWhole(v)) {
        return Status::InvalidArgument(field + " (" + Num(v) +
                                       ") must be a whole number >= 0 for adjustment_type exact");
      }
      return Status::Ok();
    case AdjustmentType::kChangeInCapacity:
      if (!IsWhole(v)) {
        return Status::InvalidArgument(field + " (" + Num(v) +
                                       ") must be a whole number for adjustment_type change");
      }
      break;
    case AdjustmentType::kPercentChangeInCapacity:
      if (std::abs(v) > kMaxPercentMagnitude) {
        return Status::InvalidArgument(field + " (" + Num(v) +
                                       ") must be between -1000 and 1000 percent");
      }
      break;
  }
  if (!zero_allowed && v == 0) {
    return Status::InvalidArgument(field + " must not be 0: the policy would never change capacity");
  }
  return Status::Ok();
}

Status CheckMinAdjustmentMagnitude(const PolicySpec& p) {
  if (p.min_adjustment_magnitude < 0) {
    return Status::InvalidArgument("min_adjustment_magnitude (" +
                                   std::to_string(p.min_adjustment_magnitude) + ") must be >= 0");
  }
  if (p.min_adjustment_magnitude > 0 &&
      p.adjustment_type != AdjustmentType::kPercentChangeInCapacity) {
    return Status::InvalidArgument("min_adjustment_magnitude (" +
                                   std::to_string(p.min_adjustment_magnitude) +
                                   ") is only allowed with adjustment_type percent");
  }
  return Status::Ok();
}

Status CheckAlarmName(const PolicySpec& p) {
  if (p.alarm.empty()) {
    return Status::InvalidArgument("alarm must name an alarm for a " +
                                   std::string(ToString(p.type)) + " policy");
  }
  return Status::Ok();
}

Status ValidateSimple(const PolicySpec& p) {
  SHOAL_RETURN_IF_ERROR(CheckAlarmName(p));
  SHOAL_RETURN_IF_ERROR(CheckMinAdjustmentMagnitude(p));
  return CheckAdjustment("scaling_adjustment", p.adjustment_type, p.scaling_adjustment,
                         /*zero_allowed=*/false);
}

Status ValidateStep(const PolicySpec& p) {
  SHOAL_RETURN_IF_ERROR(CheckAlarmName(p));
  SHOAL_RETURN_IF_ERROR(CheckMinAdjustmentMagnitude(p));
  SHOAL_RETURN_IF_ERROR(ValidateSteps(p.steps));
  // A zero step is a deliberate dead band; only opposite signs are a mistake.
  std::optional<std::size_t> first_nonzero;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const double adj = p.steps[i].adjustment;
    const std::string field = "steps[" + std::to_string(i) + "].adjustment";
    SHOAL_RETURN_IF_ERROR(CheckAdjustment(field, p.adjustment_type, adj, /*zero_allowed=*/true));
    if (adj == 0) continue;
    if (!first_nonzero) {
      first_nonzero = i;
      continue;
    }
    const double first = p.steps[*first_nonzero].adjustment;
    if ((adj > 0) != (first > 0)) {
      return Status::InvalidArgument(
          field + " (" + Num(adj) + ") has the opposite sign of steps[" +
          std::to_string(*first_nonzero) + "].adjustment (" + Num(first) +
          "): a step policy scales one way only");
    }
  }
  return Status::Ok();
}

Status CheckShapePair(const std::string& what, int periods, int datapoints) {
  const std::string periods_field = "shape.scale_" + what + "_evaluation_periods";
  const std::string datapoints_field = "shape.scale_" + what + "_datapoints";
  if (periods < 1 || periods > kMaxTrackingPeriods) {
    return Status::InvalidArgument(periods_field + " (" + std::to_string(periods) +
                                   ") must be between 1 and 1440");
  }
  if (datapoints < 1 || datapoints > periods) {
    return Status::InvalidArgument(datapoints_field + " (" + std::to_string(datapoints) +
                                   ") must be between 1 and " + periods_field + " (" +
                                   std::to_string(periods) + ")");
  }
  return Status::Ok();
}

Status ValidateTargetTracking(const PolicySpec& p) {
  if (!std::isfinite(p.target_value) || p.target_value <= 0) {
    return Status::InvalidArgument("target_value (" + Num(p.target_value) + ") must be > 0");
  }
  if (p.target_metric == MetricName::kCpuUtilization && p.target_value > kMaxCpuPercent) {
    return Status::InvalidArgument("target_value (" + Num(p.target_value) +
                                   ") must be <= 100 for cpu_utilization");
  }
  SHOAL_RETURN_IF_ERROR(CheckShapePair("out", p.shape.scale_out_evaluation_periods,
                                       p.shape.scale_out_datapoints));
  SHOAL_RETURN_IF_ERROR(CheckShapePair("in", p.shape.scale_in_evaluation_periods,
                                       p.shape.scale_in_datapoints));
  const double ratio = p.shape.scale_in_ratio;
  if (!(ratio > 0 && ratio <= 1)) {  // written so that NaN fails too
    return Status::InvalidArgument("shape.scale_in_ratio (" + Num(ratio) +
                                   ") must be > 0 and <= 1");
  }
  return Status::Ok();
}

AlarmSpec TrackingAlarm(const PolicySpec& p, std::string_view suffix) {
  AlarmSpec a;
  a.name = p.name + std::string(suffix);
  a.metric = p.target_metric;
  a.statistic = Statistic::kAverage;
  a.period_seconds = 60;
  a.missing_data = MissingData::kMissing;
  return a;
}

}  // namespace

std::string_view ToString(PolicyType t) {
  switch (t) {
    case PolicyType::kSimple:
      return "simple";
    case PolicyType::kStep:
      return "step";
    case PolicyType::kTargetTracking:
      return "target-tracking";
    case PolicyType::kPredictive:
      return "predictive";
  }
  return "unknown";
}

std::string_view ToString(AdjustmentType t) {
  switch (t) {
    case AdjustmentType::kChangeInCapacity:
      return "change";
    case AdjustmentType::kExactCapacity:
      return "exact";
    case AdjustmentType::kPercentChangeInCapacity:
      return "percent";
  }
  return "unknown";
}

bool ParsePolicyType(std::string_view text, PolicyType* out) {
  return ParseEnumName(
      text, {PolicyType::kSimple, PolicyType::kStep, PolicyType::kTargetTracking, PolicyType::kPredictive}, out);
}

bool ParseAdjustmentType(std::string_view text, AdjustmentType* out) {
  struct Name {
    std::string_view short_name;
    std::string_view aws;
    AdjustmentType value;
  };
  static constexpr std::array<Name, 3> kNames = {{
      {"change", "ChangeInCapacity", AdjustmentType::kChangeInCapacity},
      {"exact", "ExactCapacity", AdjustmentType::kExactCapacity},
      {"percent", "PercentChangeInCapacity", AdjustmentType::kPercentChangeInCapacity},
  }};
  for (const Name& n : kNames) {
    if (text == n.short_name || text == n.aws) {
      *out = n.value;
      return true;
    }
  }
  return false;
}

int AdjustedCapacity(AdjustmentType type, double adjustment, int current,
                     int min_adjustment_magnitude) {
  switch (type) {
    case AdjustmentType::kExactCapacity:
      return ClampToInt(TruncTowardZero(adjustment));
    case AdjustmentType::kChangeInCapacity:
      return ClampToInt(current + TruncTowardZero(adjustment));
    case AdjustmentType::kPercentChangeInCapacity:
      return ClampToInt(current + PercentAdjustment(adjustment, current, min_adjustment_magnitude));
  }
  return current;
}

const StepAdjustment* FindStep(const std::vector<StepAdjustment>& steps, double value,
                               double threshold) {
  const double diff = value - threshold;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto lower_inclusive = [&](const StepAdjustment& s) {
    return s.lower_bound.value_or(-kInf) <= diff && diff < s.upper_bound.value_or(kInf);
  };
  auto upper_inclusive = [&](const StepAdjustment& s) {
    return s.lower_bound.value_or(-kInf) < diff && diff <= s.upper_bound.value_or(kInf);
  };
  if (diff >= 0) {
    for (const StepAdjustment& s : steps) {
      if (lower_inclusive(s)) return &s;
    }
  }
  // Below the threshold the upper bound is inclusive. Exactly at the threshold
  // a scale-in policy's steps end at 0 (upper bound 0), so fall back to the
  // same rule there rather than find nothing.
  if (diff <= 0) {
    for (const StepAdjustment& s : steps) {
      if (upper_inclusive(s)) return &s;
    }
  }
  return nullptr;
}

Status ValidateSteps(const std::vector<StepAdjustment>& steps) {
  if (steps.empty()) return Status::InvalidArgument("steps must not be empty");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepAdjustment& s = steps[i];
    const std::string at = "steps[" + std::to_string(i) + "]";
    if ((s.lower_bound && !std::isfinite(*s.lower_bound)) ||
        (s.upper_bound && !std::isfinite(*s.upper_bound))) {
      return Status::InvalidArgument(at + " bounds (" + OptNum(s.lower_bound) + ", " +
                                     OptNum(s.upper_bound) +
                                     ") must be finite; leave a bound out to mean unbounded");
    }
    if (i > 0 && !s.lower_bound) {
      return Status::InvalidArgument(at +
                                     ".lower_bound must be set: only the first step may be "
                                     "unbounded below");
    }
    if (i + 1 < steps.size() && !s.upper_bound) {
      return Status::InvalidArgument(at +
                                     ".upper_bound must be set: only the last step may be "
                                     "unbounded above");
    }
    if (s.lower_bound && s.upper_bound && *s.lower_bound >= *s.upper_bound) {
      return Status::InvalidArgument(at + ".lower_bound (" + Num(*s.lower_bound) +
                                     ") must be less than " + at + ".upper_bound (" +
                                     Num(*s.upper_bound) + ")");
    }
    if (i > 0 && *s.lower_bound != *steps[i - 1].upper_bound) {
      const std::string prev = "steps[" + std::to_string(i - 1) + "]";
      return Status::InvalidArgument(at + ".lower_bound (" + Num(*s.lower_bound) +
                                     ") must equal " + prev + ".upper_bound (" +
                                     Num(*steps[i - 1].upper_bound) +
                                     "): steps may not leave gaps or overlap");
    }
  }
  return Status::Ok();
}

int TargetTrackingCapacity(int current, double metric, double target) {
  if (!(target > 0) || std::isnan(metric)) return current;
  if (current <= 0) return metric > 0 ? 1 : 0;
  const double wanted = static_cast<double>(current) * metric / target;
  return std::max(0, ClampToInt(std::ceil(wanted - kRoundingSlack)));
}

AlarmSpec TargetTrackingHighAlarm(const PolicySpec& p) {
  AlarmSpec a = TrackingAlarm(p, "-high");
  a.evaluation_periods = p.shape.scale_out_evaluation_periods;
  a.datapoints_to_alarm = p.shape.scale_out_datapoints;
  a.comparison = Comparison::kGreaterThan;
  a.threshold = p.target_value;
  return a;
}

AlarmSpec TargetTrackingLowAlarm(const PolicySpec& p) {
  AlarmSpec a = TrackingAlarm(p, "-low");
  a.evaluation_periods = p.shape.scale_in_evaluation_periods;
  a.datapoints_to_alarm = p.shape.scale_in_datapoints;
  a.comparison = Comparison::kLessThan;
  a.threshold = p.target_value * p.shape.scale_in_ratio;
  return a;
}

static Status ValidatePredictive(const PolicySpec& p) {
  if (!(p.target_value > 0 && p.target_value <= 100)) {
    return Status::InvalidArgument("target_value (" + Num(p.target_value) +
                                   ") must be in (0, 100]: the CPU percent the forecast load should run at");
  }
  if (p.lag_days.empty() && !p.learn_periods && p.headroom_quantile <= 0) {
    return Status::InvalidArgument(
        "lag_days is empty and neither learn_periods nor headroom_quantile is set: the policy would forecast "
        "nothing; list a lag (e.g. [1]) or set one of them");
  }
  for (std::size_t i = 0; i < p.lag_days.size(); ++i) {
    if (p.lag_days[i] < 1 || p.lag_days[i] > kMaxLagDays) {
      return Status::InvalidArgument("lag_days[" + std::to_string(i) + "] (" + std::to_string(p.lag_days[i]) +
                                     ") must be between 1 and " + std::to_string(kMaxLagDays));
    }
  }
  if (p.horizon_minutes < 1 || p.horizon_minutes > 240) {
    return Status::InvalidArgument("horizon_minutes (" + std::to_string(p.horizon_minutes) +
                                   ") must be between 1 and 240");
  }
  if (p.lag_choice_minutes != 0 && (p.lag_choice_minutes < 60 || p.lag_choice_minutes > kMaxLagChoiceMinutes)) {
    return Status::InvalidArgument("lag_choice_minutes (" + std::to_string(p.lag_choice_minutes) +
                                   ") must be 0 (every lag) or between 60 and " +
                                   std::to_string(kMaxLagChoiceMinutes));
  }
  if (p.lag_choice_minutes != 0 && p.lag_days.size() < 2) {
    return Status::InvalidArgument("lag_choice_minutes chooses one of the lags: list at least two (e.g. [1, 7])");
  }
  if (p.level_window_minutes != 0 &&
      (p.level_window_minutes < kMinLevelWindowMinutes || p.level_window_minutes > kMaxLevelWindowMinutes)) {
    return Status::InvalidArgument("level_window_minutes (" + std::to_string(p.level_window_minutes) +
                                   ") must be 0 (never scale a forecast) or between " +
                                   std::to_string(kMinLevelWindowMinutes) + " and " +
                                   std::to_string(kMaxLevelWindowMinutes));
  }
  if (!(p.level_ratio > 0 && p.level_ratio <= 1)) {
    return Status::InvalidArgument("level_ratio must be above 0 and at most 1");
  }
  if (p.level_rise != 0 && !(p.level_rise > 1 && p.level_rise <= kMaxLevelRise)) {
    return Status::InvalidArgument("level_rise must be 0 (never scale a forecast up) or above 1 and at most " +
                                   std::to_string(static_cast<int>(kMaxLevelRise)));
  }
  if (p.level_rise != 0 && p.level_window_minutes == 0) {
    return Status::InvalidArgument("level_rise needs a level_window_minutes to compare the load over");
  }
  if (p.max_period_minutes < 10 || p.max_period_minutes > kMaxPeriodMinutes) {
    return Status::InvalidArgument("max_period_minutes (" + std::to_string(p.max_period_minutes) +
                                   ") must be between 10 and " + std::to_string(kMaxPeriodMinutes));
  }
  if (p.repetitions < 1 || p.repetitions > 20) {
    return Status::InvalidArgument("repetitions (" + std::to_string(p.repetitions) + ") must be between 1 and 20");
  }
  if (static_cast<std::int64_t>(p.max_period_minutes) * (p.repetitions + 1) > kMaxLearnHistoryDays * 1440LL) {
    return Status::InvalidArgument("max_period_minutes x (repetitions + 1) must be at most " +
                                   std::to_string(kMaxLearnHistoryDays) + " days of history");
  }
  if (p.short_period_repetitions < 0 || p.short_period_repetitions > 20) {
    return Status::InvalidArgument("short_period_repetitions (" + std::to_string(p.short_period_repetitions) +
                                   ") must be between 1 and 20 (0: as repetitions)");
  }
  if (!(p.min_correlation > 0 && p.min_correlation < 1)) {
    return Status::InvalidArgument("min_correlation (" + Num(p.min_correlation) + ") must be in (0, 1)");
  }
  if (!(p.headroom_quantile >= 0 && p.headroom_quantile < 1)) {
    return Status::InvalidArgument("headroom_quantile (" + Num(p.headroom_quantile) +
                                   ") must be in [0, 1) (0: no headroom)");
  }
  return Status::Ok();
}

Status Validate(const PolicySpec& p) {
  if (p.name.empty()) return Status::InvalidArgument("policy name must not be empty");
  if (p.warmup < 0) {
    return Status::InvalidArgument("warmup (" + std::to_string(p.warmup) + ") must be >= 0");
  }
  if (p.cooldown && *p.cooldown < 0) {
    return Status::InvalidArgument("cooldown (" + std::to_string(*p.cooldown) + ") must be >= 0");
  }
  switch (p.type) {
    case PolicyType::kSimple:
      return ValidateSimple(p);
    case PolicyType::kStep:
      return ValidateStep(p);
    case PolicyType::kTargetTracking:
      return ValidateTargetTracking(p);
    case PolicyType::kPredictive:
      return ValidatePredictive(p);
  }
  return Status::Ok();
}

int RepetitionsFor(int repetitions, int short_period_repetitions, int period_minutes) {
  constexpr int kMinutesPerDay = 1440;
  if (period_minutes < kMinutesPerDay && short_period_repetitions > 0) return short_period_repetitions;
  return repetitions;
}

}  // namespace shoal
