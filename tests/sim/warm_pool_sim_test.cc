// The warm pool in the simulator: stopped instances start in about a
// minute, so a burst finds capacity sooner than with launches alone; their
// disks are billed while stopped, and the report's cost includes that.
#include <gtest/gtest.h>

#include <string>

#include "adapters/config/config.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "sim/report.h"
#include "sim/simulation.h"

namespace shoal {
namespace {

const std::string kData = std::string(SHOAL_SOURCE_DIR) + "/data/";

// 100 requests a minute, with bursts to 400 for 15 minutes at minutes
// 120, 240 and 360 (peak 400 = 20 units: 5 at rest, 20 in a burst).
Trace BurstTrace() {
  Trace t;
  t.source = "bursts";
  t.requests.assign(8 * 60, 100.0);
  for (int start : {120, 240, 360}) {
    for (int m = start; m < start + 15; ++m) t.requests[static_cast<std::size_t>(m)] = 400.0;
  }
  return t;
}

std::string Config(int warm) {
  std::string yaml = R"(groups:
  - name: web
    min: 6
    max: 30
    desired: 6
    default_cooldown: 60
    capacity:
      on_demand_base: 0
      on_demand_percent_above_base: 0
      spot_pools:
        - {instance_type: m4.large, zone: us-east-1a}
        - {instance_type: m4.large, zone: us-east-1b}
        - {instance_type: c5.large, zone: us-east-1a}
    alarms:
      - {name: hot, metric: cpu_utilization, period: 60, evaluation_periods: 1, datapoints_to_alarm: 1, comparison: ">=", threshold: 80}
      - {name: cold, metric: cpu_utilization, period: 60, evaluation_periods: 20, datapoints_to_alarm: 20, comparison: "<=", threshold: 40}
    policies:
      - {name: out, type: simple, alarm: hot, adjustment_type: change, adjustment: 16, cooldown: 60}
      - {name: in, type: simple, alarm: cold, adjustment_type: change, adjustment: -4, cooldown: 300}
)";
  if (warm > 0) yaml += "    warm_pool: {size: " + std::to_string(warm) + ", pool: on-demand}\n";
  return yaml;
}

std::string Fixed(int warm) {
  std::string yaml = R"(groups:
  - name: web
    min: 6
    max: 6
    desired: 6
    capacity:
      on_demand_base: 0
      on_demand_percent_above_base: 0
      spot_pools:
        - {instance_type: m4.large, zone: us-east-1a}
        - {instance_type: m4.large, zone: us-east-1b}
)";
  if (warm > 0) yaml += "    warm_pool: {size: " + std::to_string(warm) + "}\n";
  return yaml;
}

class WarmPoolSim : public ::testing::Test {
 protected:
  void SetUp() override {
    auto prices = LoadPriceTables(kData + "spot_prices.csv", kData + "ondemand_prices.csv",
                                  kData + "spot_advisor_interruption.csv");
    ASSERT_TRUE(prices.ok()) << prices.status().message();
    prices_ = *prices;
  }

  SimReport Run(const std::string& yaml, const Trace& trace) {
    auto config = ParseConfig(yaml, "warm.yaml");
    EXPECT_TRUE(config.ok()) << config.status().message();
    SimOptions o;
    o.peak_instances = 20;
    o.interruption_scale = 0;  // no spot notices: the bursts of load are the only events
    auto report = RunSimulation(*config, trace, prices_, o);
    EXPECT_TRUE(report.ok()) << report.status().message();
    return *report;
  }

  PriceTables prices_;
};

// Minutes from each burst's start until the capacity in service covers the
// demand, summed over the bursts.
int MinutesToCapacity(const SimReport& r) {
  int total = 0;
  for (int start : {120, 240, 360}) {
    int m = start;
    while (m < start + 15 && r.series.capacity_units[static_cast<std::size_t>(m)] + 1e-6 <
                                 r.series.demand_units[static_cast<std::size_t>(m)]) {
      ++m;
    }
    total += m - start;
  }
  return total;
}

TEST_F(WarmPoolSim, AWarmPoolShortensTheTimeToCapacityOnABurst) {
  const Trace trace = BurstTrace();
  const SimReport cold = Run(Config(0), trace);
  const SimReport warm = Run(Config(16), trace);  // covers the whole step
  EXPECT_LT(MinutesToCapacity(warm), MinutesToCapacity(cold)) << "cold " << cold.lost_requests << " warm " << warm.lost_requests;
  EXPECT_LT(warm.lost_requests, cold.lost_requests);
  EXPECT_GT(warm.stopped_disk_cost_usd, 0);
  EXPECT_EQ(cold.stopped_disk_cost_usd, 0);
}

TEST_F(WarmPoolSim, StoppedDisksAreBilledAndInTheCost) {
  // Nothing scales: the warm pool fills during the warm-up (not billed)
  // and stays stopped, so the whole difference is its disks.
  Trace flat;
  flat.source = "flat";
  flat.requests.assign(24 * 60, 100.0);
  const SimReport without = Run(Fixed(0), flat);
  const SimReport with = Run(Fixed(4), flat);
  const double per_hour = 0.08 * 8 / 730.0;  // gp3 $/GB-month x 8 GiB, per hour (SimEnvironment)
  EXPECT_NEAR(with.stopped_disk_cost_usd, 4 * per_hour * 24, 1e-6);
  EXPECT_NEAR(with.cost_usd - without.cost_usd, with.stopped_disk_cost_usd, 1e-6);
  EXPECT_NEAR(with.ondemand_instance_hours, 0, 1e-9) << "stopped time is no instance-hour";
  EXPECT_NE(FormatReportText(with).find("stopped_disk_cost_usd"), std::string::npos);
  EXPECT_EQ(FormatReportText(without).find("stopped_disk_cost_usd"), std::string::npos)
      << "the report without a warm pool is unchanged";
}

TEST_F(WarmPoolSim, ByteDeterministic) {
  const Trace trace = BurstTrace();
  EXPECT_EQ(FormatReportJson(Run(Config(8), trace)), FormatReportJson(Run(Config(8), trace)));
}

}  // namespace
}  // namespace shoal
