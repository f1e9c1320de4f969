// What a predictive policy learns from the group's own recorded load,
// instead of assuming a daily lag:
//
//   - the periods the load repeats with (a cron job every 15 minutes, a
//     report every hour, the day, the week), found by autocorrelation of the
//     load's changes over the recent history, at three resolutions (minutes
//     for periods up to two hours, ten-minute means up to a day, hourly means
//     beyond), and only where enough repetitions have been seen;
//   - the distribution of the load's growth over the launch-to-in-service
//     time, so headroom can be sized to cover a chosen share of the minutes
//     the group has actually seen.
//
// Both are pure functions of a series, so they are tested on synthetic ones.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/forecast.h"
#include "core/policy.h"

namespace shoal {

struct LearnedPeriod {
  int minutes = 0;
  double correlation = 0;  // of the load's changes at this lag (0..1)
  double scale = 1;        // its forecast's LevelScale against its last repetition (UpdateLevels)
};

struct LearnOptions {
  int max_period = 7 * 1440;  // minutes
  int repetitions = 3;        // whole periods of history a period needs beyond one
  double min_correlation = 0.3;
  std::size_t max_periods = 4;  // the strongest ones kept
};

// The periods (2 minutes .. max_period) that `load` (per minute, oldest
// first, NaN for a missing minute) repeats with. A period is kept when the
// autocorrelation of the series' changes peaks there, reaches
// min_correlation and is significant for the length of series it was
// measured on (noise is refused), the series holds at least
// repetitions + 1 periods, and it is not a multiple of a shorter kept
// period that explains it as well. Strongest first, at most max_periods.
std::vector<LearnedPeriod> LearnPeriods(const std::vector<float>& load, const LearnOptions& o);

// The `quantile` of the load's growth over `lead` minutes that the learned
// `periods` do not explain, as a ratio: for each minute t of the last
// `window` minutes, the busiest of the next `lead` minutes over the busiest
// of the `lead` minutes up to t, or over what the periods forecast for the
// next `lead` minutes when that is more (at least `floor`); a period
// forecasts as the policy's does (RepetitionsFor). nullopt with fewer than
// 60 such minutes.
std::optional<double> GrowthQuantile(const std::vector<float>& load, int lead, double quantile, double floor,
                                     const std::vector<LearnedPeriod>& periods = {}, int repetitions = 1,
                                     int short_period_repetitions = 0,
                                     std::int64_t window = kHeadroomHistoryMinutes);

// The load a learned period says is coming within [now, now + window): for
// each of the last `repetitions` repetitions, the busiest minute of the same
// window one period earlier; the smallest of those (a burst counts only as
// far as every repetition showed it). nullopt when a repetition is not in
// the history.
std::optional<double> PeriodForecast(const LoadHistory& h, int period, int repetitions, std::int64_t now_minute,
                                     int window);

// What a predictive policy learned, refreshed every kRelearnMinutes of
// history (kept in the decision state; derived, so not persisted: a restart
// learns again from the restored history).
struct PolicyLearning {
  std::int64_t learned_at = -1;  // minute of the last refresh (-1: never)
  std::vector<LearnedPeriod> periods;
  std::optional<double> growth;  // the headroom quantile's growth ratio over the lead
  int lead = 0;                  // the lead it was measured over (minutes)
  std::vector<int> lags_chosen;  // the lags chosen to forecast (lag_choice_minutes, ChooseLags; empty: every lag)
  std::vector<double> lag_scales;  // per lag of the policy: its LevelScale (UpdateLevels)
  double busiest_seen = 0;  // with level_rise: the busiest load the history holds (ScaledUnits' ceiling)
};

inline constexpr std::int64_t kRelearnMinutes = 60;
// A load below this many units counts as this many when growth is a ratio:
// one instance's worth, so a near-idle group does not read 0.1 -> 1 as 10x.
inline constexpr double kGrowthFloorUnits = 1.0;

// Refreshes `out` for policy `p` from the history at `now_minute` when
// kRelearnMinutes have passed since the last time (growth over `lead`).
void Learn(const PolicySpec& p, const LoadHistory& h, std::int64_t now_minute, int lead, PolicyLearning* out);

// Refreshes the level scales of `out` (each lag's, each learned period's)
// at `now_minute`: every minute, since a level shift must lower a forecast
// within minutes, not at the next hourly refresh. Clears them when the
// policy does not check the level.
void UpdateLevels(const PolicySpec& p, const LoadHistory& h, std::int64_t now_minute, PolicyLearning* out);

}  // namespace shoal
