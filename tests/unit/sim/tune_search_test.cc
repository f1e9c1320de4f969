#include "sim/tune.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <set>

namespace shoal {
namespace {

// A fake world: cost rises with capacity x, loss falls with it; y is noise
// for the cost only; the choice adds a fixed cost. Held-out figures differ.
TuneScore Fake(const TunePoint& p) {
  TuneScore s;
  const double x = p[0];
  s.cost_usd = 100 + 10 * x + std::fabs(p[1] - 3) + 5 * p[2];
  s.lost_pct = 1.0 / (1 + x * x);
  s.has_holdout = true;
  s.holdout_cost_usd = s.cost_usd * 1.1;
  s.holdout_lost_pct = s.lost_pct * 2;
  return s;
}

TuneScore Fake2(const TunePoint& p) { return Fake({5, 3, p[0]}); }

std::vector<TuneDimension> Dims() {
  return {{TuneDimension::Kind::kContinuous, 0, 10, 0},
          {TuneDimension::Kind::kInteger, 1, 6, 0},
          {TuneDimension::Kind::kChoice, 0, 0, 3}};
}

TEST(TuneSearch, RespectsTheBudgetAndNeverRepeatsAPoint) {
  for (int budget : {1, 5, 17, 40}) {
    TuneSearchOptions o;
    o.budget = budget;
    TuneResult r = RunTuneSearch(Dims(), o, Fake);
    EXPECT_EQ(static_cast<int>(r.candidates.size()), budget);
    std::set<TunePoint> points;
    for (const TuneCandidate& c : r.candidates) {
      EXPECT_TRUE(points.insert(c.point).second);
      EXPECT_GE(c.point[0], 0);
      EXPECT_LE(c.point[0], 10);
      EXPECT_EQ(c.point[1], std::round(c.point[1]));
      EXPECT_GE(c.point[1], 1);
      EXPECT_LE(c.point[1], 6);
      EXPECT_TRUE(c.point[2] == 0 || c.point[2] == 1 || c.point[2] == 2);
    }
  }
}

TEST(TuneSearch, ASmallDiscreteSpaceStopsWhenExhausted) {
  TuneSearchOptions o;
  o.budget = 50;
  TuneResult r = RunTuneSearch({{TuneDimension::Kind::kChoice, 0, 0, 3}}, o, Fake2);
  EXPECT_LE(r.candidates.size(), 3u);
}

TEST(TuneSearch, TheFrontierIsParetoCorrect) {
  TuneSearchOptions o;
  o.budget = 40;
  TuneResult r = RunTuneSearch(Dims(), o, Fake);
  ASSERT_FALSE(r.frontier.empty());
  std::set<int> front(r.frontier.begin(), r.frontier.end());
  for (const TuneCandidate& c : r.candidates) {
    bool dominated = false;
    for (const TuneCandidate& d : r.candidates) {
      if (d.score.cost_usd <= c.score.cost_usd && d.score.lost_pct <= c.score.lost_pct &&
          (d.score.cost_usd < c.score.cost_usd || d.score.lost_pct < c.score.lost_pct)) {
        dominated = true;
      }
    }
    EXPECT_EQ(front.count(c.index) == 1, !dominated) << "candidate " << c.index;
  }
  for (std::size_t i = 1; i < r.frontier.size(); ++i) {
    const TuneScore& a = r.candidates[static_cast<std::size_t>(r.frontier[i - 1])].score;
    const TuneScore& b = r.candidates[static_cast<std::size_t>(r.frontier[i])].score;
    EXPECT_LT(a.cost_usd, b.cost_usd);
    EXPECT_GT(a.lost_pct, b.lost_pct);
  }
}

TEST(TuneSearch, ChoosesTheCheapestWithinTheCeilingAndReportsTheHoldout) {
  TuneSearchOptions o;
  o.budget = 40;
  o.max_lost_pct = 0.05;
  TuneResult r = RunTuneSearch(Dims(), o, Fake);
  ASSERT_GE(r.chosen, 0);
  const TuneCandidate& chosen = r.candidates[static_cast<std::size_t>(r.chosen)];
  EXPECT_LE(chosen.score.lost_pct, 0.05);
  EXPECT_TRUE(chosen.score.has_holdout);
  EXPECT_DOUBLE_EQ(chosen.score.holdout_lost_pct, chosen.score.lost_pct * 2);
  for (const TuneCandidate& c : r.candidates) {
    if (c.score.lost_pct <= 0.05) {
      EXPECT_GE(c.score.cost_usd, chosen.score.cost_usd);
    }
  }
  // The refinement helps: the cheapest within the ceiling needs x >= sqrt(19) ~ 4.36, y = 3, choice 0.
  EXPECT_LT(chosen.score.cost_usd, 100 + 10 * 5.0 + 1);
  // None within an impossible ceiling.
  o.max_lost_pct = 0.001;
  o.budget = 10;
  EXPECT_EQ(RunTuneSearch(Dims(), o, Fake).chosen, -1);
}

TEST(TuneSearch, SameInputsSameResultWhateverTheThreads) {
  TuneSearchOptions o;
  o.budget = 30;
  o.seed = 7;
  o.jobs = 1;
  TuneResult one = RunTuneSearch(Dims(), o, Fake);
  o.jobs = 4;
  TuneResult four = RunTuneSearch(Dims(), o, Fake);
  ASSERT_EQ(one.candidates.size(), four.candidates.size());
  for (std::size_t i = 0; i < one.candidates.size(); ++i) EXPECT_EQ(one.candidates[i].point, four.candidates[i].point);
  EXPECT_EQ(one.frontier, four.frontier);
  EXPECT_EQ(one.chosen, four.chosen);
  o.seed = 8;
  TuneResult other = RunTuneSearch(Dims(), o, Fake);
  EXPECT_NE(other.candidates[1].point, one.candidates[1].point);
}

TEST(TuneSearch, TheStartIsEvaluatedFirstAndFailuresAreCountedNotChosen) {
  TuneSearchOptions o;
  o.budget = 12;
  o.start = TunePoint{9, 3, 0};
  int calls = 0;
  std::mutex mu;
  TuneResult r = RunTuneSearch(Dims(), o, [&](const TunePoint& p) {
    {
      std::lock_guard lock(mu);
      ++calls;
    }
    TuneScore s = Fake(p);
    if (p[2] == 2) {
      s.ok = false;
      s.error = "invalid";
    }
    return s;
  });
  EXPECT_EQ(calls, 12);
  ASSERT_FALSE(r.candidates.empty());
  EXPECT_TRUE(r.candidates[0].start);
  EXPECT_EQ(r.candidates[0].point, (TunePoint{9, 3, 0}));
  int failed = 0;
  for (const TuneCandidate& c : r.candidates) failed += c.score.ok ? 0 : 1;
  EXPECT_EQ(r.failed, failed);
  for (int i : r.frontier) EXPECT_TRUE(r.candidates[static_cast<std::size_t>(i)].score.ok);
  if (r.chosen >= 0) {
    EXPECT_TRUE(r.candidates[static_cast<std::size_t>(r.chosen)].score.ok);
  }
}

}  // namespace
}  // namespace shoal
