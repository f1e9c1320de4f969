// Tests of the YAML config adapter: the shipped examples, defaults, durations,
// and that every kind of mistake gets a message naming the file, line and key.
#include "adapters/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "adapters/config/duration.h"
#include "adapters/config/field_names.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kSourceDir = SHOAL_SOURCE_DIR;

// The smallest valid config; cases below add one key to it.
constexpr const char* kMinimal =
    "groups:\n"
    "  - name: web\n"
    "    min: 1\n"
    "    max: 3\n";

Config MustParse(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : Config{};
}

std::string ErrorOf(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, "test.yaml");
  EXPECT_FALSE(r.ok()) << "parsed without error:\n" << yaml;
  return r.ok() ? "" : r.status().message();
}

// ---------------------------------------------------------------- examples

TEST(ConfigExamplesTest, SeedParsesAndModelsTheSeedsTwoGroups) {
  Result<Config> r = LoadConfigFile(kSourceDir + "/examples/seed.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->groups.size(), 2u);

  const GroupSpec& spot = r->groups[r->FindGroup("appengine-spot")];
  EXPECT_EQ(spot.service, "obelix-appengine");
  EXPECT_EQ(spot.min, 1);
  EXPECT_EQ(spot.desired, 1);
  EXPECT_EQ(spot.max, 60);
  EXPECT_EQ(spot.capacity.on_demand_base, 0);
  EXPECT_EQ(spot.capacity.on_demand_percent_above_base, 0);
  EXPECT_EQ(spot.capacity.strategy, AllocationStrategy::kLowestPrice);
  ASSERT_EQ(spot.capacity.spot_pools.size(), 1u);
  EXPECT_EQ(spot.capacity.spot_pools[0].name, "m4.large/us-east-1a");
  EXPECT_DOUBLE_EQ(spot.capacity.spot_pools[0].bid_usd_per_hour, 0.12);
  ASSERT_EQ(spot.alarms.size(), 3u);
  EXPECT_EQ(spot.alarms[0].period_seconds, 300);
  EXPECT_EQ(spot.alarms[0].threshold, 50);
  EXPECT_EQ(spot.alarms[1].comparison, Comparison::kGreaterThan);
  EXPECT_EQ(spot.alarms[2].evaluation_periods, 10);
  EXPECT_EQ(spot.alarms[2].datapoints_to_alarm, 10);
  ASSERT_EQ(spot.policies.size(), 3u);
  // Step policies with a warm-up scale out, simple policies only scale in.
  for (int i : {0, 1}) {
    EXPECT_EQ(spot.policies[i].type, PolicyType::kStep) << i;
    EXPECT_EQ(spot.policies[i].warmup, 300) << i;
  }
  ASSERT_EQ(spot.policies[1].steps.size(), 1u);
  EXPECT_EQ(spot.policies[1].steps[0].adjustment, 2);
  EXPECT_EQ(spot.policies[2].type, PolicyType::kSimple);
  EXPECT_EQ(spot.policies[2].adjustment_type, AdjustmentType::kPercentChangeInCapacity);
  EXPECT_EQ(spot.policies[2].scaling_adjustment, -10);
  // On a notice: the on-demand group up by one, nothing else.
  EXPECT_EQ(spot.spot.on_notice, NoticeAction::kBumpGroupOnly);
  EXPECT_EQ(spot.spot.bump_group, "appengine-ondemand");
  // None of Shoal's own defaults applies silently.
  EXPECT_EQ(spot.spot.avoid_pool_after_interruption, 0);
  EXPECT_EQ(spot.spot.avoid_pool_after_capacity_error, 0);
  EXPECT_FALSE(spot.spot.fallback_to_on_demand);
  EXPECT_FALSE(spot.spot.rebalance_to_spot);
  EXPECT_FALSE(spot.spot.capacity_rebalance);
  EXPECT_EQ(spot.drain_timeout, 300);
  EXPECT_EQ(spot.default_cooldown, 300);

  const GroupSpec& od = r->groups[r->FindGroup("appengine-ondemand")];
  EXPECT_EQ(od.service, "obelix-appengine");
  EXPECT_EQ(od.capacity.on_demand_base, 1);
  EXPECT_EQ(od.capacity.on_demand_percent_above_base, 100);
  EXPECT_GT(od.alarms[0].threshold, spot.alarms[0].threshold);
  EXPECT_EQ(od.policies[0].type, PolicyType::kStep);
  EXPECT_EQ(od.policies[1].type, PolicyType::kSimple);
}

TEST(ConfigExamplesTest, DefaultParsesWithPredictiveTrackingAndSurgePolicies) {
  Result<Config> r = LoadConfigFile(kSourceDir + "/examples/default.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->groups.size(), 1u);
  const GroupSpec& g = r->groups[0];
  EXPECT_EQ(g.name, "web");
  EXPECT_EQ(g.min, 2);
  EXPECT_EQ(g.max, 120);
  EXPECT_EQ(g.capacity.on_demand_base, 0);
  EXPECT_EQ(g.capacity.strategy, AllocationStrategy::kPriceCapacityOptimized);
  EXPECT_EQ(g.capacity.spot_pools.size(), 10u);
  ASSERT_EQ(g.policies.size(), 3u);
  const PolicySpec& seasonal = g.policies[0];
  EXPECT_EQ(seasonal.type, PolicyType::kPredictive);
  EXPECT_EQ(seasonal.target_value, 65);
  EXPECT_EQ(seasonal.lag_days, (std::vector<int>{1, 7}));
  EXPECT_EQ(seasonal.lag_choice_minutes, 1440);
  EXPECT_EQ(seasonal.horizon_minutes, 10);
  EXPECT_TRUE(seasonal.learn_periods);
  EXPECT_EQ(seasonal.repetitions, 2);
  EXPECT_DOUBLE_EQ(seasonal.headroom_quantile, 0.9);
  const PolicySpec& track = g.policies[1];
  EXPECT_EQ(track.type, PolicyType::kTargetTracking);
  EXPECT_EQ(track.target_value, 65);
  EXPECT_EQ(track.warmup, 180);
  EXPECT_EQ(track.shape.scale_out_evaluation_periods, 2);
  EXPECT_EQ(track.shape.scale_in_datapoints, 30);
  EXPECT_DOUBLE_EQ(track.shape.scale_in_ratio, 0.7);
  const PolicySpec& surge = g.policies[2];
  ASSERT_EQ(surge.steps.size(), 3u);
  EXPECT_EQ(surge.steps[0].lower_bound, 0.0);
  EXPECT_EQ(surge.steps[0].upper_bound, 10.0);
  EXPECT_EQ(surge.steps[2].upper_bound, std::nullopt);
  EXPECT_EQ(surge.min_adjustment_magnitude, 2);
  EXPECT_EQ(g.spot.on_notice, NoticeAction::kReplace);
  EXPECT_TRUE(g.spot.fallback_to_on_demand);
  EXPECT_TRUE(g.spot.rebalance_to_spot);
  EXPECT_TRUE(g.spot.capacity_rebalance);
}

TEST(ConfigPredictiveTest, ReadsLearnedPeriodsAndHeadroomAndRejectsBadOnes) {
  const std::string base =
      "groups:\n  - name: web\n    min: 1\n    max: 3\n    policies:\n"
      "      - name: seasonal\n        type: predictive\n        target: 60\n";
  Result<Config> ok = ParseConfig(base +
                                      "        learn_periods: true\n        max_period: 2d\n"
                                      "        repetitions: 4\n        short_period_repetitions: 2\n"
                                      "        min_correlation: 0.4\n"
                                      "        headroom_quantile: 0.9999\n",
                                  "p.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  const PolicySpec& p = ok->groups[0].policies[0];
  EXPECT_TRUE(p.learn_periods);
  EXPECT_EQ(p.max_period_minutes, 2 * 1440);
  EXPECT_EQ(p.repetitions, 4);
  EXPECT_EQ(p.short_period_repetitions, 2);
  EXPECT_DOUBLE_EQ(p.min_correlation, 0.4);
  EXPECT_DOUBLE_EQ(p.headroom_quantile, 0.9999);
  Result<Config> plain = ParseConfig(base, "p.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->groups[0].policies[0].learn_periods) << "off unless asked";
  EXPECT_EQ(plain->groups[0].policies[0].short_period_repetitions, 0) << "as repetitions unless asked";
  EXPECT_EQ(plain->groups[0].policies[0].headroom_quantile, 0) << "no headroom unless asked";
  const std::string on = "        learn_periods: true\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"        learn_periods: maybe\n", "learn_periods: "},
      {"        max_period: 1d\n", "p.yaml:9: groups[0].policies[0].max_period: only used when learn_periods is true"},
      {"        repetitions: 2\n", "repetitions: only used when learn_periods is true"},
      {"        min_correlation: 0.5\n", "min_correlation: only used when learn_periods is true"},
      {on + "        max_period: 5m\n", "max_period: must be a whole number of minutes between 10m and 14d"},
      {on + "        max_period: 90s\n", "max_period: must be a whole number of minutes"},
      {on + "        max_period: 15d\n", "max_period: must be a whole number of minutes between 10m and 14d"},
      {on + "        repetitions: 0\n", "repetitions: must be"},
      {on + "        repetitions: 21\n", "repetitions: must be"},
      {"        short_period_repetitions: 1\n", "short_period_repetitions: only used when learn_periods is true"},
      {on + "        short_period_repetitions: 0\n", "short_period_repetitions: must be"},
      {on + "        short_period_repetitions: 21\n", "short_period_repetitions: must be"},
      {on + "        max_period: 14d\n        repetitions: 3\n", "at most 42 days of history"},
      {on + "        min_correlation: 0\n", "min_correlation: must be above 0 and below 1, got 0"},
      {on + "        min_correlation: 1.5\n", "min_correlation: must be above 0 and below 1, got 1.5"},
      {"        headroom_quantile: 1\n", "headroom_quantile: must be at least 0 and below 1"},
      {"        headroom_quantile: -0.5\n", "headroom_quantile: must be at least 0 and below 1"},
      {"        headroom_quantile: lots\n", "headroom_quantile: "},
  };
  for (const auto& [extra, want] : bad) {
    Result<Config> r = ParseConfig(base + extra, "p.yaml");
    ASSERT_FALSE(r.ok()) << extra;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << extra << " -> " << r.status().message();
  }
  const std::string tracking =
      "groups:\n  - name: web\n    min: 1\n    max: 3\n    policies:\n"
      "      - {name: t, type: target-tracking, target: 60, headroom_quantile: 0.9}\n";
  Result<Config> r = ParseConfig(tracking, "p.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not used by a target-tracking policy"), std::string::npos);
}

TEST(ConfigPredictiveTest, ReadsLagsAndHorizonAndRejectsBadOnes) {
  const std::string base =
      "groups:\n  - name: web\n    min: 1\n    max: 3\n    policies:\n"
      "      - name: seasonal\n        type: predictive\n        target: 60\n";
  Result<Config> ok = ParseConfig(base + "        lags: [1, 7]\n        horizon: 30m\n", "p.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->groups[0].policies[0].lag_days, (std::vector<int>{1, 7}));
  EXPECT_EQ(ok->groups[0].policies[0].horizon_minutes, 30);
  EXPECT_EQ(ok->groups[0].policies[0].lag_choice_minutes, 0) << "every lag, the busiest, unless asked";
  Result<Config> choosing = ParseConfig(base + "        lags: [1, 7]\n        lag_choice_window: 1d\n", "p.yaml");
  ASSERT_TRUE(choosing.ok()) << choosing.status().message();
  EXPECT_EQ(choosing->groups[0].policies[0].lag_choice_minutes, 1440);
  EXPECT_EQ(ok->groups[0].policies[0].level_window_minutes, 0) << "forecasts never scaled unless asked";
  Result<Config> leveled = ParseConfig(base + "        level_window: 1h\n        level_ratio: 0.4\n", "p.yaml");
  ASSERT_TRUE(leveled.ok()) << leveled.status().message();
  EXPECT_EQ(leveled->groups[0].policies[0].level_window_minutes, 60);
  EXPECT_DOUBLE_EQ(leveled->groups[0].policies[0].level_ratio, 0.4);
  Result<Config> default_ratio = ParseConfig(base + "        level_window: 30m\n", "p.yaml");
  ASSERT_TRUE(default_ratio.ok()) << default_ratio.status().message();
  EXPECT_DOUBLE_EQ(default_ratio->groups[0].policies[0].level_ratio, 0.8);
  EXPECT_DOUBLE_EQ(default_ratio->groups[0].policies[0].level_rise, 0) << "never scaled up unless asked";
  Result<Config> rising = ParseConfig(base + "        level_window: 1h\n        level_rise: 1.5\n", "p.yaml");
  ASSERT_TRUE(rising.ok()) << rising.status().message();
  EXPECT_DOUBLE_EQ(rising->groups[0].policies[0].level_rise, 1.5);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"        level_window: 5m\n",
       "level_window: must be 0 (never scale a forecast) or a whole number of minutes between 10m and 24h, got 300s"},
      {"        level_window: 25h\n", "level_window: must be 0"},
      {"        level_window: 601s\n", "level_window: must be 0"},
      {"        level_ratio: 0.8\n", "level_ratio: only used with a level_window (e.g. level_window: 1h)"},
      {"        level_window: 1h\n        level_ratio: 0\n", "level_ratio: must be above 0 and at most 1"},
      {"        level_window: 1h\n        level_ratio: 1.5\n", "level_ratio: must be above 0 and at most 1"},
      {"        level_window: 1h\n        level_ratio: .nan\n", "level_ratio"},
      {"        level_rise: 1.5\n", "level_rise: only used with a level_window (e.g. level_window: 1h)"},
      {"        level_window: 1h\n        level_rise: 1\n",
       "level_rise: must be 0 (never scale a forecast up) or above 1 and at most 10 (1.5: above 150% of what its "
       "source saw, a forecast is scaled up in proportion), got 1"},
      {"        level_window: 1h\n        level_rise: 11\n", "level_rise: must be 0"},
      {"        level_window: 1h\n        level_rise: .nan\n", "level_rise"},
      {"        level_window: 1h\n        level_rise: fast\n", "level_rise: expected a number"},
      {"        lags: []\n", "lag_days is empty and neither learn_periods nor headroom_quantile is set"},
      {"        lags: {a: 1}\n", "p.yaml:9: groups[0].policies[0].lags: expected a list of integers"},
      {"        lags: [1, x]\n", "lags: [1]: expected an integer, got \"x\""},
      {"        lags: [0]\n", "lags: [0]: must be between 1 and 28, got 0"},
      {"        lags: 1\n", "lags: expected a list of integers"},
      {"        horizon: 90s\n", "horizon: must be a whole number of minutes"},
      {"        lags: [1, 7]\n        lag_choice_window: 30m\n",
       "lag_choice_window: must be 0 (every lag, the busiest) or a whole number of minutes between 1h and 7d, "
       "got 1800s"},
      {"        lags: [1, 7]\n        lag_choice_window: 8d\n", "lag_choice_window: must be 0"},
      {"        lags: [1, 7]\n        lag_choice_window: 3601s\n", "lag_choice_window: must be 0"},
      {"        lags: [1]\n        lag_choice_window: 1d\n",
       "lag_choice_window: chooses one of the lags: list at least two in lags (e.g. [1, 7])"},
      {"        alarm: x\n", "not used by a predictive policy"},
  };
  for (const auto& [extra, want] : bad) {
    Result<Config> r = ParseConfig(base + extra, "p.yaml");
    ASSERT_FALSE(r.ok()) << extra;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
  // No fixed lag at all: only what the group's own load shows repeating.
  Result<Config> learned_only =
      ParseConfig(base + "        lags: []\n        learn_periods: true\n        repetitions: 2\n", "p.yaml");
  ASSERT_TRUE(learned_only.ok()) << learned_only.status().message();
  EXPECT_TRUE(learned_only->groups[0].policies[0].lag_days.empty());
  Result<Config> too_hot = ParseConfig(
      "groups:\n  - name: web\n    min: 1\n    max: 3\n    policies:\n"
      "      - {name: s, type: predictive, target: 120}\n", "p.yaml");
  ASSERT_FALSE(too_hot.ok());
  EXPECT_NE(too_hot.status().message().find("target: must be at most 100"), std::string::npos)
      << too_hot.status().message();
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaultsTest, OmittedKeysTakeTheStructDefaults) {
  Config c = MustParse(kMinimal);
  ASSERT_EQ(c.source, "test.yaml");
  ASSERT_EQ(c.groups.size(), 1u);
  const GroupSpec& g = c.groups[0];
  const GroupSpec defaults;
  EXPECT_EQ(g.service, "web");  // defaults to the name
  EXPECT_EQ(g.desired, 1);      // defaults to min
  EXPECT_EQ(g.default_cooldown, defaults.default_cooldown);
  EXPECT_EQ(g.drain_timeout, defaults.drain_timeout);
  EXPECT_EQ(g.capacity.on_demand_percent_above_base,
            defaults.capacity.on_demand_percent_above_base);
  EXPECT_EQ(g.capacity.on_demand_type, defaults.capacity.on_demand_type);
  EXPECT_EQ(g.capacity.strategy, defaults.capacity.strategy);
  EXPECT_EQ(g.spot.on_notice, defaults.spot.on_notice);
  EXPECT_EQ(g.spot.avoid_pool_after_interruption, defaults.spot.avoid_pool_after_interruption);
  EXPECT_EQ(g.spot.rebalance_max_in_flight, defaults.spot.rebalance_max_in_flight);
  EXPECT_TRUE(g.spot.capacity_rebalance);
  EXPECT_EQ(g.health_check.path, defaults.health_check.path);
  EXPECT_EQ(g.health_check.grace, defaults.health_check.grace);
  EXPECT_TRUE(g.alarms.empty());
  EXPECT_TRUE(g.policies.empty());
}

TEST(ConfigDefaultsTest, PoolNameAlarmDatapointsAndPolicyCooldownDefault) {
  Config c = MustParse(std::string(kMinimal) +
                       "    capacity:\n"
                       "      on_demand_percent_above_base: 0\n"
                       "      spot_pools:\n"
                       "        - {instance_type: m5.large, zone: us-east-1b}\n"
                       "    alarms:\n"
                       "      - {name: hot, threshold: 60, evaluation_periods: 3}\n"
                       "    policies:\n"
                       "      - {name: out, alarm: hot, adjustment: 1}\n");
  const GroupSpec& g = c.groups[0];
  EXPECT_EQ(g.capacity.spot_pools[0].name, "m5.large/us-east-1b");
  EXPECT_EQ(g.capacity.spot_pools[0].weight, 1.0);
  EXPECT_EQ(g.alarms[0].datapoints_to_alarm, 3);  // CloudWatch: M defaults to N
  EXPECT_EQ(g.alarms[0].period_seconds, 60);
  EXPECT_EQ(g.policies[0].type, PolicyType::kSimple);
  EXPECT_EQ(g.policies[0].cooldown, std::nullopt);  // the group's default applies
}

TEST(ConfigDefaultsTest, StepBoundsLeftOutNullOrInfiniteAreUnbounded) {
  Config c = MustParse(std::string(kMinimal) +
                       "    alarms: [{name: hot, threshold: 60}]\n"
                       "    policies:\n"
                       "      - name: out\n"
                       "        type: step\n"
                       "        alarm: hot\n"
                       "        steps:\n"
                       "          - {lower: -.inf, upper: 10, adjustment: 1}\n"
                       "          - {lower: 10, upper: 20, adjustment: 2}\n"
                       "          - {lower: 20, upper: ~, adjustment: 3}\n");
  const std::vector<StepAdjustment>& steps = c.groups[0].policies[0].steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].lower_bound, std::nullopt);
  EXPECT_EQ(steps[1].lower_bound, 10.0);
  EXPECT_EQ(steps[2].upper_bound, std::nullopt);
}

TEST(ConfigDefaultsTest, BooleansAcceptYamlSpellings) {
  Config c = MustParse(std::string(kMinimal) +
                       "    spot: {rebalance_to_spot: no, fallback_to_on_demand: False}\n");
  EXPECT_FALSE(c.groups[0].spot.rebalance_to_spot);
  EXPECT_FALSE(c.groups[0].spot.fallback_to_on_demand);
}

TEST(ConfigDefaultsTest, FindGroupReturnsIndexOrMinusOne) {
  Config c = MustParse(
      "groups:\n"
      "  - {name: a, min: 0, max: 1}\n"
      "  - {name: b, min: 0, max: 1}\n");
  EXPECT_EQ(c.FindGroup("a"), 0);
  EXPECT_EQ(c.FindGroup("b"), 1);
  EXPECT_EQ(c.FindGroup("c"), -1);
}

// ---------------------------------------------------------------- durations

struct DurationCase {
  const char* text;
  std::optional<Seconds> seconds;
};

class ConfigDurationTest : public ::testing::TestWithParam<DurationCase> {};

TEST_P(ConfigDurationTest, Parses) {
  EXPECT_EQ(config_internal::ParseDuration(GetParam().text), GetParam().seconds)
      << "\"" << GetParam().text << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    ConfigForms, ConfigDurationTest,
    ::testing::Values(DurationCase{"0", 0}, DurationCase{"300", 300}, DurationCase{"300s", 300},
                      DurationCase{"5m", 300}, DurationCase{"2h", 7200},
                      DurationCase{"1h30m", 5400}, DurationCase{"1m30s", 90},
                      DurationCase{"", std::nullopt}, DurationCase{"5x", std::nullopt},
                      DurationCase{"m", std::nullopt}, DurationCase{"1.5m", std::nullopt},
                      DurationCase{"-5", std::nullopt}, DurationCase{"5 m", std::nullopt},
                      DurationCase{"1m30", std::nullopt},
                      DurationCase{"99999999999999999999h", std::nullopt}));

TEST(ConfigDurationKeysTest, IntegersAndUnitStringsBothWork) {
  Config c = MustParse(std::string(kMinimal) +
                       "    default_cooldown: 90\n"
                       "    drain_timeout: 2m\n"
                       "    health_check: {interval: 10s, grace: 1h}\n"
                       "    spot: {avoid_pool_after_interruption: \"45m\"}\n");
  const GroupSpec& g = c.groups[0];
  EXPECT_EQ(g.default_cooldown, 90);
  EXPECT_EQ(g.drain_timeout, 120);
  EXPECT_EQ(g.health_check.interval, 10);
  EXPECT_EQ(g.health_check.grace, 3600);
  EXPECT_EQ(g.spot.avoid_pool_after_interruption, 2700);
}

// ---------------------------------------------------------------- errors

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::string prefix;                 // the message starts with this
  std::vector<std::string> contains;  // and holds each of these
};

std::string Group(const std::string& extra) { return std::string(kMinimal) + extra; }

std::vector<ErrorCase> ErrorCases() {
  return {
      // Unknown keys, at several depths, list what is allowed.
      {"UnknownTopLevelKey", std::string(kMinimal) + "extra: 1\n", "test.yaml:5: extra: ",
       {"unknown key; allowed: groups"}},
      {"UnknownGroupKey", Group("    colour: red\n"), "test.yaml:5: groups[0].colour: ",
       {"unknown key; allowed: name, service, min, max, desired"}},
      {"UnknownCapacityKey", Group("    capacity:\n      spot_pool: []\n"),
       "test.yaml:6: groups[0].capacity.spot_pool: ",
       {"unknown key; allowed: on_demand_base, on_demand_percent_above_base", "spot_pools"}},
      {"UnknownStepKey",
       Group("    alarms: [{name: hot, threshold: 1}]\n"
             "    policies:\n"
             "      - name: out\n"
             "        type: step\n"
             "        alarm: hot\n"
             "        steps:\n"
             "          - {lowr: 0, adjustment: 1}\n"),
       "test.yaml:11: groups[0].policies[0].steps[0].lowr: ",
       {"unknown key; allowed: lower, upper, adjustment"}},
      {"UnknownAlarmShapeKey",
       Group("    policies:\n"
             "      - name: t\n"
             "        type: target-tracking\n"
             "        target: 50\n"
             "        alarm_shape: {scale_in: {periods: 3}}\n"),
       "test.yaml:9: groups[0].policies[0].alarm_shape.scale_in.periods: ",
       {"allowed: evaluation_periods, datapoints, ratio"}},
      {"KeyGivenTwice", Group("    min: 2\n"), "test.yaml:5: groups[0].min: ",
       {"key given twice"}},
      {"KeyOfAnotherPolicyType",
       Group("    alarms: [{name: hot, threshold: 1}]\n"
             "    policies:\n"
             "      - {name: out, type: step, alarm: hot, target: 5, steps: [{adjustment: 1}]}\n"),
       "test.yaml:7: groups[0].policies[0].target: ",
       {"not used by a step policy", "it takes: alarm"}},
      // Wrong types.
      {"IntegerExpected", "groups:\n  - name: web\n    min: abc\n    max: 3\n",
       "test.yaml:3: groups[0].min: ", {"expected an integer, got \"abc\""}},
      {"FractionIsNotAnInteger", Group("    desired: 1.5\n"), "test.yaml:5: groups[0].desired: ",
       {"expected an integer, got \"1.5\""}},
      {"NumberExpected", Group("    alarms: [{name: hot, threshold: high}]\n"),
       "test.yaml:5: groups[0].alarms[0].threshold: ", {"expected a number, got \"high\""}},
      {"BoolExpected", Group("    spot: {rebalance_to_spot: maybe}\n"),
       "test.yaml:5: groups[0].spot.rebalance_to_spot: ", {"expected true or false"}},
      {"MappingExpected", Group("    capacity: 5\n"), "test.yaml:5: groups[0].capacity: ",
       {"expected a mapping, got \"5\""}},
      {"ListExpected", Group("    alarms: {name: hot}\n"), "test.yaml:5: groups[0].alarms: ",
       {"expected a list, got a mapping"}},
      {"ValueMissing", "groups:\n  - name: web\n    min:\n    max: 3\n",
       "test.yaml:3: groups[0].min: ", {"expected an integer, got nothing"}},
      {"EmptyName", "groups:\n  - name: \"\"\n    min: 1\n    max: 3\n",
       "test.yaml:2: groups[0].name: ", {"must not be empty"}},
      {"TopLevelNotAMapping", "- groups\n", "test.yaml:1: ", {"expected a mapping, got a list"}},
      // Out of range.
      {"NegativeCount", "groups:\n  - name: web\n    min: -1\n    max: 3\n",
       "test.yaml:3: groups[0].min: ", {"must not be negative, got -1"}},
      {"ZeroEvaluationPeriods", Group("    alarms: [{name: hot, threshold: 1, evaluation_periods: 0}]\n"),
       "test.yaml:5: groups[0].alarms[0].evaluation_periods: ", {"must be at least 1, got 0"}},
      {"PercentAbove100", Group("    capacity: {on_demand_percent_above_base: 150}\n"),
       "test.yaml:5: groups[0].capacity.on_demand_percent_above_base: ",
       {"must be at most 100, got 150"}},
      {"NegativeBid",
       Group("    capacity:\n      spot_pools: [{instance_type: m4.large, zone: z, bid: -1}]\n"),
       "test.yaml:6: groups[0].capacity.spot_pools[0].bid: ", {"must not be negative"}},
      {"PeriodNotWholeMinutes", Group("    alarms: [{name: hot, threshold: 1, period: 90s}]\n"),
       "test.yaml:5: groups[0].alarms[0].period: ", {"multiple of 60"}},
      {"DatapointsAboveEvaluationPeriods",
       Group("    alarms: [{name: hot, threshold: 1, evaluation_periods: 2, datapoints_to_alarm: 3}]\n"),
       "test.yaml:5: groups[0].alarms[0].datapoints_to_alarm: ",
       {"(3) must be at most evaluation_periods (2)"}},
      {"LowerBoundPlusInfinity",
       Group("    alarms: [{name: hot, threshold: 1}]\n"
             "    policies: [{name: o, type: step, alarm: hot, steps: [{lower: .inf, adjustment: 1}]}]\n"),
       "test.yaml:6: groups[0].policies[0].steps[0].lower: ", {"a lower bound cannot be .inf"}},
      // Enums list the allowed values.
      {"BadPolicyType", Group("    policies: [{name: p, type: stepp}]\n"),
       "test.yaml:5: groups[0].policies[0].type: ",
       {"bad value \"stepp\"; allowed: simple, step, target-tracking"}},
      {"BadAllocationStrategy", Group("    capacity: {allocation_strategy: cheapest}\n"),
       "test.yaml:5: groups[0].capacity.allocation_strategy: ",
       {"allowed: lowest-price, capacity-optimized, price-capacity-optimized"}},
      {"BadNoticeAction", Group("    spot: {on_notice: panic}\n"),
       "test.yaml:5: groups[0].spot.on_notice: ", {"allowed: replace, bump-group, bump-group-only, none"}},
      {"BadMetric", Group("    alarms: [{name: hot, threshold: 1, metric: memory}]\n"),
       "test.yaml:5: groups[0].alarms[0].metric: ",
       {"allowed: cpu_utilization, request_count_per_target"}},
      // Missing required keys.
      {"MissingName", "groups:\n  - min: 1\n    max: 3\n", "test.yaml:2: groups[0].name: ",
       {"missing required key"}},
      {"MissingMax", "groups:\n  - name: web\n    min: 1\n", "test.yaml:2: groups[0].max: ",
       {"missing required key"}},
      {"MissingThreshold", Group("    alarms:\n      - name: hot\n"),
       "test.yaml:6: groups[0].alarms[0].threshold: ", {"missing required key"}},
      {"MissingGroups", "other: 1\n", "test.yaml:1: other: ", {"unknown key"}},
      {"EmptyGroups", "groups: []\n", "test.yaml:1: groups: ", {"must list at least one group"}},
      // Bad durations.
      {"BadDuration", Group("    default_cooldown: 5x\n"),
       "test.yaml:5: groups[0].default_cooldown: ", {"expected a duration", "got \"5x\""}},
      {"NegativeDuration", Group("    drain_timeout: -5s\n"), "test.yaml:5: groups[0].drain_timeout: ",
       {"must not be negative"}},
      // Across groups and across keys.
      {"DuplicateGroupNames",
       "groups:\n  - {name: web, min: 0, max: 1}\n  - {name: web, min: 0, max: 1}\n",
       "test.yaml:3: groups[1].name: ", {"duplicate group name \"web\" (also groups[0])"}},
      {"PolicyAlarmDoesNotExist", Group("    policies: [{name: out, alarm: nope, adjustment: 1}]\n"),
       "test.yaml:2: ", {"no alarm named 'nope'"}},
      {"InvalidGroupFromValidate", Group("    desired: 5\n"), "test.yaml:2: ",
       {"desired", "must be <= max"}},
      // The core's messages come out in the config's key names.
      {"ZeroSimpleAdjustment",
       Group("    alarms: [{name: hot, threshold: 1}]\n"
             "    policies: [{name: out, alarm: hot, adjustment: 0}]\n"),
       "test.yaml:2: ", {"policies[0]: adjustment must not be 0"}},
      {"StepsWithAGap",
       Group("    alarms: [{name: hot, threshold: 1}]\n"
             "    policies:\n"
             "      - name: out\n"
             "        type: step\n"
             "        alarm: hot\n"
             "        steps: [{upper: 10, adjustment: 1}, {lower: 20, adjustment: 2}]\n"),
       "test.yaml:2: ", {"steps[1].lower (20) must equal steps[0].upper (10)"}},
      {"CpuTargetAbove100", Group("    policies: [{name: t, type: target-tracking, target: 150}]\n"),
       "test.yaml:2: ", {"target (150) must be <= 100"}},
      {"BumpGroupUnknown",
       Group("    spot: {on_notice: bump-group, bump_group: ghost}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"no group named \"ghost\""}},
      {"BumpGroupOfAnotherService",
       "groups:\n"
       "  - {name: a, service: s1, min: 0, max: 1, spot: {on_notice: bump-group, bump_group: b}}\n"
       "  - {name: b, service: s2, min: 0, max: 1}\n",
       "test.yaml:2: groups[0].spot.bump_group: ", {"serves \"s2\"", "\"s1\""}},
      {"BumpGroupItself", Group("    spot: {on_notice: bump-group, bump_group: web}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"must name another group"}},
      {"BumpGroupMissing", Group("    spot: {on_notice: bump-group}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"missing required key"}},
      {"BumpGroupOnlyMissing", Group("    spot: {on_notice: bump-group-only}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"missing required key"}},
      {"BumpGroupOnlyItself", Group("    spot: {on_notice: bump-group-only, bump_group: web}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"must name another group"}},
      {"BumpGroupWithNone", Group("    spot: {on_notice: none, bump_group: web-od}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"only used when on_notice is bump-group"}},
      {"BumpGroupWithoutBumpGroupAction", Group("    spot: {bump_group: web}\n"),
       "test.yaml:5: groups[0].spot.bump_group: ", {"only used when on_notice is bump-group"}},
      // Not YAML, or nothing at all.
      {"EmptyFile", "", "test.yaml: ", {"the file is empty"}},
      {"OnlyComments", "# nothing here\n", "test.yaml: ", {"the file is empty"}},
      {"YamlSyntaxError", "groups:\n  - name: [web\n    min: 1\n", "test.yaml:", {"YAML syntax error"}},
  };
}

// Failures print the case's name, not its bytes.
void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, NamesFileLineAndKey) {
  const ErrorCase& c = GetParam();
  std::string message = ErrorOf(c.yaml);
  EXPECT_THAT(message, StartsWith(c.prefix));
  for (const std::string& part : c.contains) EXPECT_THAT(message, HasSubstr(part));
}

INSTANTIATE_TEST_SUITE_P(ConfigCases, ConfigErrorTest, ::testing::ValuesIn(ErrorCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigSyntaxErrorTest, ReportsLineAndColumn) {
  std::string message = ErrorOf("groups:\n  - name: web\n    min: [1\n");
  EXPECT_THAT(message, ::testing::MatchesRegex("test\\.yaml:[34]:[0-9]+: YAML syntax error: .*"));
}

TEST(ConfigFieldNamesTest, RenamesWholeIdentifiersOnly) {
  EXPECT_EQ(config_internal::WithConfigKeyNames(
                "steps[1].lower_bound (2) vs my_lower_bound; shape.scale_in_ratio"),
            "steps[1].lower (2) vs my_lower_bound; alarm_shape.scale_in.ratio");
}

// ---------------------------------------------------------------- files

TEST(ConfigLoadTest, MissingFileIsAClearError) {
  Result<Config> r = LoadConfigFile("no-such-dir/x.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(r.status().message(), "cannot read config 'no-such-dir/x.yaml': No such file or directory");
}

TEST(ConfigLoadTest, DirectoryIsAClearError) {
  Result<Config> r = LoadConfigFile(kSourceDir + "/examples");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot read config"));
  EXPECT_THAT(r.status().message(), HasSubstr("Is a directory"));
}

TEST(ConfigLoadTest, ErrorsNameThePathGiven) {
  const std::string path = kSourceDir + "/tests/data/config/bad_key.yaml";
  Result<Config> r = LoadConfigFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              StartsWith(path + ":7: groups[0].capacity.spot_pool: unknown key; allowed: "));
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(ConfigLaunchTest, ReadsTheLaunchSpecAndListenPort) {
  Result<Config> r = LoadConfigFile(std::string(SHOAL_SOURCE_DIR) + "/examples/local.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const GroupSpec& g = r->groups[0];
  EXPECT_EQ(g.listen_port, 8080);
  ASSERT_EQ(g.launch.provision.size(), 1u);
  EXPECT_EQ(g.launch.provision[0], (std::vector<std::string>{"/bin/mkdir", "-p", "{dir}/www"}));
  ASSERT_FALSE(g.launch.command.empty());
  EXPECT_EQ(g.launch.command[1], "--port");
  EXPECT_DOUBLE_EQ(g.launch.cpu_share, 0.5);
}

TEST(ConfigLaunchTest, RefusesShellStringsBadEnvAndPortClashes) {
  const std::string head = "groups:\n  - name: web\n    min: 1\n    max: 2\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {head + "    launch:\n      command: \"./web --port 1\"\n", "groups[0].launch.command: expected a non-empty list of arguments (an argv, not a shell string)"},
      {head + "    launch:\n      command: []\n", "launch.command: expected a non-empty list"},
      {head + "    launch:\n      provision: [[\"/bin/true\"], \"echo hi\"]\n", "launch.provision: [1]: expected a non-empty list"},
      {head + "    launch:\n      env: {lower: 1}\n", "\"lower\" is not an environment variable name"},
      {head + "    launch:\n      cpu_share: 0\n", "launch.cpu_share"},
      {head + "    listen_port: 70000\n", "listen_port: must be at most 65535"},
      {head + "    listen_port: 8080\n  - name: api\n    min: 1\n    max: 2\n    listen_port: 8080\n",
       "port 8080 is already the port of service \"web\""},
      {head + "    listen_port: 8080\n  - name: od\n    service: web\n    min: 1\n    max: 2\n    listen_port: 8081\n",
       "must share one listen_port"},
  };
  for (const auto& [yaml, want] : bad) {
    Result<Config> r = ParseConfig(yaml, "l.yaml");
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
  Result<Config> env = ParseConfig(head + "    launch:\n      env: {APP_MODE: fast, N_2: \"3\"}\n", "l.yaml");
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_EQ(env->groups[0].launch.env.size(), 2u);
}

}  // namespace
}  // namespace shoal
