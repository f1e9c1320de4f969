#include "adapters/sim/spot_market.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace shoal {
namespace {

const std::string kRepo = SHOAL_SOURCE_DIR;
constexpr Seconds kDay = 24 * kHour;
constexpr Seconds kYear = 365 * kDay;
// First burst of m5.large us-east-1a with seed 1 (measured once; must never change).
constexpr Seconds kPinnedFirstBurstStart = 20530919;

const PriceTables& Bundled() {
  static const PriceTables tables = [] {
    auto t = LoadPriceTables(kRepo + "/data/spot_prices.csv", kRepo + "/data/ondemand_prices.csv",
                             kRepo + "/data/spot_advisor_interruption.csv");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? *t : PriceTables{};
  }();
  return tables;
}

SpotMarket MustBuild(const std::vector<MarketPool>& pools, const SpotMarketOptions& o = {},
                     const PriceTables& tables = Bundled()) {
  auto m = SpotMarket::Build(tables, pools, o);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m).value();
}

// Time-weighted mean price over [0, until), walking the change points.
double MeanPrice(const SpotMarket& m, std::size_t pool, Seconds until) {
  double sum = 0;
  Seconds t = 0;
  while (t < until) {
    Seconds next = m.NextPriceChange(pool, t);
    if (next == kNever || next > until) next = until;
    sum += m.Price(pool, t) * static_cast<double>(next - t);
    t = next;
  }
  return sum / static_cast<double>(until);
}

TEST(SpotMarketPrice, DerivedM4LargeLevelMatchesAdvisorSavings) {
  SpotMarket m = MustBuild({{"m4.large", "us-east-1a"}});
  const double mean = MeanPrice(m, 0, 10 * kYear);
  RecordProperty("m4_large_mean", std::to_string(mean));
  EXPECT_NEAR(mean, 0.10 * 0.48, 0.048 * 0.02) << mean;
  EXPECT_EQ(m.PriceSource(0),
            "derived: m4.large us-east-1 on-demand 0.1000 x (1 - 52% Advisor savings), movement of c5a.2xlarge "
            "us-east-1b (real history, 2023-11-11..2023-12-30)");
  EXPECT_DOUBLE_EQ(m.OnDemandPrice("m4.large"), 0.10);
  EXPECT_EQ(m.InterruptionBucket(0), 0);
}

TEST(SpotMarketPrice, MovementReferenceFollowsZoneLetterAndRegion) {
  SpotMarket m = MustBuild({{"m5.large", "us-east-1c"}, {"c5.large", "us-east-1f"}, {"m5.large", "eu-west-3a"}});
  EXPECT_NE(m.PriceSource(0).find("movement of c5a.2xlarge us-east-1c"), std::string::npos) << m.PriceSource(0);
  EXPECT_NE(m.PriceSource(1).find("movement of c5a.2xlarge us-east-1f"), std::string::npos) << m.PriceSource(1);
  EXPECT_NE(m.PriceSource(2).find("movement of m5d.large eu-west-3a"), std::string::npos) << m.PriceSource(2);
}

TEST(SpotMarketPrice, NeverAboveOnDemand) {
  const std::vector<MarketPool> pools = {{"m4.large", "us-east-1a"}, {"m5.large", "us-east-1b"},
                                         {"c5.large", "us-east-1d"}, {"m5.large", "eu-west-3a"},
                                         {"c5.2xlarge", "eu-west-3a"}, {"c5a.2xlarge", "us-east-1b"}};
  SpotMarket m = MustBuild(pools);
  for (std::size_t p = 0; p < m.size(); ++p) {
    const double od = m.OnDemandPrice(pools[p].instance_type);
    ASSERT_GT(od, 0);
    for (Seconds t = 0; t < 400 * kDay; t += 7 * kMinute) ASSERT_LE(m.Price(p, t), od) << p << " t=" << t;
  }
}

TEST(SpotMarketPrice, CapsDerivedPriceAtOnDemand) {
  // No savings: the level is the on-demand price, so every above-mean move is capped.
  PriceTables t = Bundled();
  t.advisor[{"m4.large", "us-east-1"}] = AdvisorEntry{0, 0};
  SpotMarket m = MustBuild({{"m4.large", "us-east-1a"}}, {}, t);
  double highest = 0;
  for (Seconds s = 0; s < 60 * kDay; s += kMinute) highest = std::max(highest, m.Price(0, s));
  EXPECT_DOUBLE_EQ(highest, 0.10);
}

TEST(SpotMarketPrice, UsesRealHistoryWhenItExists) {
  SpotMarket m = MustBuild({{"c5.2xlarge", "eu-west-3a"}});
  EXPECT_EQ(m.PriceSource(0).rfind("real history: c5.2xlarge eu-west-3a", 0), 0u) << m.PriceSource(0);
  const SpotPriceSeries* series = nullptr;
  for (const auto& s : Bundled().spot) {
    if (s.instance_type == "c5.2xlarge" && s.zone == "eu-west-3a") series = &s;
  }
  ASSERT_NE(series, nullptr);
  const std::int64_t first = series->points.front().unix_seconds;
  const Seconds period = series->points.back().unix_seconds - first;
  for (std::size_t i = 0; i + 1 < series->points.size(); ++i) {
    const Seconds at = series->points[i].unix_seconds - first;
    ASSERT_DOUBLE_EQ(m.Price(0, at), series->points[i].usd_per_hour) << i;
    ASSERT_DOUBLE_EQ(m.Price(0, at + period), series->points[i].usd_per_hour) << i;  // repeats
  }
}

TEST(SpotMarketPrice, NextPriceChangeFindsEveryChangeAndNoOther) {
  SpotMarket m = MustBuild({{"m4.large", "us-east-1a"}, {"t3.large", "eu-west-3a"}}, {}, [] {
    PriceTables t = Bundled();
    t.on_demand[{"t3.large", "eu-west-3"}] = 0.0944;  // not in the bundled table
    return t;
  }());
  for (std::size_t p = 0; p < m.size(); ++p) {
    Seconds t = 0;
    int changes = 0;
    while (t < 150 * kDay) {
      const Seconds next = m.NextPriceChange(p, t);
      ASSERT_GT(next, t);
      ASSERT_NE(m.Price(p, next), m.Price(p, next - 1)) << "no change at " << next;
      ASSERT_DOUBLE_EQ(m.Price(p, t), m.Price(p, (t + next) / 2));
      t = next;
      ++changes;
    }
    EXPECT_GT(changes, 20) << p;
  }
}

TEST(SpotMarketBursts, SameSeedSameBurstsOtherSeedDifferent) {
  const std::vector<MarketPool> pools = {{"m5.large", "us-east-1a"}, {"m5.large", "us-east-1b"}};
  SpotMarketOptions o;
  o.horizon = 5 * kYear;
  SpotMarket a = MustBuild(pools, o);
  SpotMarket b = MustBuild(pools, o);
  auto same = [](const std::vector<Burst>& x, const std::vector<Burst>& y) {
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), [](const Burst& u, const Burst& v) {
             return u.start == v.start && u.end == v.end && u.shortage_end == v.shortage_end;
           });
  };
  ASSERT_FALSE(a.Bursts(0).empty());
  EXPECT_TRUE(same(a.Bursts(0), b.Bursts(0)));
  EXPECT_TRUE(same(a.Bursts(1), b.Bursts(1)));
  EXPECT_FALSE(same(a.Bursts(0), a.Bursts(1)));  // each pool has its own stream
  o.seed = 2;
  SpotMarket c = MustBuild(pools, o);
  EXPECT_FALSE(same(a.Bursts(0), c.Bursts(0)));
}

TEST(SpotMarketBursts, PinnedFirstBurstForSeedOne) {
  // Guards "same bursts on every machine": a change of RNG, mixing or draw shows up here.
  SpotMarketOptions o;
  o.horizon = 10 * kYear;
  SpotMarket m = MustBuild({{"m5.large", "us-east-1a"}}, o);
  ASSERT_FALSE(m.Bursts(0).empty());
  const Burst& b = m.Bursts(0).front();
  EXPECT_EQ(b.end, b.start + 5 * kMinute);
  EXPECT_EQ(b.shortage_end, b.end + 30 * kMinute);
  RecordProperty("first_burst_start", std::to_string(b.start));
  EXPECT_EQ(b.start, kPinnedFirstBurstStart);
}

struct RateCase {
  const char* type;
  int bucket;
  double monthly;
  double tolerance;  // relative
};

TEST(SpotMarketBursts, RateMatchesAdvisorBucketOverLongHorizon) {
  // m4.large us-east-1: bucket 0 (2.5%/month); m5.large us-east-1: bucket 2 (12.5%).
  const RateCase cases[] = {{"m4.large", 0, 0.025, 0.12}, {"m5.large", 2, 0.125, 0.06}};
  SpotMarketOptions o;
  o.seed = 7;
  o.horizon = 1000 * kYear;
  const double months = static_cast<double>(o.horizon) / (30.0 * kDay);
  for (const RateCase& c : cases) {
    SpotMarket m = MustBuild({{c.type, "us-east-1a"}}, o);
    EXPECT_EQ(m.InterruptionBucket(0), c.bucket);
    EXPECT_DOUBLE_EQ(m.MonthlyInterruptionProbability(0), c.monthly);
    const double per_instance_month = o.burst_hit_probability * m.Bursts(0).size() / months;
    EXPECT_NEAR(per_instance_month, c.monthly, c.monthly * c.tolerance) << c.type;
    for (const Burst& b : m.Bursts(0)) ASSERT_LT(b.start, o.horizon);
  }
}

TEST(SpotMarketBursts, RateScaleMultipliesAndZeroTurnsOff) {
  SpotMarketOptions o;
  o.horizon = 200 * kYear;
  const std::size_t base = MustBuild({{"m5.large", "us-east-1a"}}, o).Bursts(0).size();
  o.interruption_rate_scale = 2;
  SpotMarket doubled = MustBuild({{"m5.large", "us-east-1a"}}, o);
  EXPECT_DOUBLE_EQ(doubled.MonthlyInterruptionProbability(0), 0.25);
  EXPECT_NEAR(static_cast<double>(doubled.Bursts(0).size()) / base, 2.0, 0.2);
  o.interruption_rate_scale = 0;
  SpotMarket none = MustBuild({{"m5.large", "us-east-1a"}}, o);
  EXPECT_TRUE(none.Bursts(0).empty());
  EXPECT_TRUE(none.HasCapacity(0, 12345));
}

TEST(SpotMarketCapacity, NoCapacityDuringShortageWindows) {
  SpotMarketOptions o;
  o.horizon = 20 * kYear;
  SpotMarket m = MustBuild({{"m5.large", "us-east-1a"}}, o);
  const auto& bursts = m.Bursts(0);
  ASSERT_GT(bursts.size(), 10u);
  for (std::size_t i = 0; i < bursts.size(); ++i) {
    const Burst& b = bursts[i];
    EXPECT_FALSE(m.HasCapacity(0, b.start));
    EXPECT_FALSE(m.HasCapacity(0, b.end));
    EXPECT_FALSE(m.HasCapacity(0, b.shortage_end - 1));
    const bool prev_overlaps = i > 0 && bursts[i - 1].shortage_end >= b.start;
    if (!prev_overlaps) {
      EXPECT_TRUE(m.HasCapacity(0, b.start - 1));
    }
    const bool next_overlaps = i + 1 < bursts.size() && bursts[i + 1].start <= b.shortage_end;
    if (!next_overlaps) {
      EXPECT_TRUE(m.HasCapacity(0, b.shortage_end));
    }
  }
  EXPECT_TRUE(m.HasCapacity(0, o.horizon + 10 * kYear));  // nothing drawn past the horizon
}

TEST(SpotMarketCapacity, ScoreFallsWithBucketAndAfterBursts) {
  SpotMarketOptions o;
  o.horizon = 20 * kYear;
  SpotMarket m = MustBuild({{"m5.large", "us-east-1a"}, {"m4.large", "us-east-1a"}}, o);
  const Burst& b = m.Bursts(0).front();
  ASSERT_GT(b.start, 0);
  if (m.HasCapacity(0, 0)) {
    EXPECT_NEAR(m.CapacityScore(0, 0), 0.7, 1e-12);  // bucket 2
  }
  EXPECT_NEAR(m.CapacityScore(0, b.start), 0.35, 1e-12);
  EXPECT_NEAR(m.CapacityScore(0, b.shortage_end + 2 * kHour - 1), 0.35, 1e-12);
  const bool quiet_after = m.Bursts(0).size() < 2 || m.Bursts(0)[1].start > b.shortage_end + 2 * kHour;
  if (quiet_after) {
    EXPECT_NEAR(m.CapacityScore(0, b.shortage_end + 2 * kHour), 0.7, 1e-12);
  }
  for (Seconds t = 0; t < 3 * kYear; t += 13 * kHour) {
    const double s = m.CapacityScore(1, t);
    ASSERT_TRUE(s == 1.0 || s == 0.5) << s;  // bucket 0
  }
}

TEST(SpotMarketBuild, MissingOnDemandPriceNamesTypeRegionAndFile) {
  auto m = SpotMarket::Build(Bundled(), {{"m4.large", "eu-west-3a"}}, {});
  ASSERT_FALSE(m.ok());
  const std::string& msg = m.status().message();
  EXPECT_NE(msg.find("m4.large"), std::string::npos) << msg;
  EXPECT_NE(msg.find("eu-west-3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ondemand_prices.csv"), std::string::npos) << msg;
}

TEST(SpotMarketBuild, MissingAdvisorWithoutHistoryIsAnError) {
  PriceTables t = Bundled();
  t.on_demand[{"x9.large", "us-east-1"}] = 0.1;  // priced, but neither history nor Advisor row
  auto m = SpotMarket::Build(t, {{"x9.large", "us-east-1a"}}, {});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("spot_advisor_interruption.csv"), std::string::npos) << m.status().message();
}

TEST(SpotMarketBuild, HistoryWithoutAdvisorUsesDefaultBucket) {
  PriceTables t = Bundled();
  t.advisor.erase({"c5.2xlarge", "eu-west-3"});
  SpotMarket m = MustBuild({{"c5.2xlarge", "eu-west-3a"}}, {}, t);
  EXPECT_EQ(m.InterruptionBucket(0), 1);
  EXPECT_DOUBLE_EQ(m.MonthlyInterruptionProbability(0), 0.075);
}

TEST(SpotMarketBuild, FlatLevelWhenNoMovementReference) {
  PriceTables t;
  t.on_demand[{"m4.large", "us-east-1"}] = 0.1;
  t.advisor[{"m4.large", "us-east-1"}] = AdvisorEntry{0, 52};
  SpotMarket m = MustBuild({{"m4.large", "us-east-1a"}}, {}, t);
  EXPECT_DOUBLE_EQ(m.Price(0, 0), 0.048);
  EXPECT_DOUBLE_EQ(m.Price(0, 400 * kDay), 0.048);
  EXPECT_EQ(m.NextPriceChange(0, 0), kNever);
  EXPECT_NE(m.PriceSource(0).find("flat"), std::string::npos);
}

TEST(SpotMarketBuild, OnDemandPriceOfOtherTypesInRegion) {
  SpotMarket m = MustBuild({{"m4.large", "us-east-1a"}});
  EXPECT_DOUBLE_EQ(m.OnDemandPrice("m5.large"), 0.096);
  EXPECT_DOUBLE_EQ(m.OnDemandPrice("no.such"), 0.0);
}

TEST(SpotMarketBuild, RejectsBadOptions) {
  SpotMarketOptions o;
  o.burst_hit_probability = 0;
  EXPECT_FALSE(SpotMarket::Build(Bundled(), {{"m4.large", "us-east-1a"}}, o).ok());
  o = {};
  o.interruption_rate_scale = -1;
  EXPECT_FALSE(SpotMarket::Build(Bundled(), {{"m4.large", "us-east-1a"}}, o).ok());
}

}  // namespace
}  // namespace shoal
