// The simulated world's rebalance recommendations: a seeded share of burst
// interruptions is preceded, by the lead the environment gives, by a
// kRebalanceRecommended fact; the rest come without one.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "adapters/sim/sim_world.h"

namespace shoal {
namespace {

const std::string kRepo = SHOAL_SOURCE_DIR;
constexpr int kInstances = 300;
constexpr Seconds kRun = 4 * 24 * kHour;

const PriceTables& Bundled() {
  static const PriceTables tables = [] {
    auto t = LoadPriceTables(kRepo + "/data/spot_prices.csv", kRepo + "/data/ondemand_prices.csv",
                             kRepo + "/data/spot_advisor_interruption.csv");
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? *t : PriceTables{};
  }();
  return tables;
}

struct Seen {
  Seconds recommended = kNever;  // when the agent saw each
  Seconds noticed = kNever;
};

struct Outcome {
  std::map<InstanceId, Seen> seen;
  int recommendations = 0;
  int interruptions = 0;
};

// kInstances spot instances in one pool whose bursts come 1000 times as
// often as the Advisor says, watched for four days; nobody terminates them.
Outcome Watch(const SimEnvironment& env) {
  const std::vector<MarketPool> pools = {{"m5.large", "us-east-1a"}};
  SpotMarketOptions mo;
  mo.seed = env.seed;
  mo.horizon = kRun + kHour;
  mo.interruption_rate_scale = 1000;
  Result<SpotMarket> market = SpotMarket::Build(Bundled(), pools, mo);
  EXPECT_TRUE(market.ok()) << market.status().message();
  static const std::vector<double> demand(kRun / kMinute, 0.0);
  SimWorld world(env, &*market, pools, {{"web", "web"}}, {{"web", &demand}});
  for (int i = 0; i < kInstances; ++i) {
    LaunchRequest r;
    r.group = "web";
    r.market = Market::kSpot;
    r.instance_type = "m5.large";
    r.zone = "us-east-1a";
    r.pool = "m5.large/us-east-1a";
    r.launch_token = "web-0-" + std::to_string(i);
    Result<LaunchedInstance> launched = world.Launch(r);
    EXPECT_TRUE(launched.ok()) << launched.status().message();
  }
  Outcome out;
  // Bursts are drawn up to kRun + 1 h; every notice they give comes before this.
  while (world.NextEventTime() != kNever && world.NextEventTime() <= kRun + 3 * kHour) {
    world.AdvanceTo(world.NextEventTime());
    for (const GroupInstanceEvent& e : world.Poll()) {
      Seen& s = out.seen[e.observation.id];
      if (e.observation.event == InstanceEvent::kRebalanceRecommended) {
        EXPECT_EQ(s.recommended, kNever) << "one recommendation per instance";
        s.recommended = world.Now();
      }
      if (e.observation.event == InstanceEvent::kNotice) s.noticed = world.Now();
    }
  }
  out.recommendations = world.recommendations();
  out.interruptions = world.interruptions();
  return out;
}

SimEnvironment Env(std::uint64_t seed) {
  SimEnvironment env;
  env.seed = seed;
  return env;  // the documented defaults: 60%, 10 to 60 minutes ahead
}

TEST(SimWorldRecommendations, ASeededShareOfInterruptionsIsPrecededByTheLeadTime) {
  const SimEnvironment env = Env(1);
  const Outcome o = Watch(env);
  int noticed = 0, preceded = 0;
  for (const auto& [id, s] : o.seen) {
    if (s.recommended != kNever) {
      ASSERT_NE(s.noticed, kNever) << id << ": every recommendation here comes before an interruption";
    }
    if (s.noticed == kNever) continue;
    ++noticed;
    if (s.recommended == kNever) continue;
    ++preceded;
    // The lead, give or take the agent's poll on either side.
    const Seconds lead = s.noticed - s.recommended;
    EXPECT_GE(lead, env.rebalance_lead_min - env.imds_poll_seconds) << id;
    EXPECT_LE(lead, env.rebalance_lead_max + env.imds_poll_seconds) << id;
  }
  ASSERT_GT(noticed, 200) << "the bursts reach most instances in four days";
  EXPECT_EQ(o.interruptions, noticed);
  EXPECT_EQ(o.recommendations, preceded);
  const double share = static_cast<double>(preceded) / noticed;
  EXPECT_NEAR(share, env.rebalance_fraction, 0.1) << preceded << " of " << noticed;
  EXPECT_LT(preceded, noticed) << "some interruptions come without a recommendation";
}

TEST(SimWorldRecommendations, SameSeedSameRecommendationsAnotherSeedOthers) {
  const Outcome a = Watch(Env(5));
  const Outcome b = Watch(Env(5));
  const Outcome c = Watch(Env(6));
  ASSERT_EQ(a.seen.size(), b.seen.size());
  for (const auto& [id, s] : a.seen) {
    EXPECT_EQ(s.recommended, b.seen.at(id).recommended) << id;
    EXPECT_EQ(s.noticed, b.seen.at(id).noticed) << id;
  }
  bool differs = a.seen.size() != c.seen.size();
  for (const auto& [id, s] : a.seen) {
    differs = differs || !c.seen.count(id) || c.seen.at(id).recommended != s.recommended;
  }
  EXPECT_TRUE(differs);
}

TEST(SimWorldRecommendations, AFractionOfZeroSendsNone) {
  SimEnvironment env = Env(1);
  env.rebalance_fraction = 0;
  const Outcome o = Watch(env);
  EXPECT_EQ(o.recommendations, 0);
  EXPECT_GT(o.interruptions, 200);
}

}  // namespace
}  // namespace shoal
