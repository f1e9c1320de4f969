// Seeded simulated worlds with known answers: the accounting is checked
// against arithmetic on the trace, and spot handling under heavy
// interruption rates against the rules it must keep.
#include "sim/simulation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "adapters/config/config.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"

namespace shoal {
namespace {

const std::string kData = std::string(SHOAL_SOURCE_DIR) + "/data/";

class SimulationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto trace = LoadTraceFile(kData + "nasa_jul95_requests_per_minute.csv");
    ASSERT_TRUE(trace.ok()) << trace.status().message();
    // Three days keep each run short.
    trace_ = *trace;
    trace_.requests.resize(3 * 1440);
    auto prices = LoadPriceTables(kData + "spot_prices.csv", kData + "ondemand_prices.csv",
                                  kData + "spot_advisor_interruption.csv");
    ASSERT_TRUE(prices.ok()) << prices.status().message();
    prices_ = *prices;
  }

  SimReport Run(const std::string& yaml, SimOptions options = {}) {
    auto config = ParseConfig(yaml, "test.yaml");
    EXPECT_TRUE(config.ok()) << config.status().message();
    auto report = RunSimulation(*config, trace_, prices_, options);
    EXPECT_TRUE(report.ok()) << report.status().message();
    return *report;
  }

  double Peak() const { return *std::max_element(trace_.requests.begin(), trace_.requests.end()); }

  Trace trace_;
  PriceTables prices_;
};

std::string FixedOnDemand(int n) {
  const std::string s = std::to_string(n);
  return "groups:\n  - name: web\n    min: " + s + "\n    max: " + s + "\n    desired: " + s +
         "\n    capacity: {on_demand_base: " + s + ", on_demand_percent_above_base: 100}\n";
}

TEST_F(SimulationTest, AStaticOnDemandFleetCostsExactlyTheStaticBaseline) {
  const SimReport r = Run(FixedOnDemand(50));
  EXPECT_EQ(r.static_ondemand_instances, 50);
  EXPECT_NEAR(r.cost_usd, r.static_ondemand_cost_usd, 1e-6);
  EXPECT_NEAR(r.cost_usd, 50 * 0.10 * 72.0, 1e-6);  // 50 x $0.10/h x 72 h
  EXPECT_EQ(r.lost_requests, 0);
  EXPECT_EQ(r.hot_minutes, 0);
  EXPECT_NEAR(r.savings_pct, 0, 1e-9);
  EXPECT_EQ(r.activities, 0) << "nothing to decide";
}

TEST_F(SimulationTest, LostRequestsAreDemandAboveCapacityMinuteByMinute) {
  SimOptions o;
  o.peak_instances = 40;
  const SimReport r = Run(FixedOnDemand(3), o);
  const double per_unit = Peak() / 40;  // requests per minute one instance serves
  double lost = 0;
  int hot = 0;
  for (double req : trace_.requests) {
    lost += std::max(0.0, req - 3 * per_unit);
    hot += req > 0.9 * 3 * per_unit ? 1 : 0;
  }
  EXPECT_NEAR(r.lost_requests, lost, 1e-6 * lost + 1e-6);
  EXPECT_EQ(r.hot_minutes, hot);
}

TEST_F(SimulationTest, OracleIsBelowAnyPolicyAndTheStaticBaselineAbove) {
  auto config = LoadConfigFile(std::string(SHOAL_SOURCE_DIR) + "/examples/default.yaml");
  ASSERT_TRUE(config.ok());
  const SimReport r = *RunSimulation(*config, trace_, prices_, {});
  EXPECT_LT(r.oracle_cost_usd, r.cost_usd);
  EXPECT_LT(r.cost_usd, r.static_ondemand_cost_usd);
  EXPECT_GT(r.cost_to_oracle, 1.0);
}

// A run split at a minute: the part before is what a run of the trace cut
// there costs and loses (the decisions before a minute do not depend on the
// minutes after it), the part from it is the rest, and the two add up to the
// whole. With a warm pool and interruptions, so stopped disks and ended
// instances are in both parts.
TEST_F(SimulationTest, ASplitRunIsTheCutRunFollowedByTheRest) {
  auto config = LoadConfigFile(std::string(SHOAL_SOURCE_DIR) + "/examples/default.yaml");
  ASSERT_TRUE(config.ok());
  config->groups[0].warm_pool.size = 2;
  SimOptions o;
  o.interruption_scale = 1000;
  o.seed = 3;
  o.scale_peak_rpm = Peak();
  const std::int64_t split = 2 * 1440 + 7;
  SimOptions split_options = o;
  split_options.split_minute = split;
  const SimReport whole = *RunSimulation(*config, trace_, prices_, split_options);
  ASSERT_TRUE(whole.split.has_value());
  EXPECT_EQ(whole.split->minute, split);
  Trace cut = trace_;
  cut.requests.resize(static_cast<std::size_t>(split));
  const SimReport first = *RunSimulation(*config, cut, prices_, o);
  EXPECT_GT(whole.interruptions, 0);
  EXPECT_NEAR(whole.split->before.cost_usd, first.cost_usd, 1e-9);
  EXPECT_NEAR(whole.split->before.lost_requests, first.lost_requests, 1e-9);
  EXPECT_NEAR(whole.split->before.total_requests, first.total_requests, 1e-9);
  EXPECT_NEAR(whole.split->before.cost_usd + whole.split->from.cost_usd, whole.cost_usd, 1e-9);
  EXPECT_NEAR(whole.split->before.lost_requests + whole.split->from.lost_requests, whole.lost_requests, 1e-9);
  EXPECT_NEAR(whole.split->before.total_requests + whole.split->from.total_requests, whole.total_requests, 1e-9);
  EXPECT_GT(whole.split->from.cost_usd, 0);
  // Splitting changes nothing else.
  const SimReport plain = *RunSimulation(*config, trace_, prices_, o);
  EXPECT_FALSE(plain.split.has_value());
  EXPECT_EQ(plain.fingerprint, whole.fingerprint);
  EXPECT_EQ(plain.cost_usd, whole.cost_usd);

  for (const std::int64_t bad : {std::int64_t{-1}, static_cast<std::int64_t>(trace_.requests.size())}) {
    SimOptions b = o;
    b.split_minute = bad;
    const auto r = RunSimulation(*config, trace_, prices_, b);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("outside the trace's minutes 0..4319"), std::string::npos)
        << r.status().message();
  }
}

// Spot interruptions at 1000 times the Advisor's rates: every notice must be
// answered at once by a launch, and the service must not notice: the same
// requests are lost as in a world without interruptions.
TEST_F(SimulationTest, HeavyInterruptionsAreReplacedAtOnceAndCostNoService) {
  auto config = LoadConfigFile(std::string(SHOAL_SOURCE_DIR) + "/examples/default.yaml");
  ASSERT_TRUE(config.ok());
  SimOptions calm;
  calm.interruption_scale = 0;
  calm.seed = 3;
  SimOptions stormy = calm;
  stormy.interruption_scale = 1000;
  const SimReport quiet = *RunSimulation(*config, trace_, prices_, calm);
  const SimReport r = *RunSimulation(*config, trace_, prices_, stormy);
  EXPECT_EQ(quiet.interruptions, 0);
  EXPECT_GT(r.interruptions, 10);
  EXPECT_GT(r.replacements, 0);
  int notices = 0;
  int replaced_ahead = 0;
  for (std::size_t i = 0; i < r.activity_log.size(); ++i) {
    const Activity& a = r.activity_log[i];
    if (a.kind != ActivityKind::kSpotNotice) continue;
    ++notices;
    // A rebalance recommendation came first: its replacement is already
    // under way, and a second one would be capacity nobody asked for.
    if (a.cause.find("replacement is already launched") != std::string::npos) {
      ++replaced_ahead;
      continue;
    }
    // The replacement is decided in the same tick as the notice.
    bool replaced = false;
    for (std::size_t j = i + 1; j < r.activity_log.size() && r.activity_log[j].time == a.time; ++j) {
      replaced = replaced || r.activity_log[j].kind == ActivityKind::kReplace;
    }
    EXPECT_TRUE(replaced) << "notice at " << a.time << " not replaced at once: " << a.cause;
  }
  EXPECT_GT(notices, 0);
  EXPECT_GT(replaced_ahead, 0) << "some notices were preceded by a recommendation";
  EXPECT_GT(r.rebalance_recommendations, 0);
  EXPECT_LE(r.lost_requests, quiet.lost_requests + 1.0);
}

TEST_F(SimulationTest, TheSeedRaisesItsOnDemandGroupOnANotice) {
  auto config = LoadConfigFile(std::string(SHOAL_SOURCE_DIR) + "/examples/seed.yaml");
  ASSERT_TRUE(config.ok());
  SimOptions o;
  o.interruption_scale = 300;
  o.seed = 5;
  const SimReport r = *RunSimulation(*config, trace_, prices_, o);
  ASSERT_GT(r.interruptions, 0);
  bool bumped = false;
  for (const Activity& a : r.activity_log) {
    bumped = bumped || (a.group == "appengine-ondemand" && a.kind == ActivityKind::kSetDesired &&
                        a.to == a.from + 1 && a.cause.find("spot notice") != std::string::npos);
  }
  EXPECT_TRUE(bumped);
}

// A spot price that rises above an instance's bid interrupts it (with the
// usual notice); the group moves to a pool whose price is within its bid.
TEST_F(SimulationTest, APriceAboveTheBidInterruptsAndTheGroupMovesPools) {
  SpotPriceSeries cheap_then_dear;
  cheap_then_dear.instance_type = "m4.large";
  cheap_then_dear.zone = "us-east-1a";
  cheap_then_dear.points = {{1'700'000'000, 0.03}, {1'700'000'000 + 2 * 3600, 0.09},
                            {1'700'000'000 + 24 * 3600, 0.09}};
  prices_.spot.push_back(cheap_then_dear);
  const std::string yaml =
      "groups:\n  - name: web\n    min: 4\n    max: 4\n    desired: 4\n    capacity:\n"
      "      on_demand_percent_above_base: 0\n      allocation_strategy: lowest-price\n"
      "      spot_instance_pools: 1\n      spot_pools:\n"
      "        - {instance_type: m4.large, zone: us-east-1a, bid: 0.05}\n"
      "        - {instance_type: m4.large, zone: us-east-1b}\n";
  SimOptions o;
  o.interruption_scale = 0;  // only the price can interrupt
  const SimReport r = Run(yaml, o);
  EXPECT_EQ(r.interruptions, 4) << "the four instances in us-east-1a, once";
  std::size_t a = 0, b = 0;
  for (std::size_t p = 0; p < r.series.pool_names.size(); ++p) {
    if (r.series.pool_names[p] == "m4.large/us-east-1a") a = p;
    if (r.series.pool_names[p] == "m4.large/us-east-1b") b = p;
  }
  EXPECT_GT(r.series.pool_units[a][30], 3.9) << "in the cheap pool while it is cheap";
  EXPECT_LT(r.series.pool_units[a][300], 0.1) << "out of it once its price passed the bid";
  EXPECT_GT(r.series.pool_units[b][300], 3.9);
  EXPECT_EQ(r.fallbacks_to_ondemand, 0);
}

TEST_F(SimulationTest, SameSeedSameHistory) {
  auto config = LoadConfigFile(std::string(SHOAL_SOURCE_DIR) + "/examples/default.yaml");
  ASSERT_TRUE(config.ok());
  SimOptions o;
  o.interruption_scale = 100;
  const SimReport a = *RunSimulation(*config, trace_, prices_, o);
  const SimReport b = *RunSimulation(*config, trace_, prices_, o);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.cost_usd, b.cost_usd);
  EXPECT_EQ(a.activities, b.activities);
}

TEST_F(SimulationTest, AnEmptyTraceIsAnError) {
  auto config = ParseConfig(FixedOnDemand(1), "t.yaml");
  Trace empty;
  empty.source = "empty.csv";
  const auto r = RunSimulation(*config, empty, prices_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty.csv"), std::string::npos);
}

}  // namespace
}  // namespace shoal
