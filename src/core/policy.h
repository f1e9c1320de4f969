// Scaling policies with EC2 Auto Scaling semantics: the pure arithmetic.
// How proposals from several policies are combined lives in scaling.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alarm.h"
#include "core/metric.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

// The most capacity units a group may have (`max`).
constexpr int kMaxCapacity = 100000;
constexpr int kMaxLagDays = 28;  // how far back a predictive policy may look
constexpr int kMaxLagChoiceMinutes = 7 * 1440;  // the longest window a lag is chosen over
constexpr int kMinLevelWindowMinutes = 10;       // level_window_minutes, when not 0
constexpr int kMaxLevelWindowMinutes = 1440;
// level_rise, when not 0: above 1, at most this.
constexpr double kMaxLevelRise = 10;
// Learned periods: the longest, and history = max_period x (repetitions + 1)
// at most this many days.
constexpr int kMaxPeriodMinutes = 14 * 1440;
constexpr int kMaxLearnHistoryDays = 42;
// The minutes of history headroom's growth is measured over (the latest).
constexpr std::int64_t kHeadroomHistoryMinutes = 3 * 1440;

enum class PolicyType : std::uint8_t { kSimple, kStep, kTargetTracking, kPredictive };
enum class AdjustmentType : std::uint8_t {
  kChangeInCapacity,
  kExactCapacity,
  kPercentChangeInCapacity,
};

std::string_view ToString(PolicyType t);
std::string_view ToString(AdjustmentType t);
bool ParsePolicyType(std::string_view text, PolicyType* out);  // simple|step|target-tracking|predictive
bool ParseAdjustmentType(std::string_view text, AdjustmentType* out);  // change|exact|percent (or AWS names)

// Bounds are relative to the alarm threshold (metric - threshold); nullopt is
// unbounded (-inf below, +inf above).
struct StepAdjustment {
  std::optional<double> lower_bound;
  std::optional<double> upper_bound;
  double adjustment = 0;
};

// The alarm shape AWS hides for target tracking; here the user may set it.
struct TargetTrackingShape {
  int scale_out_evaluation_periods = 3;
  int scale_out_datapoints = 3;
  int scale_in_evaluation_periods = 15;
  int scale_in_datapoints = 15;
  double scale_in_ratio = 0.9;  // scale in when metric < target * ratio
};

struct PolicySpec {
  std::string name;
  PolicyType type = PolicyType::kSimple;
  // simple and step
  std::string alarm;  // name of an alarm of the same group
  AdjustmentType adjustment_type = AdjustmentType::kChangeInCapacity;
  double scaling_adjustment = 0;  // simple
  int min_adjustment_magnitude = 0;  // percent only; 0 = unset
  std::optional<Seconds> cooldown;   // simple; unset = the group's default cooldown
  std::vector<StepAdjustment> steps; // step
  Seconds warmup = 0;                // step and target tracking
  // target tracking (and predictive: the CPU the forecast load should run at)
  MetricName target_metric = MetricName::kCpuUtilization;
  double target_value = 0;
  // predictive: capacity ahead of time for the load seen `lag_days` ago at
  // the same time of day, over the next `horizon_minutes`
  std::vector<int> lag_days = {1, 7};
  int horizon_minutes = 15;
  // When > 0, only one lag forecasts: the one whose load, minute by minute,
  // was closest to the load of the last `lag_choice_minutes` (re-chosen
  // every hour). Yesterday suits a day like yesterday, last week a Monday
  // after a weekend. 0: every lag, the busiest forecast.
  int lag_choice_minutes = 0;
  // When > 0, a forecast is checked against the load's level now: where
  // the group's load over the last `level_window_minutes` ran at a ratio r
  // below `level_ratio` of what the forecast's source (the lag, a learned
  // period's last repetition) saw over the same minutes, its forecast is
  // scaled by r / level_ratio. A day at a fraction of its source (a match
  // day, a holiday, a report that stopped) is sized nearly at today's
  // level; a day a little quieter keeps most of its forecast, the margin
  // the ratio leaves for a day whose afternoon differs from its morning;
  // at or above the ratio the forecast stands. Scaling in proportion has
  // no cliff: a level just under the ratio changes the forecast just a
  // little. 0: forecasts are never scaled.
  int level_window_minutes = 0;
  double level_ratio = 0.8;
  // With a level window, the other way too: where the load over the window
  // ran at a ratio r above `level_rise` (> 1) of what the forecast's source
  // saw, its forecast is scaled by r / level_rise, at most
  // kMaxLevelRiseScale and never above the busiest load the kept history
  // holds (ScaledUnits). A day busier than its source (a Monday forecast
  // from the Sunday before a week of history exists, a launch, growth)
  // brings bursts the size of today's level, not of its source's. 0: a
  // forecast is never scaled up.
  double level_rise = 0;
  // predictive, learned periods (core/seasonality.h): the periods the load
  // repeats with, found in its recent history; capacity is raised a
  // launch-to-in-service time ahead of a recurring burst, to the smallest
  // load the last `repetitions` repetitions showed there.
  bool learn_periods = false;
  int max_period_minutes = 7 * 1440;
  int repetitions = 3;
  // The repetitions asked of a period under a day (0: `repetitions`). Such a
  // period is learned only where the last day's minute-by-minute
  // autocorrelation shows it, i.e. after the schedule has repeated all day,
  // so the last repetition or two say only whether this one fires; the day
  // and the week are in every web service's load, and there one day's spike
  // at a minute is noise that `repetitions` filters out.
  int short_period_repetitions = 0;
  double min_correlation = 0.3;
  // predictive, headroom: when > 0, capacity at least the latest load times
  // the growth over the launch-to-in-service time that this share of the
  // minutes seen stayed within (run at 100% CPU: the growth fits, unlost).
  double headroom_quantile = 0;
  TargetTrackingShape shape;
  bool disable_scale_in = false;
};

// The new capacity after applying an adjustment to `current`, before min/max
// clamping. Percent changes round as AWS does: a result between 0 and 1 (or
// 0 and -1) becomes 1 (or -1); larger magnitudes round toward zero; then
// min_adjustment_magnitude (if > 0) raises the magnitude to at least that.
int AdjustedCapacity(AdjustmentType type, double adjustment, int current,
                     int min_adjustment_magnitude);

// The step whose interval holds `value - threshold`. Above the threshold the
// lower bound is inclusive and the upper exclusive; below it the reverse (as
// AWS). nullptr when no step holds it.
const StepAdjustment* FindStep(const std::vector<StepAdjustment>& steps, double value,
                               double threshold);

// Steps must not overlap or leave gaps, at most the first may be unbounded
// below and the last unbounded above, and lower < upper.
Status ValidateSteps(const std::vector<StepAdjustment>& steps);

// Target tracking's capacity for the metric: proportional, rounded up (so
// scale-out is never short and scale-in is conservative).
int TargetTrackingCapacity(int current, double metric, double target);

// The two alarms a target-tracking policy runs (names: "<policy>-high", "<policy>-low").
AlarmSpec TargetTrackingHighAlarm(const PolicySpec& p);
AlarmSpec TargetTrackingLowAlarm(const PolicySpec& p);

// Checks one policy on its own (fields, steps, adjustment sign); the group
// checks that its alarm exists.
Status Validate(const PolicySpec& p);

// The repetitions a burst at a learned period of `period_minutes` must have
// shown before capacity is raised for it: short_period_repetitions (when
// set, > 0) under a day, repetitions otherwise.
int RepetitionsFor(int repetitions, int short_period_repetitions, int period_minutes);
inline int RepetitionsFor(const PolicySpec& p, int period_minutes) {
  return RepetitionsFor(p.repetitions, p.short_period_repetitions, period_minutes);
}

}  // namespace shoal
