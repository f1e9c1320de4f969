// The search behind `shoal tune`: which values of the tunable parameters
// cost least for the requests they lose. Pure: it proposes points, an
// evaluator (the simulator, or a fake in tests) scores them, and it keeps
// the cost/loss frontier. Seeded and deterministic: the same dimensions,
// options and scores give the same candidates in the same order, whatever
// the number of threads (points are proposed in fixed batches, and a batch
// is proposed only from the scores of the batches before it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace shoal {

struct TuneDimension {
  enum class Kind { kContinuous, kInteger, kChoice };
  Kind kind = Kind::kContinuous;
  double low = 0;   // ranges: inclusive ends
  double high = 1;
  int choices = 0;  // kChoice: how many (a point holds the index)
};

// One coordinate per dimension. Continuous values carry four significant
// digits (what a tuned config writes), integers and choice indices are whole.
using TunePoint = std::vector<double>;

// What one candidate scored. "Tuned" figures come from the traces (or parts)
// the search optimises; "held out" ones from traces it never sees, reported
// only (the guard against overfitting).
struct TuneScore {
  bool ok = true;
  std::string error;              // !ok: why the candidate could not run (an invalid combination)
  double cost_usd = 0;            // tuned: summed over traces, each the mean over seeds
  double lost_pct = 0;            // tuned: the worst over traces and seeds
  bool has_holdout = false;
  double holdout_cost_usd = 0;
  double holdout_lost_pct = 0;
};

struct TuneCandidate {
  int index = 0;       // evaluation order
  TunePoint point;
  TuneScore score;
  bool start = false;  // the config's own values
};

struct TuneSearchOptions {
  int budget = 40;               // candidates evaluated, at most (the start point counts)
  std::uint64_t seed = 1;
  int jobs = 1;                  // evaluations side by side
  double max_lost_pct = 0.01;    // the loss ceiling
  int batch = 8;                 // points proposed at a time after the first sample
  std::optional<TunePoint> start;  // evaluated first when given
};

struct TuneResult {
  std::vector<TuneCandidate> candidates;  // in evaluation order
  std::vector<int> frontier;              // indices of the Pareto-optimal ones, by cost
  int chosen = -1;                        // the cheapest within the ceiling (-1: none)
  int failed = 0;                         // candidates that could not run
};

// The candidates (ok ones only) that no other beats on both cost and loss,
// cheapest first. Of equal scores, the first evaluated stands.
std::vector<int> ParetoFrontier(const std::vector<TuneCandidate>& candidates);
// The cheapest ok candidate whose tuned loss is within `max_lost_pct` (ties:
// less lost, then first evaluated); -1 when none is.
int ChooseWithinCeiling(const std::vector<TuneCandidate>& candidates, double max_lost_pct);

// A Latin-hypercube sample over the dimensions for about half the budget,
// then local refinement: points drawn around the frontier's members within
// the ceiling (the chosen one most often), with steps that shrink as the
// budget is spent. Duplicates are never evaluated twice, so a small discrete
// space may use less than the budget. `progress` (optional) is called after
// each evaluation, under a lock, with the number done.
TuneResult RunTuneSearch(const std::vector<TuneDimension>& dims, const TuneSearchOptions& options,
                         const std::function<TuneScore(const TunePoint&)>& evaluate,
                         const std::function<void(int done, const TuneCandidate& last)>& progress = {});

}  // namespace shoal
