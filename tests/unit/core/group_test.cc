#include "core/group.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/activity.h"

namespace shoal {
namespace {

PoolSpec MakePool(std::string type, std::string zone) {
  PoolSpec p;
  p.name = type + "/" + zone;
  p.instance_type = std::move(type);
  p.zone = std::move(zone);
  return p;
}

AlarmSpec MakeAlarm(std::string name, double threshold) {
  AlarmSpec a;
  a.name = std::move(name);
  a.threshold = threshold;
  return a;
}

PolicySpec SimplePolicy(std::string name, std::string alarm, double adjustment) {
  PolicySpec p;
  p.name = std::move(name);
  p.type = PolicyType::kSimple;
  p.alarm = std::move(alarm);
  p.scaling_adjustment = adjustment;
  return p;
}

// A group that passes every check; each case below breaks one rule.
GroupSpec ValidGroup() {
  GroupSpec g;
  g.name = "web";
  g.service = "web";
  g.min = 1;
  g.max = 10;
  g.desired = 2;
  g.capacity.on_demand_base = 1;
  g.capacity.on_demand_percent_above_base = 50;
  g.capacity.spot_pools = {MakePool("m4.large", "us-east-1a"), MakePool("m5.large", "us-east-1b")};
  return g;
}

GroupSpec ValidGroupWithPolicies() {
  GroupSpec g = ValidGroup();
  g.alarms = {MakeAlarm("cpu-high", 70), MakeAlarm("cpu-low", 20)};
  g.alarms[1].comparison = Comparison::kLessThan;
  g.policies = {SimplePolicy("out", "cpu-high", 1), SimplePolicy("in", "cpu-low", -1)};
  PolicySpec tt;
  tt.name = "track";
  tt.type = PolicyType::kTargetTracking;
  tt.target_value = 50;
  g.policies.push_back(tt);
  return g;
}

TEST(GroupValidateTest, ValidGroupsPass) {
  const Status plain = Validate(ValidGroup());
  EXPECT_TRUE(plain.ok()) << plain.message();
  const Status full = Validate(ValidGroupWithPolicies());
  EXPECT_TRUE(full.ok()) << full.message();

  GroupSpec all_on_demand = ValidGroup();
  all_on_demand.capacity.on_demand_percent_above_base = 100;
  all_on_demand.capacity.spot_pools.clear();
  EXPECT_TRUE(Validate(all_on_demand).ok());

  GroupSpec edges = ValidGroup();
  edges.name = std::string(63, 'a');
  edges.min = edges.desired = 0;
  edges.max = 100000;
  edges.capacity.on_demand_percent_above_base = 0;
  edges.capacity.spot_pools[0].bid_usd_per_hour = 0;
  edges.default_cooldown = 0;
  edges.drain_timeout = 0;
  edges.health_check.grace = 0;
  edges.health_check.rise = edges.health_check.fall = 1;
  const Status s = Validate(edges);
  EXPECT_TRUE(s.ok()) << s.message();

  GroupSpec smallest_weights = ValidGroup();  // max 10: 100000 instances of weight 0.0001
  smallest_weights.capacity.on_demand_weight = 0.0001;
  smallest_weights.capacity.spot_pools[0].weight = 0.0001;
  const Status small = Validate(smallest_weights);
  EXPECT_TRUE(small.ok()) << small.message();
}

struct BadCase {
  std::string name;
  std::function<void(GroupSpec&)> mutate;
  std::vector<std::string> want;  // fragments the message must hold
};

class GroupValidateBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(GroupValidateBadTest, RejectsAndNamesTheKey) {
  const BadCase& c = GetParam();
  GroupSpec g = ValidGroupWithPolicies();
  c.mutate(g);
  const Status s = Validate(g);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("groups '" + g.name + "': ", 0), 0u) << s.message();
  for (const std::string& fragment : c.want) {
    EXPECT_NE(s.message().find(fragment), std::string::npos)
        << "message: " << s.message() << "\nmissing: " << fragment;
  }
}

using G = GroupSpec;

INSTANTIATE_TEST_SUITE_P(
    GroupRules, GroupValidateBadTest,
    ::testing::Values(
        BadCase{"EmptyName", [](G& g) { g.name.clear(); }, {"name must not be empty"}},
        BadCase{"UppercaseName", [](G& g) { g.name = "Web"; }, {"name ", "'Web'"}},
        BadCase{"UnderscoreName", [](G& g) { g.name = "web_1"; }, {"name "}},
        BadCase{"LongName", [](G& g) { g.name = std::string(64, 'a'); }, {"name ", "63"}},
        BadCase{"NegativeMin", [](G& g) { g.min = -1; }, {"min must be >= 0 (got -1)"}},
        BadCase{"MinAboveDesired", [](G& g) { g.min = 3; }, {"min (3)", "desired (2)"}},
        BadCase{"DesiredAboveMax", [](G& g) { g.desired = 11; }, {"desired (11)", "max (10)"}},
        BadCase{"MaxTooLarge", [](G& g) { g.max = 100001; }, {"max must be <= 100000 (got 100001)"}},
        BadCase{"NegativeBase", [](G& g) { g.capacity.on_demand_base = -2; },
                {"capacity.on_demand_base must be >= 0 (got -2)"}},
        BadCase{"PercentAbove100", [](G& g) { g.capacity.on_demand_percent_above_base = 101; },
                {"capacity.on_demand_percent_above_base", "(got 101)"}},
        BadCase{"PercentNegative", [](G& g) { g.capacity.on_demand_percent_above_base = -1; },
                {"capacity.on_demand_percent_above_base", "(got -1)"}},
        BadCase{"EmptyOnDemandType", [](G& g) { g.capacity.on_demand_type.clear(); },
                {"capacity.on_demand_type must not be empty"}},
        BadCase{"OnDemandWeightZero", [](G& g) { g.capacity.on_demand_weight = 0; },
                {"capacity.on_demand_weight must be > 0 (got 0)"}},
        // Found through the config fuzz target (which decides once for every
        // config it accepts): a tiny weight overflowed the on-demand launch
        // count (UB) or, for a spot pool, made the launch loop run without end.
        BadCase{"OnDemandWeightTooSmallForMax", [](G& g) { g.capacity.on_demand_weight = 1e-9; },
                {"capacity.on_demand_weight must be >= 1e-04 (got 1e-09): max (10 units) would be more than "
                 "100000 instances"}},
        BadCase{"PoolWeightTooSmallForMax", [](G& g) { g.capacity.spot_pools[1].weight = 1e-300; },
                {"capacity.spot_pools[1].weight must be >= 1e-04 (got 1e-300)"}},
        BadCase{"SpotInstancePoolsZero", [](G& g) { g.capacity.spot_instance_pools = 0; },
                {"capacity.spot_instance_pools must be >= 1 (got 0)"}},
        BadCase{"PoolWeightNegative", [](G& g) { g.capacity.spot_pools[1].weight = -1; },
                {"groups 'web': capacity.spot_pools[1].weight must be > 0 (got -1)"}},
        BadCase{"PoolWeightFraction", [](G& g) { g.capacity.spot_pools[0].weight = -0.5; },
                {"capacity.spot_pools[0].weight must be > 0 (got -0.5)"}},
        BadCase{"PoolBidNegative", [](G& g) { g.capacity.spot_pools[0].bid_usd_per_hour = -0.01; },
                {"capacity.spot_pools[0].bid_usd_per_hour must be >= 0 (got -0.01)"}},
        BadCase{"PoolNameEmpty", [](G& g) { g.capacity.spot_pools[1].name.clear(); },
                {"capacity.spot_pools[1].name must not be empty"}},
        BadCase{"PoolNameDuplicate",
                [](G& g) { g.capacity.spot_pools[1].name = g.capacity.spot_pools[0].name; },
                {"capacity.spot_pools[1].name", "'m4.large/us-east-1a'", "capacity.spot_pools[0]"}},
        BadCase{"PoolTypeEmpty", [](G& g) { g.capacity.spot_pools[0].instance_type.clear(); },
                {"capacity.spot_pools[0].instance_type must not be empty"}},
        BadCase{"PoolZoneEmpty", [](G& g) { g.capacity.spot_pools[1].zone.clear(); },
                {"capacity.spot_pools[1].zone must not be empty"}},
        BadCase{"SpotNeededButNoPools", [](G& g) { g.capacity.spot_pools.clear(); },
                {"capacity.spot_pools", "50", "add a spot pool", "to 100"}},
        BadCase{"AlarmNameDuplicate", [](G& g) { g.alarms[1].name = "cpu-high"; },
                {"alarms[1].name", "'cpu-high'", "alarms[0]"}},
        BadCase{"AlarmInvalid",
                [](G& g) {
                  g.alarms[1].evaluation_periods = 3;
                  g.alarms[1].datapoints_to_alarm = 4;
                },
                {"alarms[1]: ", "datapoints_to_alarm"}},
        BadCase{"PolicyAlarmMissing", [](G& g) { g.policies[1].alarm = "x"; },
                {"groups 'web': policies[1].alarm: no alarm named 'x' in group 'web'; alarms are: "
                 "cpu-high, cpu-low"}},
        BadCase{"PolicyAlarmMissingNoAlarms",
                [](G& g) {
                  g.alarms.clear();
                  g.policies.resize(1);
                },
                {"policies[0].alarm: no alarm named 'cpu-high'", "alarms are: (none)"}},
        BadCase{"StepPolicyAlarmMissing",
                [](G& g) {
                  g.policies[0].type = PolicyType::kStep;
                  g.policies[0].alarm = "nope";
                },
                {"policies[0].alarm: no alarm named 'nope'"}},
        BadCase{"PolicyNameDuplicate", [](G& g) { g.policies[2].name = "out"; },
                {"policies[2].name", "'out'", "policies[0]"}},
        BadCase{"PolicyInvalid", [](G& g) { g.policies[2].target_value = -5; },
                {"policies[2]: ", "target_value"}},
        BadCase{"BumpGroupMissing", [](G& g) { g.spot.on_notice = NoticeAction::kBumpGroup; },
                {"spot.bump_group"}},
        BadCase{"NegativeCooldown", [](G& g) { g.default_cooldown = -1; },
                {"default_cooldown must be >= 0 (got -1)"}},
        BadCase{"NegativeDrainTimeout", [](G& g) { g.drain_timeout = -30; },
                {"drain_timeout must be >= 0 (got -30)"}},
        BadCase{"HealthIntervalZero", [](G& g) { g.health_check.interval = 0; },
                {"health_check.interval must be > 0 (got 0)"}},
        BadCase{"HealthRiseZero", [](G& g) { g.health_check.rise = 0; },
                {"health_check.rise must be >= 1 (got 0)"}},
        BadCase{"HealthFallZero", [](G& g) { g.health_check.fall = 0; },
                {"health_check.fall must be >= 1 (got 0)"}},
        BadCase{"HealthGraceNegative", [](G& g) { g.health_check.grace = -1; },
                {"health_check.grace must be >= 0 (got -1)"}},
        BadCase{"NegativeAvoidAfterInterruption",
                [](G& g) { g.spot.avoid_pool_after_interruption = -1; },
                {"spot.avoid_pool_after_interruption must be >= 0"}},
        BadCase{"NegativeRebalanceBudget", [](G& g) { g.spot.rebalance_max_in_flight = -1; },
                {"spot.rebalance_max_in_flight must be >= 0"}}),
    [](const auto& info) { return info.param.name; });

TEST(GroupValidateTest, BumpGroupWithTargetPasses) {
  GroupSpec g = ValidGroup();
  g.spot.on_notice = NoticeAction::kBumpGroup;
  g.spot.bump_group = "web-on-demand";
  EXPECT_TRUE(Validate(g).ok());
}

TEST(GroupStrategyTest, NamesRoundTrip) {
  const std::vector<std::pair<AllocationStrategy, std::string_view>> cases = {
      {AllocationStrategy::kLowestPrice, "lowest-price"},
      {AllocationStrategy::kCapacityOptimized, "capacity-optimized"},
      {AllocationStrategy::kPriceCapacityOptimized, "price-capacity-optimized"},
  };
  for (const auto& [strategy, name] : cases) {
    EXPECT_EQ(ToString(strategy), name);
    AllocationStrategy parsed = strategy == AllocationStrategy::kLowestPrice
                                    ? AllocationStrategy::kCapacityOptimized
                                    : AllocationStrategy::kLowestPrice;
    ASSERT_TRUE(ParseAllocationStrategy(name, &parsed)) << name;
    EXPECT_EQ(parsed, strategy);
  }
  AllocationStrategy out = AllocationStrategy::kCapacityOptimized;
  for (std::string_view bad : {"", "lowestPrice", "capacity_optimized", "cheapest"}) {
    EXPECT_FALSE(ParseAllocationStrategy(bad, &out)) << bad;
    EXPECT_EQ(out, AllocationStrategy::kCapacityOptimized);
  }
}

TEST(GroupActivityKindTest, Names) {
  const std::vector<std::pair<ActivityKind, std::string_view>> cases = {
      {ActivityKind::kScaleOut, "scale-out"},
      {ActivityKind::kScaleIn, "scale-in"},
      {ActivityKind::kSetDesired, "set-desired"},
      {ActivityKind::kSpotNotice, "spot-notice"},
      {ActivityKind::kReplace, "replace"},
      {ActivityKind::kFallbackOnDemand, "fallback-on-demand"},
      {ActivityKind::kRebalance, "rebalance"},
      {ActivityKind::kUnhealthy, "unhealthy"},
      {ActivityKind::kLoadBalancer, "load-balancer"},
  };
  for (const auto& [kind, name] : cases) EXPECT_EQ(ToString(kind), name);
}

}  // namespace
}  // namespace shoal
