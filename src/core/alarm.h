// Alarms with CloudWatch semantics over one-minute datapoints.
//
// An alarm looks at the last N periods (evaluation_periods) of `period`
// seconds each, ending at the last complete minute; it is in ALARM when at
// least M of them (datapoints_to_alarm) breach the threshold. Missing data:
//  - if the evaluation range (N periods plus up to min(N,5) older ones) holds
//    at least N real periods, the newest N real ones decide and the missing
//    treatment is not used (as CloudWatch does);
//  - otherwise every real period in the range counts, and the missing ones are
//    filled by the treatment: breaching, notBreaching, missing (not evaluated:
//    ALARM only if the real ones reach M; all missing → INSUFFICIENT_DATA),
//    ignore (as missing, but when the answer depends on the missing periods,
//    or all are missing, the previous state is kept).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/metric.h"
#include "core/status.h"

namespace shoal {

enum class Statistic : std::uint8_t { kAverage, kSum, kMinimum, kMaximum, kSampleCount };
enum class Comparison : std::uint8_t {
  kGreaterThanOrEqual,
  kGreaterThan,
  kLessThan,
  kLessThanOrEqual,
};
enum class MissingData : std::uint8_t { kMissing, kNotBreaching, kBreaching, kIgnore };
enum class AlarmState : std::uint8_t { kInsufficientData, kOk, kAlarm };

std::string_view ToString(Statistic s);
std::string_view ToString(Comparison c);
std::string_view ToString(MissingData m);
std::string_view ToString(AlarmState s);
bool ParseStatistic(std::string_view text, Statistic* out);
bool ParseComparison(std::string_view text, Comparison* out);    // ">=", ">", "<", "<=" or AWS names
bool ParseMissingData(std::string_view text, MissingData* out);  // missing|notBreaching|breaching|ignore

struct AlarmSpec {
  std::string name;
  MetricName metric = MetricName::kCpuUtilization;
  Statistic statistic = Statistic::kAverage;
  int period_seconds = 60;       // a multiple of 60
  int evaluation_periods = 1;    // N
  int datapoints_to_alarm = 1;   // M, 1 <= M <= N
  Comparison comparison = Comparison::kGreaterThanOrEqual;
  double threshold = 0;
  MissingData missing_data = MissingData::kMissing;
};

// Names the field that is wrong, e.g. "datapoints_to_alarm (4) must be <= evaluation_periods (3)".
Status Validate(const AlarmSpec& spec);

bool Breaches(Comparison c, double value, double threshold);

// The statistic over one period [first_minute, first_minute + minutes), or
// nullopt when every minute in it is missing.
std::optional<double> PeriodValue(const MetricHistory& h, Statistic s, std::int64_t first_minute,
                                  int minutes);

// The alarm's state at the start of minute `now_minute` (that minute is not
// yet complete, so the newest period ends at now_minute - 1).
AlarmState EvaluateAlarm(const AlarmSpec& spec, const MetricHistory& history,
                         std::int64_t now_minute, AlarmState previous);

// How far back an alarm reads, in minutes; a MetricHistory must keep at least this.
int MinutesNeeded(const AlarmSpec& spec);

}  // namespace shoal
