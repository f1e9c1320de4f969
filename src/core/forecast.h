// Seasonal forecasting for predictive policies: web traffic repeats by time
// of day and day of week, so the load seen one day (or one week) ago at the
// same minute, over the next few minutes, says what capacity to have ready
// before it arrives — a launch takes minutes, a daily ramp is known.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/policy.h"

namespace shoal {

// Per-minute load in capacity units of work (CPU% × instances / 100), kept
// for the longest lag a group's predictive policies use. Empty (disabled)
// when the group has none, so other groups pay nothing.
class LoadHistory {
 public:
  LoadHistory() = default;
  explicit LoadHistory(std::int64_t minutes) : ring_(static_cast<std::size_t>(minutes), kMissing) {}

  bool enabled() const { return !ring_.empty(); }
  // Minutes must come in non-decreasing order; skipped minutes read as missing.
  void Record(std::int64_t minute, double units);
  // The largest load recorded in [from, to), or nullopt when none is known.
  std::optional<double> MaxIn(std::int64_t from, std::int64_t to) const;
  // The load of one minute, or nullopt when it is not known (any more).
  std::optional<double> At(std::int64_t minute) const;
  // What the history holds, oldest first, up to the latest minute recorded
  // (minutes before 0 are not included); NaN for a missing minute.
  std::vector<float> Series() const;
  // The latest minute recorded (-1: none).
  std::int64_t latest() const { return latest_; }
  // The same history kept for `minutes` instead (a changed policy needs a
  // longer or shorter one): what both can hold is carried over.
  LoadHistory Resized(std::int64_t minutes) const;

 private:
  static constexpr float kMissing = -1.0f;
  std::vector<float> ring_;  // minute m lives at m % size
  std::int64_t latest_ = -1;
};

// Minutes of history the group's predictive policies need (0: none).
std::int64_t LoadMinutesNeeded(const std::vector<PolicySpec>& policies);

// `seen` scaled by `scale` (LevelScale). Scaled up, never above `ceiling`
// (the busiest load the history holds: a level above its source lifts a
// forecast only to loads the group has already carried) nor below `seen`.
double ScaledUnits(double seen, double scale, double ceiling);

struct Forecast {
  double seen = 0;   // the lag's busiest minute within the horizon, as it was
  int lag_days = 0;  // which lag saw it
  double scale = 1;  // what that load is scaled by (LevelScale)
  double ceiling = 0;  // what a scaled-up forecast may reach (ScaledUnits)
  // The busiest minute expected within the horizon.
  double units() const { return ScaledUnits(seen, scale, ceiling); }
};

// The forecast at the start of minute `now_minute`: for each lag, the busiest
// minute of [now - lag days, now - lag days + horizon), times the lag's
// entry in `lag_scales` (parallel to p.lag_days; missing entries are 1);
// the largest of them, over only the lags in `only_lags` when it is not
// empty. `horizon_minutes` > 0 looks that far instead of p.horizon_minutes.
// A lag scaled up reaches at most `rise_ceiling` (ScaledUnits).
// nullopt until a lag has history.
std::optional<Forecast> SeasonalForecast(const PolicySpec& p, const LoadHistory& h, std::int64_t now_minute,
                                         std::span<const int> only_lags = {},
                                         std::span<const double> lag_scales = {}, int horizon_minutes = 0,
                                         double rise_ceiling = 0);

// A source that averaged less load than this (one instance's worth) over
// the window says nothing about the level: a near-idle group's 0.2 against
// 0.5 units is noise, not another kind of day.
inline constexpr double kLevelFloorUnits = 1.0;

// How the load of [now - window, now) compares with the load `back` minutes
// earlier, over the minutes both know: the sum now over the sum then.
// nullopt when fewer than half of the window's minutes are known to both,
// or when the earlier load averaged below kLevelFloorUnits.
std::optional<double> LevelRatio(const LoadHistory& h, std::int64_t back, std::int64_t now_minute, int window);

// The most a forecast is scaled up by (PolicySpec::level_rise): a level
// far above its source's is more likely a jump that will pass than a day
// that many times busier.
inline constexpr double kMaxLevelRiseScale = 3.0;

// What a forecast from the load `back` minutes ago is multiplied by under
// policy `p`: the level ratio over p.level_ratio when the ratio is below
// p.level_ratio; with p.level_rise, the ratio over p.level_rise when the
// ratio is above p.level_rise, at most kMaxLevelRiseScale; else 1 (and 1
// when the policy does not check the level or the ratio is unknown).
double LevelScale(const PolicySpec& p, const LoadHistory& h, std::int64_t back, std::int64_t now_minute);

// Two lags whose errors over the choice window are within this share of
// each other fit the recent load equally well: minute-to-minute noise
// decides between them, not the kind of day (a Sunday fits the Saturday
// before as well as the Sunday a week before; only the Monday after tells
// them apart). Measured on the shared traces (docs/POLICY.md).
inline constexpr double kLagTieMargin = 0.1;

// Whether `lag` forecasts when the lags in `chosen` were chosen (ChooseLags;
// empty: every lag does).
bool LagForecasts(std::span<const int> chosen, int lag);

// Of `lags` (days), the ones whose load was closest to the load of
// [now - window, now): each lag's error is its mean absolute difference,
// minute by minute, over the minutes both know; the lag with the least
// error, and every lag within kLagTieMargin of it, in the order of `lags`.
// A lag that knows fewer than half of the window's minutes is not a
// candidate. Empty when no lag is a candidate (then every lag forecasts).
std::vector<int> ChooseLags(const LoadHistory& h, const std::vector<int>& lags, std::int64_t now_minute,
                            int window);

// The capacity units that run `units` of load at `cpu_percent` CPU, rounded
// up, within [0, kMaxCapacity] whatever the inputs: a wild metric must not
// overflow an int.
int CapacityAt(double units, double cpu_percent);

// Capacity that runs the forecast load at the policy's target CPU.
int PredictiveCapacity(const Forecast& f, double target_cpu);

}  // namespace shoal
