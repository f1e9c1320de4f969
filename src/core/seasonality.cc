#include "core/seasonality.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shoal {
namespace {

// Three resolutions. Minutes find the short periods (cron jobs, scheduled
// pushes, up to three hours); five-minute means the ones of a few hours;
// hourly means the long ones (the day, the week). A bucket of an hour
// averages away every period that divides an hour, which is where schedules
// live, so short bursts do not alias into long "periods" there; at five
// minutes they do (a quarter-hourly job repeats every 3 h too), so that
// scale also sets aside multiples of the minute scale's periods.
struct Scale {
  int bucket;              // minutes per sample
  int lo;                  // shortest period (minutes)
  int hi;                  // longest period (minutes), before max_period
  std::int64_t min_window; // minutes of history used at least (when there are that many)
  bool below_finer;        // a multiple of a finer scale's period is a candidate only if clearly stronger
};
constexpr Scale kScales[] = {
    {1, 2, 180, 1440, false},
    {5, 185, 720, 0, true},
    {60, 780, std::numeric_limits<int>::max(), 0, false},
};

// A period must explain the load at least this much better than a shorter
// one it is a multiple of to be kept beside it.
constexpr double kMultipleMargin = 1.25;
// Autocorrelation of noise over n samples has a standard deviation of about
// 1/sqrt(n): a peak must stand this many of them above zero.
constexpr double kSignificance = 4.0;

// The last `minutes` of `load` in means of `bucket` minutes, the last bucket
// ending with the series. Missing minutes are left out of a mean; a bucket
// with none repeats the one before; leading empty buckets are dropped.
std::vector<double> Bucketed(const std::vector<float>& load, int bucket, std::int64_t minutes) {
  const auto n = static_cast<std::int64_t>(load.size());
  const std::int64_t count = std::min(n, minutes) / bucket;
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(count));
  const std::int64_t start = n - count * bucket;
  std::optional<double> last;
  for (std::int64_t b = 0; b < count; ++b) {
    double sum = 0;
    int known = 0;
    for (std::int64_t m = start + b * bucket; m < start + (b + 1) * bucket; ++m) {
      const float v = load[static_cast<std::size_t>(m)];
      if (std::isnan(v)) continue;
      sum += v;
      ++known;
    }
    if (known > 0) last = sum / known;
    if (last) out.push_back(*last);
  }
  return out;
}

struct Candidate {
  int minutes = 0;
  double correlation = 0;
};

// Periods at one resolution: peaks of the autocorrelation of the changes.
std::vector<Candidate> AtScale(const std::vector<float>& load, const Scale& s, const LearnOptions& o,
                               const std::vector<Candidate>& finer) {
  const int hi = std::min(s.hi, o.max_period);
  if (hi < s.lo) return {};
  const std::int64_t window = std::max<std::int64_t>(s.min_window, static_cast<std::int64_t>(o.repetitions + 1) * hi);
  const std::vector<double> b = Bucketed(load, s.bucket, window);
  if (b.size() < 3) return {};
  std::vector<double> d(b.size() - 1);
  for (std::size_t i = 0; i + 1 < b.size(); ++i) d[i] = b[i + 1] - b[i];
  const auto n = static_cast<int>(d.size());
  double mean = 0;
  for (double v : d) mean += v;
  mean /= n;
  double var = 0;
  for (double& v : d) {
    v -= mean;
    var += v * v;
  }
  var /= n;
  if (var <= 1e-12) return {};  // a flat load repeats with every period: none is learned
  // Lags in samples: enough history for repetitions + 1 periods.
  const int lag_lo = std::max(2, (s.lo + s.bucket - 1) / s.bucket);
  const int lag_hi = std::min(hi / s.bucket, static_cast<int>(b.size()) / (o.repetitions + 1));
  if (lag_hi < lag_lo) return {};
  const int from = lag_lo - 1;
  const int to = std::min(lag_hi + 1, n - 1);
  std::vector<double> r(static_cast<std::size_t>(to + 1), -1.0);
  for (int lag = from; lag <= to; ++lag) {
    double sum = 0;
    for (int i = lag; i < n; ++i) sum += d[i] * d[i - lag];
    r[lag] = sum / (n - lag) / var;
  }
  std::vector<Candidate> out;
  for (int lag = lag_lo; lag <= lag_hi; ++lag) {
    const bool peak = r[lag] >= r[lag - 1] && (lag + 1 > to || r[lag] >= r[lag + 1]);
    const double bar = std::max(o.min_correlation, kSignificance / std::sqrt(static_cast<double>(n - lag)));
    if (peak && r[lag] >= bar) out.push_back({lag * s.bucket, r[lag]});
  }
  // A jittered schedule peaks on two neighbouring lags: keep the stronger.
  std::vector<Candidate> merged;
  for (const Candidate& c : out) {
    if (!merged.empty() && c.minutes - merged.back().minutes <= s.bucket) {
      if (c.correlation > merged.back().correlation) merged.back() = c;
      continue;
    }
    merged.push_back(c);
  }
  // A schedule every P minutes also repeats every 2P, 3P...: keep a multiple
  // only when it explains the load clearly better (the week beside the day).
  std::vector<Candidate> kept;
  const auto explained_by = [&](const Candidate& c, const std::vector<Candidate>& shorter) {
    return std::any_of(shorter.begin(), shorter.end(), [&](const Candidate& q) {
      const int k = static_cast<int>(std::lround(static_cast<double>(c.minutes) / q.minutes));
      const int tolerance = std::max(s.bucket, c.minutes / 50);
      return k >= 2 && std::abs(c.minutes - k * q.minutes) <= tolerance &&
             c.correlation < kMultipleMargin * q.correlation;
    });
  };
  for (const Candidate& c : merged) {
    if (explained_by(c, kept) || (s.below_finer && explained_by(c, finer))) continue;
    kept.push_back(c);
  }
  return kept;
}

}  // namespace

std::vector<LearnedPeriod> LearnPeriods(const std::vector<float>& load, const LearnOptions& o) {
  std::vector<LearnedPeriod> out;
  std::vector<Candidate> finer;
  for (const Scale& s : kScales) {
    const std::vector<Candidate> found = AtScale(load, s, o, finer);
    for (const Candidate& c : found) out.push_back({c.minutes, c.correlation});
    finer.insert(finer.end(), found.begin(), found.end());
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const LearnedPeriod& a, const LearnedPeriod& b) { return a.correlation > b.correlation; });
  if (out.size() > o.max_periods) out.resize(o.max_periods);
  return out;
}

std::optional<double> GrowthQuantile(const std::vector<float>& load, int lead, double quantile, double floor,
                                     const std::vector<LearnedPeriod>& periods, int repetitions,
                                     int short_period_repetitions, std::int64_t window) {
  if (lead < 1) return std::nullopt;
  const auto n = static_cast<std::int64_t>(load.size());
  const auto busiest = [&](std::int64_t from, std::int64_t to) {
    std::optional<double> best;
    for (std::int64_t m = std::max<std::int64_t>(0, from); m < to; ++m) {
      const float v = load[static_cast<std::size_t>(m)];
      if (!std::isnan(v) && (!best || v > *best)) best = v;
    }
    return best;
  };
  // What the periods say of [from, from + lead): the least of the
  // repetitions' busiest minutes, the most of the periods.
  const auto forecast = [&](std::int64_t from) {
    double most = 0;
    for (const LearnedPeriod& p : periods) {
      // Plain values, not an optional: GCC 12 at -O1 (the TSan build) warns
      // that an optional<double> fed to std::max may be uninitialized.
      double least = 0;
      const int times = RepetitionsFor(repetitions, short_period_repetitions, p.minutes);
      bool every = times > 0;
      for (int k = 1; k <= times; ++k) {
        const std::int64_t at = from - static_cast<std::int64_t>(k) * p.minutes;
        const auto seen = at >= 0 ? busiest(at, at + lead) : std::nullopt;
        if (!seen) {
          every = false;
          break;
        }
        least = k == 1 ? *seen : std::min(least, *seen);
      }
      if (every) most = std::max(most, least);
    }
    return most;
  };
  std::vector<double> ratios;
  ratios.reserve(static_cast<std::size_t>(std::min(n, window)));
  for (std::int64_t t = std::max<std::int64_t>(lead - 1, n - lead - window); t + lead < n; ++t) {
    const auto before = busiest(t - lead + 1, t + 1);
    const auto ahead = busiest(t + 1, t + lead + 1);
    if (!before || !ahead) continue;
    const double base = std::max({*before, forecast(t + 1), floor});
    ratios.push_back(*ahead / base);
  }
  if (ratios.size() < 60) return std::nullopt;
  // The smallest ratio at least `quantile` of the minutes stay within.
  const auto k = static_cast<std::size_t>(
      std::min<double>(static_cast<double>(ratios.size()) - 1, std::ceil(quantile * ratios.size()) - 1));
  std::nth_element(ratios.begin(), ratios.begin() + static_cast<std::ptrdiff_t>(k), ratios.end());
  return ratios[k];
}

std::optional<double> PeriodForecast(const LoadHistory& h, int period, int repetitions, std::int64_t now_minute,
                                     int window) {
  if (repetitions < 1) return std::nullopt;
  double least = 0;
  for (int k = 1; k <= repetitions; ++k) {
    const std::int64_t from = now_minute - static_cast<std::int64_t>(k) * period;
    const auto seen = h.MaxIn(from, from + window);
    if (!seen) return std::nullopt;
    least = k == 1 ? *seen : std::min(least, *seen);
  }
  return least;
}

void UpdateLevels(const PolicySpec& p, const LoadHistory& h, std::int64_t now_minute, PolicyLearning* out) {
  if (p.level_window_minutes <= 0) {
    out->lag_scales.clear();
    return;
  }
  out->lag_scales.resize(p.lag_days.size());
  for (std::size_t i = 0; i < p.lag_days.size(); ++i) {
    // A lag the policy does not forecast from now needs no scale.
    out->lag_scales[i] =
        LagForecasts(out->lags_chosen, p.lag_days[i]) ? LevelScale(p, h, p.lag_days[i] * 1440LL, now_minute) : 1.0;
  }
  for (LearnedPeriod& period : out->periods) period.scale = LevelScale(p, h, period.minutes, now_minute);
}

void Learn(const PolicySpec& p, const LoadHistory& h, std::int64_t now_minute, int lead, PolicyLearning* out) {
  if (!p.learn_periods && p.headroom_quantile <= 0 && p.lag_choice_minutes <= 0 && p.level_rise <= 0) return;
  if (out->learned_at >= 0 && now_minute - out->learned_at < kRelearnMinutes) return;
  out->learned_at = now_minute;
  out->lead = lead;
  out->lags_chosen = p.lag_choice_minutes > 0 ? ChooseLags(h, p.lag_days, now_minute, p.lag_choice_minutes)
                                             : std::vector<int>{};
  out->periods.clear();
  out->growth.reset();
  out->busiest_seen = p.level_rise > 0 ? h.MaxIn(0, h.latest() + 1).value_or(0.0) : 0.0;
  if (!p.learn_periods && p.headroom_quantile <= 0) return;
  const std::vector<float> load = h.Series();
  if (p.learn_periods) {
    LearnOptions o;
    o.max_period = p.max_period_minutes;
    o.repetitions = p.repetitions;
    o.min_correlation = p.min_correlation;
    out->periods = LearnPeriods(load, o);
  }
  if (p.headroom_quantile > 0) {
    out->growth = GrowthQuantile(load, lead, p.headroom_quantile, kGrowthFloorUnits, out->periods, p.repetitions,
                                 p.short_period_repetitions);
  }
}

}  // namespace shoal
