#include "core/hourly_price.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

Observation TwoPools() {
  Observation seen;
  seen.pools = {PoolObservation{0.03, 1, 0.1}, PoolObservation{0.05, 1, 0.1}};
  seen.on_demand_price = 0.1;
  return seen;
}

Instance Running(Market market, int pool) {
  Instance in;
  in.state = InstanceState::kInService;
  in.market = market;
  in.pool = pool;
  return in;
}

TEST(HourlyPrice, ASpotInstanceCostsItsPoolsPrice) {
  EXPECT_DOUBLE_EQ(HourlyPrice(Running(Market::kSpot, 1), TwoPools()), 0.05);
}

TEST(HourlyPrice, AnOnDemandInstanceCostsTheOnDemandPrice) {
  EXPECT_DOUBLE_EQ(HourlyPrice(Running(Market::kOnDemand, kOnDemandPool), TwoPools()), 0.1);
}

TEST(HourlyPrice, ASpotInstanceOfAPoolNoLongerObservedIsPricedOnDemand) {
  // A pool removed from the spec by an apply: its last instances still bill,
  // and the on-demand price bounds what they cost.
  EXPECT_DOUBLE_EQ(HourlyPrice(Running(Market::kSpot, 5), TwoPools()), 0.1);
}

TEST(HourlyPrice, TerminatedAndStoppedInstancesCostNothingHere) {
  Instance gone = Running(Market::kSpot, 0);
  gone.state = InstanceState::kTerminated;
  Instance stopped = Running(Market::kOnDemand, kOnDemandPool);
  stopped.state = InstanceState::kStopped;
  EXPECT_EQ(HourlyPrice(gone, TwoPools()), 0);
  EXPECT_EQ(HourlyPrice(stopped, TwoPools()), 0);
}

TEST(HourlyPrice, PendingAndDrainingInstancesBill) {
  Instance pending = Running(Market::kSpot, 0);
  pending.state = InstanceState::kPending;
  Instance draining = Running(Market::kSpot, 0);
  draining.state = InstanceState::kDraining;
  EXPECT_DOUBLE_EQ(HourlyPrice(pending, TwoPools()), 0.03);
  EXPECT_DOUBLE_EQ(HourlyPrice(draining, TwoPools()), 0.03);
}

}  // namespace
}  // namespace shoal
