#include "core/alarm.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "core/enum_names.h"

namespace shoal {
namespace {

constexpr int kSecondsPerPeriodUnit = 60;
constexpr int kMaxAlarmSeconds = 24 * 60 * 60;  // CloudWatch: N * period <= one day
constexpr int kMaxExtraPeriods = 5;             // older periods CloudWatch may look back on

// Formats a double without trailing zeros ("10", "0.5") for messages.
std::string Num(double v) {
  std::string s = std::to_string(v);
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

int PeriodMinutes(const AlarmSpec& spec) {
  // Validate() rejects other values; guard anyway so evaluation never loops
  // on a zero-width period.
  return std::max(1, spec.period_seconds / kSecondsPerPeriodUnit);
}

int ExtraPeriods(int n) { return std::min(n, kMaxExtraPeriods); }

// How the newest N periods (or what stands in for them) vote.
struct Tally {
  int real = 0;       // periods with data that take part
  int breaching = 0;  // of those, how many breach
  int missing = 0;    // periods the missing-data treatment must fill
};

Tally Count(const AlarmSpec& spec, const std::vector<std::optional<double>>& newest_first) {
  const int n = spec.evaluation_periods;
  int real_in_range = 0;
  for (const auto& v : newest_first) real_in_range += v.has_value() ? 1 : 0;

  Tally t;
  // Enough real periods: the newest N real ones decide, skipping gaps.
  // Otherwise every real period in the range counts and the rest of N are missing.
  const int take = std::min(real_in_range, n);
  for (const auto& v : newest_first) {
    if (t.real == take) break;
    if (!v) continue;
    ++t.real;
    if (Breaches(spec.comparison, *v, spec.threshold)) ++t.breaching;
  }
  t.missing = n - t.real;
  return t;
}

AlarmState FromBreaches(int breaching, int m) {
  return breaching >= m ? AlarmState::kAlarm : AlarmState::kOk;
}

AlarmState Decide(const AlarmSpec& spec, const Tally& t, AlarmState previous) {
  const int m = spec.datapoints_to_alarm;
  if (t.missing == 0) return FromBreaches(t.breaching, m);
  switch (spec.missing_data) {
    case MissingData::kBreaching:
      return FromBreaches(t.breaching + t.missing, m);
    case MissingData::kNotBreaching:
      return FromBreaches(t.breaching, m);
    case MissingData::kMissing:
      if (t.real == 0) return AlarmState::kInsufficientData;
      return FromBreaches(t.breaching, m);
    case MissingData::kIgnore: {
      if (t.real == 0) return previous;
      // The answer stands only if it holds however the gaps would have gone.
      const AlarmState if_breaching = FromBreaches(t.breaching + t.missing, m);
      const AlarmState if_not = FromBreaches(t.breaching, m);
      return if_breaching == if_not ? if_not : previous;
    }
  }
  return previous;
}

}  // namespace

std::string_view ToString(Statistic s) {
  switch (s) {
    case Statistic::kAverage:
      return "Average";
    case Statistic::kSum:
      return "Sum";
    case Statistic::kMinimum:
      return "Minimum";
    case Statistic::kMaximum:
      return "Maximum";
    case Statistic::kSampleCount:
      return "SampleCount";
  }
  return "unknown";
}

std::string_view ToString(Comparison c) {
  switch (c) {
    case Comparison::kGreaterThanOrEqual:
      return ">=";
    case Comparison::kGreaterThan:
      return ">";
    case Comparison::kLessThan:
      return "<";
    case Comparison::kLessThanOrEqual:
      return "<=";
  }
  return "unknown";
}

std::string_view ToString(MissingData m) {
  switch (m) {
    case MissingData::kMissing:
      return "missing";
    case MissingData::kNotBreaching:
      return "notBreaching";
    case MissingData::kBreaching:
      return "breaching";
    case MissingData::kIgnore:
      return "ignore";
  }
  return "unknown";
}

std::string_view ToString(AlarmState s) {
  switch (s) {
    case AlarmState::kInsufficientData:
      return "INSUFFICIENT_DATA";
    case AlarmState::kOk:
      return "OK";
    case AlarmState::kAlarm:
      return "ALARM";
  }
  return "unknown";
}

bool ParseStatistic(std::string_view text, Statistic* out) {
  return ParseEnumName(text,
                       {Statistic::kAverage, Statistic::kSum, Statistic::kMinimum, Statistic::kMaximum,
                        Statistic::kSampleCount},
                       out, NameCase::kIgnore);
}

bool ParseComparison(std::string_view text, Comparison* out) {
  struct Name {
    std::string_view symbol;
    std::string_view aws;
    Comparison value;
  };
  static constexpr std::array<Name, 4> kNames = {{
      {">=", "GreaterThanOrEqualToThreshold", Comparison::kGreaterThanOrEqual},
      {">", "GreaterThanThreshold", Comparison::kGreaterThan},
      {"<", "LessThanThreshold", Comparison::kLessThan},
      {"<=", "LessThanOrEqualToThreshold", Comparison::kLessThanOrEqual},
  }};
  for (const Name& n : kNames) {
    if (text == n.symbol || EqualsIgnoreCase(text, n.aws)) {
      *out = n.value;
      return true;
    }
  }
  return false;
}

bool ParseMissingData(std::string_view text, MissingData* out) {
  return ParseEnumName(
      text, {MissingData::kMissing, MissingData::kNotBreaching, MissingData::kBreaching, MissingData::kIgnore}, out,
      NameCase::kIgnore);
}

Status Validate(const AlarmSpec& spec) {
  if (spec.name.empty()) return Status::InvalidArgument("alarm name must not be empty");
  if (spec.period_seconds <= 0 || spec.period_seconds % kSecondsPerPeriodUnit != 0) {
    return Status::InvalidArgument("period_seconds (" + std::to_string(spec.period_seconds) +
                                   ") must be a positive multiple of 60");
  }
  if (spec.evaluation_periods < 1) {
    return Status::InvalidArgument("evaluation_periods (" +
                                   std::to_string(spec.evaluation_periods) + ") must be >= 1");
  }
  if (spec.datapoints_to_alarm < 1 || spec.datapoints_to_alarm > spec.evaluation_periods) {
    return Status::InvalidArgument(
        "datapoints_to_alarm (" + std::to_string(spec.datapoints_to_alarm) +
        ") must be between 1 and evaluation_periods (" + std::to_string(spec.evaluation_periods) +
        ")");
  }
  // Compare in 64 bits: N * period may overflow int for absurd inputs.
  const std::int64_t span =
      static_cast<std::int64_t>(spec.evaluation_periods) * spec.period_seconds;
  if (span > kMaxAlarmSeconds) {
    return Status::InvalidArgument(
        "evaluation_periods (" + std::to_string(spec.evaluation_periods) + ") * period_seconds (" +
        std::to_string(spec.period_seconds) + ") must be at most one day (86400 seconds)");
  }
  if (!std::isfinite(spec.threshold)) {
    return Status::InvalidArgument("threshold (" + Num(spec.threshold) + ") must be finite");
  }
  return Status::Ok();
}

bool Breaches(Comparison c, double value, double threshold) {
  switch (c) {
    case Comparison::kGreaterThanOrEqual:
      return value >= threshold;
    case Comparison::kGreaterThan:
      return value > threshold;
    case Comparison::kLessThan:
      return value < threshold;
    case Comparison::kLessThanOrEqual:
      return value <= threshold;
  }
  return false;
}

std::optional<double> PeriodValue(const MetricHistory& h, Statistic s, std::int64_t first_minute,
                                  int minutes) {
  Datapoint total;
  for (int i = 0; i < minutes; ++i) {
    if (auto d = h.At(first_minute + i)) total.Merge(*d);
  }
  if (total.missing()) return std::nullopt;
  switch (s) {
    case Statistic::kAverage:
      // Weighted by samples, not by minutes: a busy minute counts for more.
      return total.sum / total.count;
    case Statistic::kSum:
      return total.sum;
    case Statistic::kMinimum:
      return total.min;
    case Statistic::kMaximum:
      return total.max;
    case Statistic::kSampleCount:
      return total.count;
  }
  return std::nullopt;
}

AlarmState EvaluateAlarm(const AlarmSpec& spec, const MetricHistory& history,
                         std::int64_t now_minute, AlarmState previous) {
  if (spec.evaluation_periods < 1) return previous;
  const int minutes = PeriodMinutes(spec);
  const int periods = spec.evaluation_periods + ExtraPeriods(spec.evaluation_periods);
  std::vector<std::optional<double>> newest_first;
  newest_first.reserve(static_cast<std::size_t>(periods));
  for (int k = 0; k < periods; ++k) {
    const std::int64_t first = now_minute - static_cast<std::int64_t>(k + 1) * minutes;
    newest_first.push_back(PeriodValue(history, spec.statistic, first, minutes));
  }
  return Decide(spec, Count(spec, newest_first), previous);
}

int MinutesNeeded(const AlarmSpec& spec) {
  const int n = std::max(spec.evaluation_periods, 0);
  return (n + ExtraPeriods(n)) * PeriodMinutes(spec);
}

}  // namespace shoal
