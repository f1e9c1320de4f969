#include "sim/tune.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <thread>

namespace shoal {
namespace {

// Draws from the generator's raw output only (the standard distributions'
// results differ between libraries).
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }  // [0, 1)
  int Below(int n) { return static_cast<int>(Uniform() * n); }
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

 private:
  std::mt19937_64 rng_;
};

double FourDigits(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, 3 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

// A value of `d` from a position in [0, 1].
double FromUnit(const TuneDimension& d, double u) {
  u = std::clamp(u, 0.0, 1.0);
  switch (d.kind) {
    case TuneDimension::Kind::kChoice:
      return std::min(d.choices - 1, static_cast<int>(u * d.choices));
    case TuneDimension::Kind::kInteger:
      return std::clamp(std::round(d.low + u * (d.high - d.low)), d.low, d.high);
    case TuneDimension::Kind::kContinuous:
      return std::clamp(FourDigits(d.low + u * (d.high - d.low)), d.low, d.high);
  }
  return d.low;
}

std::vector<TunePoint> LatinHypercube(const std::vector<TuneDimension>& dims, int n, Draw& draw) {
  std::vector<TunePoint> points(static_cast<std::size_t>(n), TunePoint(dims.size()));
  for (std::size_t k = 0; k < dims.size(); ++k) {
    std::vector<int> strata(static_cast<std::size_t>(n));
    std::iota(strata.begin(), strata.end(), 0);
    for (int i = n - 1; i > 0; --i) std::swap(strata[static_cast<std::size_t>(i)], strata[static_cast<std::size_t>(draw.Below(i + 1))]);
    for (int i = 0; i < n; ++i) {
      const double u = (strata[static_cast<std::size_t>(i)] + draw.Uniform()) / n;
      points[static_cast<std::size_t>(i)][k] = FromUnit(dims[k], u);
    }
  }
  return points;
}

TunePoint Perturb(const std::vector<TuneDimension>& dims, const TunePoint& from, double sigma, Draw& draw) {
  TunePoint p = from;
  // Each coordinate moves with probability 1/2 (at least one always does),
  // so a step can explore one parameter or several together.
  const int forced = draw.Below(static_cast<int>(dims.size()));
  for (std::size_t k = 0; k < dims.size(); ++k) {
    const bool move = static_cast<int>(k) == forced || draw.Uniform() < 0.5;
    if (!move) continue;
    const TuneDimension& d = dims[k];
    if (d.kind == TuneDimension::Kind::kChoice) {
      if (d.choices > 1) {
        const int other = draw.Below(d.choices - 1);
        p[k] = other >= static_cast<int>(from[k]) ? other + 1 : other;
      }
      continue;
    }
    const double span = d.high - d.low;
    double v = from[k] + draw.Normal() * sigma * span;
    if (d.kind == TuneDimension::Kind::kInteger) {
      v = std::round(v);
      if (v == from[k]) v += draw.Uniform() < 0.5 ? -1 : 1;  // a whole step at least
      p[k] = std::clamp(v, d.low, d.high);
    } else {
      p[k] = std::clamp(FourDigits(v), d.low, d.high);
    }
  }
  return p;
}

// Evaluates `points` side by side; results land by position.
void EvaluateBatch(const std::vector<TunePoint>& points, int jobs,
                   const std::function<TuneScore(const TunePoint&)>& evaluate, TuneResult* result,
                   const std::function<void(int, const TuneCandidate&)>& progress, bool first_is_start) {
  const std::size_t base = result->candidates.size();
  for (std::size_t i = 0; i < points.size(); ++i) {
    TuneCandidate c;
    c.index = static_cast<int>(base + i);
    c.point = points[i];
    c.start = first_is_start && i == 0;
    result->candidates.push_back(std::move(c));
  }
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  int done = static_cast<int>(base);
  auto worker = [&] {
    for (std::size_t i = next++; i < points.size(); i = next++) {
      TuneScore s = evaluate(points[i]);
      std::lock_guard lock(mu);
      TuneCandidate& c = result->candidates[base + i];
      c.score = std::move(s);
      ++done;
      if (progress) progress(done, c);
    }
  };
  const int n = std::clamp(jobs, 1, std::max(1, static_cast<int>(points.size())));
  std::vector<std::thread> threads;
  for (int j = 1; j < n; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
}

}  // namespace

std::vector<int> ParetoFrontier(const std::vector<TuneCandidate>& candidates) {
  std::vector<int> front;
  for (const TuneCandidate& c : candidates) {
    if (!c.score.ok) continue;
    bool beaten = false;
    for (const TuneCandidate& d : candidates) {
      if (!d.score.ok || d.index == c.index) continue;
      const bool no_worse = d.score.cost_usd <= c.score.cost_usd && d.score.lost_pct <= c.score.lost_pct;
      const bool better = d.score.cost_usd < c.score.cost_usd || d.score.lost_pct < c.score.lost_pct ||
                          d.index < c.index;
      if (no_worse && better) {
        beaten = true;
        break;
      }
    }
    if (!beaten) front.push_back(c.index);
  }
  std::sort(front.begin(), front.end(), [&](int a, int b) {
    const TuneScore& x = candidates[static_cast<std::size_t>(a)].score;
    const TuneScore& y = candidates[static_cast<std::size_t>(b)].score;
    if (x.cost_usd != y.cost_usd) return x.cost_usd < y.cost_usd;
    return a < b;
  });
  return front;
}

int ChooseWithinCeiling(const std::vector<TuneCandidate>& candidates, double max_lost_pct) {
  int best = -1;
  for (const TuneCandidate& c : candidates) {
    if (!c.score.ok || c.score.lost_pct > max_lost_pct) continue;
    if (best < 0) {
      best = c.index;
      continue;
    }
    const TuneScore& b = candidates[static_cast<std::size_t>(best)].score;
    if (c.score.cost_usd < b.cost_usd || (c.score.cost_usd == b.cost_usd && c.score.lost_pct < b.lost_pct)) {
      best = c.index;
    }
  }
  return best;
}

TuneResult RunTuneSearch(const std::vector<TuneDimension>& dims, const TuneSearchOptions& options,
                         const std::function<TuneScore(const TunePoint&)>& evaluate,
                         const std::function<void(int, const TuneCandidate&)>& progress) {
  TuneResult result;
  Draw draw(options.seed);
  std::set<TunePoint> seen;
  const int budget = std::max(0, options.budget);
  const int batch = std::max(1, options.batch);

  // The start and the first sample: one batch.
  std::vector<TunePoint> first;
  const bool has_start = options.start.has_value() && options.start->size() == dims.size() && budget > 0;
  if (has_start) {
    first.push_back(*options.start);
    seen.insert(*options.start);
  }
  if (!dims.empty()) {
    const int sample = std::max(1, budget / 2) - (has_start ? 1 : 0);
    for (TunePoint& p : LatinHypercube(dims, std::max(0, sample), draw)) {
      if (static_cast<int>(first.size()) >= budget) break;
      if (seen.insert(p).second) first.push_back(std::move(p));
    }
  }
  EvaluateBatch(first, options.jobs, evaluate, &result, progress, has_start);

  // Refinement around the frontier's members within the ceiling.
  const int refine_from = static_cast<int>(result.candidates.size());
  while (!dims.empty() && static_cast<int>(result.candidates.size()) < budget) {
    const std::vector<int> front = ParetoFrontier(result.candidates);
    const int chosen = ChooseWithinCeiling(result.candidates, options.max_lost_pct);
    std::vector<int> parents;
    for (int i : front) {
      if (result.candidates[static_cast<std::size_t>(i)].score.lost_pct <= options.max_lost_pct) parents.push_back(i);
    }
    if (parents.empty() && !front.empty()) parents.push_back(front.back());  // the least lost: toward the ceiling
    if (parents.empty()) {
      // Nothing ran at all: sample afresh.
      for (const TuneCandidate& c : result.candidates) parents.push_back(c.index);
    }
    const double spent = static_cast<double>(static_cast<int>(result.candidates.size()) - refine_from) /
                         std::max(1, budget - refine_from);
    const double sigma = 0.2 - 0.15 * std::clamp(spent, 0.0, 1.0);
    const int want = std::min(batch, budget - static_cast<int>(result.candidates.size()));
    std::vector<TunePoint> next;
    for (int slot = 0; slot < want; ++slot) {
      for (int attempt = 0; attempt < 20; ++attempt) {
        const int parent = (chosen >= 0 && draw.Uniform() < 0.5)
                               ? chosen
                               : parents[static_cast<std::size_t>(draw.Below(static_cast<int>(parents.size())))];
        TunePoint p = Perturb(dims, result.candidates[static_cast<std::size_t>(parent)].point, sigma, draw);
        if (seen.insert(p).second) {
          next.push_back(std::move(p));
          break;
        }
      }
    }
    if (next.empty()) break;  // the space is exhausted around the frontier
    EvaluateBatch(next, options.jobs, evaluate, &result, progress, false);
  }

  for (const TuneCandidate& c : result.candidates) result.failed += c.score.ok ? 0 : 1;
  result.frontier = ParetoFrontier(result.candidates);
  result.chosen = ChooseWithinCeiling(result.candidates, options.max_lost_pct);
  return result;
}

}  // namespace shoal
