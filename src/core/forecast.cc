#include "core/forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace shoal {

void LoadHistory::Record(std::int64_t minute, double units) {
  if (ring_.empty() || minute < latest_) return;
  const auto size = static_cast<std::int64_t>(ring_.size());
  // Forget what the skipped minutes held a lap ago.
  for (std::int64_t m = std::max(latest_ + 1, minute - size + 1); m < minute; ++m) ring_[m % size] = kMissing;
  ring_[minute % size] = static_cast<float>(std::max(0.0, units));
  latest_ = minute;
}

std::optional<double> LoadHistory::MaxIn(std::int64_t from, std::int64_t to) const {
  const auto size = static_cast<std::int64_t>(ring_.size());
  from = std::max({from, latest_ - size + 1, std::int64_t{0}});
  to = std::min(to, latest_ + 1);
  std::optional<double> best;
  for (std::int64_t m = from; m < to; ++m) {
    const float v = ring_[m % size];
    if (v != kMissing && (!best || v > *best)) best = v;
  }
  return best;
}

std::optional<double> LoadHistory::At(std::int64_t minute) const { return MaxIn(minute, minute + 1); }

std::vector<float> LoadHistory::Series() const {
  std::vector<float> out;
  if (ring_.empty() || latest_ < 0) return out;
  const auto size = static_cast<std::int64_t>(ring_.size());
  const std::int64_t from = std::max<std::int64_t>(0, latest_ - size + 1);
  out.reserve(static_cast<std::size_t>(latest_ - from + 1));
  for (std::int64_t m = from; m <= latest_; ++m) {
    const float v = ring_[m % size];
    out.push_back(v == kMissing ? std::numeric_limits<float>::quiet_NaN() : v);
  }
  return out;
}

LoadHistory LoadHistory::Resized(std::int64_t minutes) const {
  LoadHistory out(minutes);
  if (!out.enabled() || !enabled() || latest_ < 0) return out;
  const auto size = static_cast<std::int64_t>(ring_.size());
  const std::int64_t keep = std::min(size, minutes);
  for (std::int64_t m = std::max<std::int64_t>(0, latest_ - keep + 1); m <= latest_; ++m) {
    const float v = ring_[m % size];
    if (v != kMissing) out.Record(m, v);
  }
  return out;
}

std::int64_t LoadMinutesNeeded(const std::vector<PolicySpec>& policies) {
  std::int64_t need = 0;
  for (const PolicySpec& p : policies) {
    if (p.type != PolicyType::kPredictive) continue;
    for (int lag : p.lag_days) {
      need = std::max<std::int64_t>(
          need, lag * 1440LL + std::max({p.horizon_minutes, p.lag_choice_minutes, p.level_window_minutes}) + 1);
    }
    if (p.learn_periods) {
      need = std::max<std::int64_t>(need, static_cast<std::int64_t>(p.max_period_minutes) * (p.repetitions + 1) + 1);
      need = std::max<std::int64_t>(need, static_cast<std::int64_t>(p.max_period_minutes) + p.level_window_minutes + 1);
    }
    if (p.headroom_quantile > 0) need = std::max<std::int64_t>(need, kHeadroomHistoryMinutes + 61);
  }
  return need;
}

double ScaledUnits(double seen, double scale, double ceiling) {
  if (scale <= 1) return seen * scale;
  return std::max(seen, std::min(seen * scale, ceiling));
}

std::optional<Forecast> SeasonalForecast(const PolicySpec& p, const LoadHistory& h, std::int64_t now_minute,
                                         std::span<const int> only_lags, std::span<const double> lag_scales,
                                         int horizon_minutes, double rise_ceiling) {
  const int horizon = horizon_minutes > 0 ? horizon_minutes : p.horizon_minutes;
  std::optional<Forecast> best;
  for (std::size_t i = 0; i < p.lag_days.size(); ++i) {
    const int lag = p.lag_days[i];
    if (!LagForecasts(only_lags, lag)) continue;
    const std::int64_t from = now_minute - lag * 1440LL;
    const auto seen = h.MaxIn(from, from + horizon);
    if (!seen) continue;
    const double scale = i < lag_scales.size() ? lag_scales[i] : 1.0;
    const Forecast f{*seen, lag, scale, rise_ceiling};
    if (!best || f.units() > best->units()) best = f;
  }
  return best;
}

namespace {

// Calls pair(now_load, then_load) for each minute of [now - window, now)
// whose load is known, and so is the load `back` minutes before it; returns
// how many there were.
template <typename F>
std::int64_t ForEachKnownPair(const LoadHistory& h, std::int64_t back, std::int64_t now_minute, int window, F pair) {
  std::int64_t known = 0;
  for (std::int64_t t = now_minute - window; t < now_minute; ++t) {
    const auto now_load = h.At(t);
    const auto then_load = now_load ? h.At(t - back) : std::nullopt;
    if (!then_load) continue;
    pair(*now_load, *then_load);
    ++known;
  }
  return known;
}

}  // namespace

std::optional<double> LevelRatio(const LoadHistory& h, std::int64_t back, std::int64_t now_minute, int window) {
  double now_sum = 0;
  double then_sum = 0;
  const std::int64_t known = ForEachKnownPair(h, back, now_minute, window, [&](double now_load, double then_load) {
    now_sum += now_load;
    then_sum += then_load;
  });
  if (known == 0 || known * 2 < window) return std::nullopt;
  if (then_sum < kLevelFloorUnits * static_cast<double>(known)) return std::nullopt;
  return now_sum / then_sum;
}

double LevelScale(const PolicySpec& p, const LoadHistory& h, std::int64_t back, std::int64_t now_minute) {
  if (p.level_window_minutes <= 0) return 1.0;
  const auto ratio = LevelRatio(h, back, now_minute, p.level_window_minutes);
  if (!ratio) return 1.0;
  if (*ratio < p.level_ratio) return *ratio / p.level_ratio;
  if (p.level_rise > 1 && *ratio > p.level_rise) return std::min(kMaxLevelRiseScale, *ratio / p.level_rise);
  return 1.0;
}

bool LagForecasts(std::span<const int> chosen, int lag) {
  return chosen.empty() || std::find(chosen.begin(), chosen.end(), lag) != chosen.end();
}

std::vector<int> ChooseLags(const LoadHistory& h, const std::vector<int>& lags, std::int64_t now_minute,
                            int window) {
  std::vector<std::pair<int, double>> candidates;  // lag, its mean error
  for (int lag : lags) {
    double sum = 0;
    const std::int64_t known = ForEachKnownPair(
        h, lag * 1440LL, now_minute, window, [&](double now_load, double then_load) {
          sum += std::abs(now_load - then_load);
        });
    if (known == 0 || known * 2 < window) continue;
    candidates.emplace_back(lag, sum / static_cast<double>(known));
  }
  if (candidates.empty()) return {};
  const double least =
      std::min_element(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return a.second < b.second;
      })->second;
  std::vector<int> chosen;
  for (const auto& [lag, error] : candidates) {
    if (error <= least * (1 + kLagTieMargin)) chosen.push_back(lag);
  }
  return chosen;
}

int CapacityAt(double units, double cpu_percent) {
  if (!(cpu_percent > 0) || !(units > 0)) return 0;  // NaN too
  const double capacity = std::ceil(units * 100.0 / cpu_percent - 1e-9);
  return capacity >= kMaxCapacity ? kMaxCapacity : static_cast<int>(capacity);
}

int PredictiveCapacity(const Forecast& f, double target_cpu) { return CapacityAt(f.units(), target_cpu); }

}  // namespace shoal
