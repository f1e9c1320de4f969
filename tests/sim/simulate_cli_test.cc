// `shoal simulate` end to end, through the real binary: reproducibility, the
// report's keys, and a clear non-zero exit for every kind of bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_shoal.h"

namespace shoal {
namespace {

using testing::ReadFile;
using testing::RunShoal;
using testing::WriteTemp;

const std::string kJul = "data/nasa_jul95_requests_per_minute.csv";

TEST(SimulateCli, SameInputsAndSeedGiveByteIdenticalOutput) {
  const std::string plot_a = WriteTemp("a.svg", "");
  const std::string plot_b = WriteTemp("b.svg", "");
  const auto a = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", kJul, "--json",
                           "--seed", "7", "--interruption-scale", "50", "--plot", plot_a});
  const auto b = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", kJul, "--json",
                           "--seed", "7", "--interruption-scale", "50", "--plot", plot_b});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(ReadFile(plot_a), ReadFile(plot_b));
  EXPECT_NE(ReadFile(plot_a).find("<svg"), std::string::npos);
  // Another seed draws other interruptions: another history.
  const auto c = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", kJul, "--json",
                           "--seed", "8", "--interruption-scale", "50"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(nlohmann::json::parse(a.out)["fingerprint"], nlohmann::json::parse(c.out)["fingerprint"]);
}

TEST(SimulateCli, ReportHasEveryKey) {
  const auto r = RunShoal({"simulate", "--config", "examples/seed.yaml", "--trace", kJul, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"cost_usd", "static_ondemand_cost_usd", "oracle_cost_usd", "savings_pct",
                          "lost_requests", "hot_minutes", "interruptions", "rebalance_recommendations", "replacements",
                          "fallbacks_to_ondemand", "activities", "max_instances", "mean_utilization",
                          "cost_to_oracle", "fingerprint"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["static_ondemand_instances"], 50);  // 40 at peak / 0.8
  const auto text = RunShoal({"simulate", "--config", "examples/seed.yaml", "--trace", kJul});
  EXPECT_NE(text.out.find("savings_pct"), std::string::npos);
}

// The headroom's cost is the same run without it, compared: the run with
// every headroom_quantile at 0 is what a config without the key gives.
TEST(SimulateCli, ReportsWhatTheHeadroomCostsAgainstTheSameRunWithout) {
  const std::string group =
      "groups:\n"
      "  - name: web\n    service: web\n    min: 2\n    max: 80\n    desired: 2\n"
      "    capacity: {on_demand_base: 0, on_demand_percent_above_base: 0,\n"
      "               spot_pools: [{instance_type: m4.large, zone: us-east-1a}]}\n"
      "    policies:\n"
      "      - {name: track, type: target-tracking, target: 60}\n";
  const std::string plain = WriteTemp("plain.yaml", group + "      - {name: ahead, type: predictive, target: 60}\n");
  const std::string headroom = WriteTemp(
      "headroom.yaml", group + "      - {name: ahead, type: predictive, target: 60, headroom_quantile: 0.99}\n");
  const auto without = RunShoal({"simulate", "--config", plain, "--trace", kJul, "--json"});
  const auto with = RunShoal({"simulate", "--config", headroom, "--trace", kJul, "--json"});
  ASSERT_EQ(without.exit_code, 0) << without.err;
  ASSERT_EQ(with.exit_code, 0) << with.err;
  const auto a = nlohmann::json::parse(without.out);
  const auto b = nlohmann::json::parse(with.out);
  EXPECT_FALSE(a.contains("headroom")) << "no headroom, nothing to report";
  ASSERT_TRUE(b.contains("headroom"));
  const auto& h = b["headroom"];
  EXPECT_EQ(h["quantiles"], nlohmann::json::array({0.99}));
  EXPECT_EQ(h["cost_without_usd"], a["cost_usd"]);
  EXPECT_EQ(h["lost_requests_without"], a["lost_requests"]);
  EXPECT_EQ(h["hot_minutes_without"], a["hot_minutes"]);
  EXPECT_NEAR(h["cost_usd"].get<double>(), b["cost_usd"].get<double>() - a["cost_usd"].get<double>(), 1e-3);
  EXPECT_GT(h["cost_usd"].get<double>(), 0) << "headroom is capacity held beyond the load";
  EXPECT_LE(b["lost_requests"].get<double>(), a["lost_requests"].get<double>());
  const auto text = RunShoal({"simulate", "--config", headroom, "--trace", kJul});
  EXPECT_NE(text.out.find("headroom_cost_usd"), std::string::npos);
}

TEST(SimulateCli, ActivityLogAsJsonHasOneEntryPerActivityTimedFromTheTraceStart) {
  const std::string log = WriteTemp("activities.json", "");
  const auto r = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", kJul, "--json",
                           "--activities", log});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = nlohmann::json::parse(r.out);
  const auto activities = nlohmann::json::parse(ReadFile(log));
  ASSERT_TRUE(activities.is_array());
  ASSERT_EQ(activities.size(), report["activities"].get<std::size_t>());
  ASSERT_FALSE(activities.empty());
  for (const auto& a : activities) {
    for (const char* key : {"time", "group", "kind", "from", "to", "cause"}) ASSERT_TRUE(a.contains(key)) << a;
    // The warm-up (10 minutes before minute 0) reads as negative times.
    EXPECT_GE(a["time"].get<long>(), -600) << a;
    EXPECT_LT(a["time"].get<long>(), report["minutes"].get<long>() * 60) << a;
  }
}

struct BadInput {
  const char* name;
  std::string trace_text;   // empty: use the bundled trace
  std::string config_text;  // empty: use examples/default.yaml
  std::vector<std::string> extra;
  std::string expected;     // in stderr
};

class SimulateCliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(SimulateCliBadInput, ExitsNonZeroNamingTheProblemAndPrintsNoReport) {
  const BadInput& c = GetParam();
  const std::string trace = c.trace_text.empty() ? kJul : WriteTemp(std::string(c.name) + ".csv", c.trace_text);
  const std::string config =
      c.config_text.empty() ? "examples/default.yaml" : WriteTemp(std::string(c.name) + ".yaml", c.config_text);
  std::vector<std::string> args = {"simulate", "--config", config, "--trace", trace};
  args.insert(args.end(), c.extra.begin(), c.extra.end());
  const auto r = RunShoal(args);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("cost_usd"), std::string::npos) << "no report on bad input";
}

const char* kGoodGroup =
    "groups:\n  - name: web\n    min: 1\n    max: 4\n    capacity:\n      on_demand_base: 1\n"
    "      on_demand_percent_above_base: 100\n";

INSTANTIATE_TEST_SUITE_P(
    Inputs, SimulateCliBadInput,
    ::testing::Values(
        BadInput{"MalformedRow", "minute,requests\n0,5\n1,abc\n", "", {}, "MalformedRow.csv:3"},
        BadInput{"NegativeCount", "minute,requests\n0,5\n1,-3\n", "", {}, "negative"},
        BadInput{"MinuteGap", "minute,requests\n0,5\n2,3\n", "", {}, "MinuteGap.csv:3"},
        BadInput{"WrongHeader", "time,count\n0,5\n", "", {}, "WrongHeader.csv:1"},
        BadInput{"EmptyTrace", "minute,requests\n", "", {}, "EmptyTrace.csv"},
        BadInput{"AllZeroTrace", "minute,requests\n0,0\n1,0\n", "", {}, "no requests"},
        BadInput{"MinAboveMax", "", "groups:\n  - name: web\n    min: 5\n    max: 2\n", {}, "MinAboveMax.yaml"},
        BadInput{"UnknownKey", "", std::string(kGoodGroup) + "    colour: red\n", {}, "colour: unknown key"},
        BadInput{"NegativeThreshold", "",
                 std::string(kGoodGroup) +
                     "    alarms:\n      - {name: a, threshold: 50, evaluation_periods: -2}\n",
                 {}, "evaluation_periods"},
        BadInput{"NoPriceForPool", "",
                 "groups:\n  - name: web\n    min: 1\n    max: 4\n    capacity:\n"
                 "      on_demand_percent_above_base: 0\n      spot_pools:\n"
                 "        - {instance_type: x9.huge, zone: us-east-1a}\n",
                 {}, "x9.huge"},
        BadInput{"MissingPriceFile", "", "", {"--spot-prices", "/nonexistent/prices.csv"}, "/nonexistent/prices.csv"},
        BadInput{"ZeroPeakInstances", "", "", {"--peak-instances", "0"}, "--peak-instances"},
        BadInput{"NonsenseSeed", "", "", {"--seed", "many"}, "--seed"},
        BadInput{"RebalanceFractionAboveOne", "", "", {"--rebalance-fraction", "1.5"}, "--rebalance-fraction"},
        BadInput{"RebalanceFractionNaN", "", "", {"--rebalance-fraction", "nan"},
                 "--rebalance-fraction: 'nan' is not a finite number (0 to 1)"},
        BadInput{"InterruptionScaleNaN", "", "", {"--interruption-scale", "nan"},
                 "--interruption-scale: 'nan' is not a finite number (0 to 1000)"},
        BadInput{"RebalanceLeadsCrossed", "", "", {"--rebalance-lead-min", "600", "--rebalance-lead-max", "60"},
                 "--rebalance-lead-min (600) is above --rebalance-lead-max (60)"}),
    [](const ::testing::TestParamInfo<BadInput>& i) { return std::string(i.param.name); });

TEST(SimulateCli, MissingConfigFileIsNamed) {
  const auto r = RunShoal({"simulate", "--config", "/nonexistent/x.yaml", "--trace", kJul});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/nonexistent/x.yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoal
