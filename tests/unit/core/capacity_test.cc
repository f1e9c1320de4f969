#include "core/capacity.h"
#include "test_ids.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal {
namespace {

// ---------------------------------------------------------------- SplitCapacity

struct SplitCase {
  std::string name;
  int desired;
  int base;
  int percent;
  int want_on_demand;
  int want_spot;
};

class CapacitySplitTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(CapacitySplitTest, Splits) {
  const SplitCase& c = GetParam();
  const CapacitySplit s = SplitCapacity(c.desired, c.base, c.percent);
  EXPECT_EQ(s.on_demand, c.want_on_demand);
  EXPECT_EQ(s.spot, c.want_spot);
}

INSTANTIATE_TEST_SUITE_P(
    CapacitySplit, CapacitySplitTest,
    ::testing::Values(
        SplitCase{"BaseOnly", 4, 4, 0, 4, 0},
        SplitCase{"DesiredBelowBase", 3, 10, 0, 3, 0},
        SplitCase{"DesiredBelowBaseFullPercent", 3, 10, 100, 3, 0},
        SplitCase{"HalfAboveBaseRoundsTowardOnDemand", 10, 1, 50, 6, 4},
        SplitCase{"HalfOfOddRoundsUp", 3, 0, 50, 2, 1},
        SplitCase{"SmallPercentStillGivesOneUnit", 1, 0, 1, 1, 0},
        SplitCase{"ThirdRoundsUp", 7, 0, 33, 3, 4},
        SplitCase{"ExactPercentNoRounding", 10, 0, 30, 3, 7},
        SplitCase{"ZeroPercentAllSpotAboveBase", 10, 2, 0, 2, 8},
        SplitCase{"HundredPercentAllOnDemand", 10, 2, 100, 10, 0},
        SplitCase{"ZeroDesired", 0, 2, 50, 0, 0},
        SplitCase{"NegativeDesiredClampsToZero", -5, 2, 50, 0, 0},
        SplitCase{"NegativeBaseClampsToZero", 5, -3, 50, 3, 2},
        SplitCase{"PercentAboveHundredClamps", 5, 0, 150, 5, 0},
        SplitCase{"NegativePercentClamps", 5, 0, -10, 0, 5},
        SplitCase{"LargeNoOverflow", 2000000000, 0, 99, 1980000000, 20000000}),
    [](const auto& info) { return info.param.name; });

// -------------------------------------------------------------- ChooseSpotPools

PoolView Pool(int index, double price, double weight = 1, double score = 1, bool available = true,
              int running = 0) {
  PoolView p;
  p.index = index;
  p.price = price;
  p.weight = weight;
  p.capacity_score = score;
  p.available = available;
  p.running = running;
  return p;
}

CapacitySpec Spec(AllocationStrategy strategy, int spot_instance_pools = 2) {
  CapacitySpec spec;
  spec.strategy = strategy;
  spec.spot_instance_pools = spot_instance_pools;
  return spec;
}

using V = std::vector<int>;

struct PoolCase {
  std::string name;
  AllocationStrategy strategy;
  int spot_instance_pools;
  std::vector<PoolView> pools;
  int count;
  V want;
};

class CapacityPoolsTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(CapacityPoolsTest, Chooses) {
  const PoolCase& c = GetParam();
  EXPECT_EQ(ChooseSpotPools(Spec(c.strategy, c.spot_instance_pools), c.pools, c.count), c.want);
}

constexpr auto kLowest = AllocationStrategy::kLowestPrice;
constexpr auto kCapacity = AllocationStrategy::kCapacityOptimized;
constexpr auto kPriceCapacity = AllocationStrategy::kPriceCapacityOptimized;

INSTANTIATE_TEST_SUITE_P(
    CapacityLowestPrice, CapacityPoolsTest,
    ::testing::Values(
        // Cheapest two are 1 (0.03) and 2 (0.04): round-robin, cheapest first.
        PoolCase{"RoundRobinOverCheapestN", kLowest, 2,
                 {Pool(0, 0.05), Pool(1, 0.03), Pool(2, 0.04), Pool(3, 0.10)}, 4, V{1, 2, 1, 2}},
        PoolCase{"SpreadsOverThree", kLowest, 3,
                 {Pool(0, 0.05), Pool(1, 0.03), Pool(2, 0.04), Pool(3, 0.10)}, 5,
                 V{1, 2, 0, 1, 2}},
        PoolCase{"OnePoolTakesAll", kLowest, 1, {Pool(0, 0.05), Pool(1, 0.03)}, 3, V{1, 1, 1}},
        // 0.08 for 2 units is 0.04 per unit: cheaper than 0.05 for one.
        PoolCase{"PricePerUnitUsesWeight", kLowest, 1, {Pool(0, 0.05), Pool(1, 0.08, 2)}, 2,
                 V{1, 1}},
        PoolCase{"TiesByIndex", kLowest, 1, {Pool(3, 0.05), Pool(0, 0.05), Pool(1, 0.07)}, 2,
                 V{0, 0}},
        PoolCase{"UnavailableSkipped", kLowest, 1,
                 {Pool(0, 0.05), Pool(1, 0.01, 1, 1, /*available=*/false)}, 2, V{0, 0}},
        PoolCase{"FewerPoolsThanSpread", kLowest, 4, {Pool(0, 0.05), Pool(1, 0.04)}, 3,
                 V{1, 0, 1}},
        // Already uneven: new instances go to the emptier of the N pools first.
        PoolCase{"EvensOutRunning", kLowest, 2,
                 {Pool(0, 0.03, 1, 1, true, 3), Pool(1, 0.04, 1, 1, true, 1)}, 3, V{1, 1, 0}},
        PoolCase{"NoneAvailable", kLowest, 2,
                 {Pool(0, 0.03, 1, 1, false), Pool(1, 0.04, 1, 1, false)}, 3, V{}}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    CapacityCapacityOptimized, CapacityPoolsTest,
    ::testing::Values(
        PoolCase{"HighestScoreEachTime", kCapacity, 2,
                 {Pool(0, 0.01, 1, 0.5), Pool(1, 0.09, 1, 0.9), Pool(2, 0.02, 1, 0.7)}, 3,
                 V{1, 1, 1}},
        // Equal scores: the one with fewer running, then the lower index.
        PoolCase{"TiesByFewerRunningThenIndex", kCapacity, 2,
                 {Pool(0, 0.01, 1, 0.9, true, 2), Pool(1, 0.05, 1, 0.9, true, 0)}, 4,
                 V{1, 1, 0, 1}},
        PoolCase{"UnavailableSkipped", kCapacity, 2,
                 {Pool(0, 0.01, 1, 0.5), Pool(1, 0.09, 1, 0.9, false), Pool(2, 0.02, 1, 0.7)}, 2,
                 V{2, 2}},
        PoolCase{"NoneAvailable", kCapacity, 2, {Pool(0, 0.01, 1, 0.9, false)}, 2, V{}}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    CapacityPriceCapacityOptimized, CapacityPoolsTest,
    ::testing::Values(
        // Score band is >= 0.8: pools 0, 1, 3; pool 2 is cheapest but scores
        // 0.5. Of those only pool 1 is within 5% of the cheapest price.
        PoolCase{"CheapestInBand", kPriceCapacity, 2,
                 {Pool(0, 0.05, 1, 0.9), Pool(1, 0.03, 1, 0.85), Pool(2, 0.01, 1, 0.5),
                  Pool(3, 0.04, 1, 0.82)},
                 3, V{1, 1, 1}},
        // Pools 1 and 3 are within 5% of each other: share = ceil(6 / 2) = 3;
        // a pool moves on once it holds more than its share.
        PoolCase{"SpreadsOverNearlyCheapest", kPriceCapacity, 2,
                 {Pool(0, 0.05, 1, 0.9), Pool(1, 0.030, 1, 0.85), Pool(3, 0.031, 1, 0.82)}, 6,
                 V{1, 1, 1, 1, 3, 3}},
        // Share = ceil((5 + 2) / 2) = 4: pool 1 already holds more.
        PoolCase{"RunningCountsTowardShare", kPriceCapacity, 2,
                 {Pool(0, 0.05, 1, 0.9), Pool(1, 0.030, 1, 0.85, true, 5), Pool(3, 0.031, 1, 0.82)},
                 2, V{3, 3}},
        PoolCase{"OutsideBandNeverChosen", kPriceCapacity, 2,
                 {Pool(0, 0.05, 1, 1.0), Pool(1, 0.001, 1, 0.89)}, 3, V{0, 0, 0}},
        PoolCase{"BandIsRelativeToBestAvailable", kPriceCapacity, 2,
                 {Pool(0, 0.05, 1, 1.0, false), Pool(1, 0.02, 1, 0.5), Pool(2, 0.01, 1, 0.3)}, 1,
                 V{1}},
        // 0.06 for 3 units is the cheapest per unit.
        PoolCase{"PricePerUnitUsesWeight", kPriceCapacity, 2,
                 {Pool(0, 0.03, 1, 0.9), Pool(1, 0.06, 3, 0.9)}, 1, V{1}},
        PoolCase{"TiesByIndex", kPriceCapacity, 2, {Pool(4, 0.03, 1, 0.9), Pool(2, 0.03, 1, 0.9)}, 1,
                 V{2}},
        PoolCase{"NoneAvailable", kPriceCapacity, 2, {Pool(0, 0.03, 1, 0.9, false)}, 2, V{}},
        PoolCase{"NoPools", kPriceCapacity, 2, {}, 2, V{}}),
    [](const auto& info) { return info.param.name; });

TEST(CapacityPoolsEdgeTest, NonPositiveCountIsEmpty) {
  const std::vector<PoolView> pools = {Pool(0, 0.03)};
  for (auto strategy : {kLowest, kCapacity, kPriceCapacity}) {
    EXPECT_TRUE(ChooseSpotPools(Spec(strategy), pools, 0).empty());
    EXPECT_TRUE(ChooseSpotPools(Spec(strategy), pools, -3).empty());
  }
}

TEST(CapacityPoolsEdgeTest, AlwaysFillsCountWhenAnyPoolIsAvailable) {
  const std::vector<PoolView> pools = {Pool(0, 0.03, 1, 0.4, false), Pool(1, 0.2, 2, 0.3),
                                       Pool(2, 0.1, 1, 0.9, true, 7)};
  for (auto strategy : {kLowest, kCapacity, kPriceCapacity}) {
    const std::vector<int> got = ChooseSpotPools(Spec(strategy), pools, 11);
    EXPECT_EQ(got.size(), 11u) << ToString(strategy);
    for (int p : got) EXPECT_NE(p, 0) << ToString(strategy);
  }
}

// ---------------------------------------------------------------- ChooseScaleIn

struct Fleet {
  std::vector<Instance> all;

  Instance& Add(std::uint64_t n, Market market, InstanceState state = InstanceState::kInService,
                int version = 1, Seconds launched_at = 0, double weight = 1) {
    Instance i;
    i.id = Id(n);
    i.market = market;
    i.pool = market == Market::kSpot ? 0 : kOnDemandPool;
    i.state = state;
    i.version = version;
    i.launched_at = launched_at;
    i.weight = weight;
    all.push_back(i);
    return all.back();
  }
  std::vector<const Instance*> View() const {
    std::vector<const Instance*> out;
    for (const Instance& i : all) out.push_back(&i);
    return out;
  }
};

using Ids = std::vector<InstanceId>;
constexpr auto kOd = Market::kOnDemand;
constexpr auto kSpot = Market::kSpot;
using S = InstanceState;

TEST(CapacityScaleInTest, NotInServiceFirst) {
  Fleet f;
  f.Add(1, kSpot, S::kInService, 1, 0);
  f.Add(2, kSpot, S::kPending, 1, 50);
  f.Add(3, kSpot, S::kProvisioning, 1, 40);
  EXPECT_EQ(ChooseScaleIn(f.View(), 2, 0), (Ids{Id(3), Id(2)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 3, 0), (Ids{Id(3), Id(2), Id(1)}));
}

TEST(CapacityScaleInTest, NotInServiceBeatsOnDemandExcess) {
  Fleet f;
  f.Add(1, kOd, S::kInService, 1, 0);
  f.Add(2, kSpot, S::kPending, 1, 50);
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 0), (Ids{Id(2)}));
}

TEST(CapacityScaleInTest, AtRiskSpotAfterNotInServiceBeforeOnDemandExcessAndAge) {
  Fleet f;
  f.Add(1, kOd, S::kInService, 1, 0);
  f.Add(2, kSpot, S::kInService, 1, 5);
  f.Add(3, kSpot, S::kInService, 2, 90).rebalance_recommended_at = 100;  // newest version, newest launch
  f.Add(4, kSpot, S::kPending, 1, 95);
  // Not serving first; then the instance at risk (removing it spares its
  // replacement), though on-demand is beyond a target of 0 and older.
  EXPECT_EQ(ChooseScaleIn(f.View(), 2, 0), (Ids{Id(4), Id(3)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 3, 0), (Ids{Id(4), Id(3), Id(1)}));
}

TEST(CapacityScaleInTest, OnDemandAboveTargetBeforeSpot) {
  Fleet f;
  f.Add(1, kOd, S::kInService, 1, 10);
  f.Add(2, kOd, S::kInService, 1, 20);
  f.Add(3, kSpot, S::kInService, 1, 5);
  // Two on-demand units against a target of one: the oldest-launched is the excess.
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 1), (Ids{Id(1)}));
  // Only one is beyond the target; after it, the oldest launch decides.
  EXPECT_EQ(ChooseScaleIn(f.View(), 2, 1), (Ids{Id(1), Id(3)}));
  // At the target there is no excess: plain oldest launch.
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 2), (Ids{Id(3)}));
  // Target zero: every on-demand instance is beyond it.
  EXPECT_EQ(ChooseScaleIn(f.View(), 2, 0), (Ids{Id(1), Id(2)}));
}

TEST(CapacityScaleInTest, PendingOnDemandIsTheExcessFirst) {
  Fleet f;
  f.Add(1, kOd, S::kInService, 1, 10);
  f.Add(2, kOd, S::kInService, 1, 20);
  f.Add(3, kOd, S::kPending, 1, 30);
  f.Add(4, kSpot, S::kInService, 1, 5);
  // Removing the pending one already brings on-demand to the target of 2.
  EXPECT_EQ(ChooseScaleIn(f.View(), 2, 2), (Ids{Id(3), Id(4)}));
}

TEST(CapacityScaleInTest, ProtectedOnDemandCountsButIsKept) {
  Fleet f;
  f.Add(1, kOd, S::kInService, 1, 10).scale_in_protected = true;
  f.Add(2, kOd, S::kInService, 1, 20);
  f.Add(3, kSpot, S::kInService, 1, 5);
  // Two on-demand units, target one: the unprotected one is the excess.
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 1), (Ids{Id(2)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 3, 1), (Ids{Id(2), Id(3)}));
}

TEST(CapacityScaleInTest, WeightedOnDemandExcess) {
  Fleet f;
  f.Add(1, kOd, S::kInService, 1, 10, 2);
  f.Add(2, kOd, S::kInService, 1, 20, 2);
  f.Add(3, kSpot, S::kInService, 1, 5);
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 2), (Ids{Id(1)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 4), (Ids{Id(3)}));
}

TEST(CapacityScaleInTest, OldestVersionThenOldestLaunchThenId) {
  Fleet f;
  f.Add(10, kSpot, S::kInService, 2, 0);
  f.Add(11, kSpot, S::kInService, 1, 30);
  f.Add(12, kSpot, S::kInService, 1, 20);
  f.Add(9, kSpot, S::kInService, 1, 20);
  EXPECT_EQ(ChooseScaleIn(f.View(), 4, 0), (Ids{Id(9), Id(12), Id(11), Id(10)}));
}

TEST(CapacityScaleInTest, ProtectionHonouredAndReturnsFewer) {
  Fleet f;
  f.Add(1, kSpot, S::kPending, 0, 0).scale_in_protected = true;
  f.Add(2, kSpot, S::kInService, 1, 10);
  f.Add(3, kOd, S::kInService, 0, 0).scale_in_protected = true;
  EXPECT_EQ(ChooseScaleIn(f.View(), 1, 0), (Ids{Id(2)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 3, 0), (Ids{Id(2)}));
}

TEST(CapacityScaleInTest, OnlyInstancesCountingTowardCapacity) {
  Fleet f;
  f.Add(1, kSpot, S::kDraining, 0, 0);
  f.Add(2, kSpot, S::kUnhealthy, 0, 0);
  f.Add(3, kSpot, S::kInterrupted, 0, 0);
  f.Add(4, kSpot, S::kTerminated, 0, 0);
  f.Add(5, kSpot, S::kInService, 3, 100);
  EXPECT_EQ(ChooseScaleIn(f.View(), 5, 0), (Ids{Id(5)}));
}

TEST(CapacityScaleInTest, WeightsCountUnits) {
  Fleet f;
  f.Add(1, kSpot, S::kInService, 1, 10, 2);
  f.Add(2, kSpot, S::kInService, 1, 20, 2);
  f.Add(3, kSpot, S::kInService, 1, 30, 2);
  EXPECT_EQ(ChooseScaleIn(f.View(), 2, 0), (Ids{Id(1)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 3, 0), (Ids{Id(1), Id(2)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 4, 0), (Ids{Id(1), Id(2)}));
  EXPECT_EQ(ChooseScaleIn(f.View(), 1.5, 0), (Ids{Id(1)}));
}

TEST(CapacityScaleInTest, NothingAskedNothingChosen) {
  Fleet f;
  f.Add(1, kSpot);
  EXPECT_TRUE(ChooseScaleIn(f.View(), 0, 0).empty());
  EXPECT_TRUE(ChooseScaleIn(f.View(), -1, 0).empty());
  EXPECT_TRUE(ChooseScaleIn({}, 3, 0).empty());
}

}  // namespace
}  // namespace shoal
