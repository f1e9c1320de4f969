#include "adapters/local/spot_market.h"

#include <gtest/gtest.h>

#include <thread>

#include "adapters/sim/spot_market.h"
#include "test_ids.h"

namespace shoal {
namespace {

constexpr Seconds kNotice = 120;
constexpr const char* kPoolA = "c5.large/us-east-1a";
constexpr const char* kPoolB = "c5.large/us-east-1b";
constexpr double kFlat = 0.031;
constexpr double kLow = 0.03;
constexpr double kHigh = 0.05;  // in [kHour, 2 kHour) of each day in pool A
constexpr std::int64_t kStart = 1700000000;

// A day-long path for pool A (low, one hour high, low) and a flat one for B.
SpotMarket SmallMarket() {
  PriceTables t;
  t.on_demand[{"c5.large", "us-east-1"}] = 0.085;
  t.spot.push_back({"c5.large",
                    "us-east-1a",
                    {{kStart, kLow}, {kStart + kHour, kHigh}, {kStart + 2 * kHour, kLow}, {kStart + 24 * kHour, kLow}}});
  t.spot.push_back({"c5.large", "us-east-1b", {{kStart, 0.02}, {kStart + 24 * kHour, 0.02}}});
  auto m = SpotMarket::Build(t, {{"c5.large", "us-east-1a"}, {"c5.large", "us-east-1b"}}, {});
  EXPECT_TRUE(m.ok()) << m.status().message();
  return std::move(m).value();
}

class LocalSpotMarketTest : public ::testing::Test {
 protected:
  SpotMarket prices_ = SmallMarket();
  LocalSpotMarket market_{&prices_, {kPoolA, kPoolB}, kFlat, kNotice};
};

TEST(LocalSpotMarketPrice, FlatWithoutPricePaths) {
  LocalSpotMarket m(nullptr, {kPoolA}, kFlat, kNotice);
  EXPECT_DOUBLE_EQ(m.Price(kPoolA, 0), kFlat);
  EXPECT_DOUBLE_EQ(m.Price("anything", 12345), kFlat);
}

TEST_F(LocalSpotMarketTest, PriceFollowsThePoolsPath) {
  EXPECT_DOUBLE_EQ(market_.Price(kPoolA, 0), kLow);
  EXPECT_DOUBLE_EQ(market_.Price(kPoolA, kHour + 10), kHigh);
  EXPECT_DOUBLE_EQ(market_.Price(kPoolA, 2 * kHour), kLow);
  EXPECT_DOUBLE_EQ(market_.Price(kPoolA, 24 * kHour + kHour), kHigh);  // the path repeats
  EXPECT_DOUBLE_EQ(market_.Price(kPoolB, kHour + 10), 0.02);
  EXPECT_DOUBLE_EQ(market_.Price("m5.large/us-east-1a", kHour), kFlat);  // not a named pool
}

TEST_F(LocalSpotMarketTest, NamesBeyondThePathsCostFlat) {
  LocalSpotMarket m(&prices_, {kPoolA, kPoolB, "extra/us-east-1c"}, kFlat, kNotice);
  EXPECT_DOUBLE_EQ(m.Price("extra/us-east-1c", 0), kFlat);
}

TEST_F(LocalSpotMarketTest, ShortageWindow) {
  EXPECT_TRUE(market_.HasCapacity(kPoolA, 0));
  market_.SetShortage(kPoolA, 100);
  EXPECT_FALSE(market_.HasCapacity(kPoolA, 0));
  EXPECT_FALSE(market_.HasCapacity(kPoolA, 99));
  EXPECT_TRUE(market_.HasCapacity(kPoolA, 100));
  EXPECT_TRUE(market_.HasCapacity(kPoolB, 50));
  market_.SetShortage(kPoolA, 0);  // lifted
  EXPECT_TRUE(market_.HasCapacity(kPoolA, 50));
}

TEST_F(LocalSpotMarketTest, InterruptGivesANoticeNowAndTerminationLater) {
  market_.Track(Id(1), kPoolA, 0);
  Result<LocalNotice> n = market_.Interrupt(Id(1), 1000);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->id, Id(1));
  EXPECT_EQ(n->issued, 1000);
  EXPECT_EQ(n->terminate_at, 1000 + kNotice);
  const std::vector<LocalNotice> taken = market_.TakeNotices(1001);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].terminate_at, 1000 + kNotice);
  EXPECT_TRUE(market_.TakeNotices(1002).empty());
}

TEST_F(LocalSpotMarketTest, InterruptIsIdempotent) {
  market_.Track(Id(1), kPoolA, 0);
  ASSERT_TRUE(market_.Interrupt(Id(1), 1000).ok());
  Result<LocalNotice> again = market_.Interrupt(Id(1), 1050);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->issued, 1000);
  EXPECT_EQ(again->terminate_at, 1000 + kNotice);
  EXPECT_EQ(market_.TakeNotices(1060).size(), 1u);
  // Still the same notice after it was handed out, and no second one queued.
  Result<LocalNotice> later = market_.Interrupt(Id(1), 1070);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->issued, 1000);
  EXPECT_EQ(later->terminate_at, 1000 + kNotice);
  EXPECT_TRUE(market_.TakeNotices(1080).empty());
}

TEST_F(LocalSpotMarketTest, UnknownInstanceIsNotFoundNamingIt) {
  Result<LocalNotice> n = market_.Interrupt(Id(0xabc), 0);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(n.status().message(), "no spot instance " + Id(0xabc).str() + "; `shoal get instances` lists them");
}

TEST_F(LocalSpotMarketTest, ForgottenInstanceIsUnknownAndItsNoticeDropped) {
  market_.Track(Id(1), kPoolA, 0);
  ASSERT_TRUE(market_.Interrupt(Id(1), 10).ok());
  market_.Forget(Id(1));
  EXPECT_TRUE(market_.TakeNotices(11).empty());
  EXPECT_EQ(market_.Interrupt(Id(1), 12).status().code(), StatusCode::kNotFound);
}

TEST_F(LocalSpotMarketTest, InterruptPoolHitsEveryTrackedInstanceOfIt) {
  market_.Track(Id(1), kPoolA, 0);
  market_.Track(Id(2), kPoolB, 0);
  market_.Track(Id(3), kPoolA, 0);
  ASSERT_TRUE(market_.Interrupt(Id(3), 5).ok());  // already noticed: keeps its notice
  Result<std::vector<LocalNotice>> ns = market_.InterruptPool(kPoolA, 20);
  ASSERT_TRUE(ns.ok()) << ns.status().message();
  ASSERT_EQ(ns->size(), 2u);
  EXPECT_EQ((*ns)[0].id, Id(1));
  EXPECT_EQ((*ns)[0].issued, 20);
  EXPECT_EQ((*ns)[1].id, Id(3));
  EXPECT_EQ((*ns)[1].issued, 5);
  EXPECT_EQ(market_.TakeNotices(21).size(), 2u);  // 3 (from Interrupt) and 1
  // Again: the same notices, none new.
  ASSERT_EQ(market_.InterruptPool(kPoolA, 30)->size(), 2u);
  EXPECT_TRUE(market_.TakeNotices(31).empty());
}

TEST_F(LocalSpotMarketTest, InterruptPoolOfAKnownEmptyPoolIsEmpty) {
  Result<std::vector<LocalNotice>> ns = market_.InterruptPool(kPoolB, 0);
  ASSERT_TRUE(ns.ok());
  EXPECT_TRUE(ns->empty());
}

TEST_F(LocalSpotMarketTest, InterruptPoolOfAnUnknownPoolNamesTheKnownOnes) {
  Result<std::vector<LocalNotice>> ns = market_.InterruptPool("m9.huge/mars-1a", 0);
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.status().code(), StatusCode::kNotFound);
  EXPECT_NE(ns.status().message().find("m9.huge/mars-1a"), std::string::npos);
  EXPECT_NE(ns.status().message().find(kPoolA), std::string::npos) << ns.status().message();
}

TEST_F(LocalSpotMarketTest, PriceAboveBidGivesOneNotice) {
  market_.Track(Id(1), kPoolA, 0.04);  // below kHigh
  market_.Track(Id(2), kPoolA, 0.06);  // above kHigh
  market_.Track(Id(3), kPoolA, 0);     // no bid: never
  EXPECT_TRUE(market_.TakeNotices(10).empty());
  const std::vector<LocalNotice> ns = market_.TakeNotices(kHour + 5);
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].id, Id(1));
  EXPECT_EQ(ns[0].issued, kHour + 5);
  EXPECT_EQ(ns[0].terminate_at, kHour + 5 + kNotice);
  EXPECT_TRUE(market_.TakeNotices(kHour + 10).empty());  // once
  Result<LocalNotice> same = market_.Interrupt(Id(1), kHour + 20);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->issued, kHour + 5);
}

TEST_F(LocalSpotMarketTest, InterruptedInstanceGetsNoPriceNotice) {
  market_.Track(Id(1), kPoolA, 0.04);
  ASSERT_TRUE(market_.Interrupt(Id(1), 0).ok());
  const std::vector<LocalNotice> ns = market_.TakeNotices(kHour + 5);
  ASSERT_EQ(ns.size(), 1u);
  EXPECT_EQ(ns[0].issued, 0);
}

TEST_F(LocalSpotMarketTest, TrackingAgainKeepsANotice) {
  market_.Track(Id(1), kPoolA, 0);
  ASSERT_TRUE(market_.Interrupt(Id(1), 7).ok());
  market_.Track(Id(1), kPoolA, 0);  // a restarted daemon adopting it
  EXPECT_EQ(market_.Interrupt(Id(1), 50)->issued, 7);
}

TEST_F(LocalSpotMarketTest, ConcurrentInterruptsAndTakesLoseNothing) {
  constexpr std::uint64_t kCount = 200;
  for (std::uint64_t n = 1; n <= kCount; ++n) market_.Track(Id(n), n % 2 ? kPoolA : kPoolB, 0);
  std::size_t taken = 0;
  std::thread interrupter([&] {
    for (std::uint64_t n = 1; n <= kCount; ++n) ASSERT_TRUE(market_.Interrupt(Id(n), 1).ok());
  });
  std::thread pool([&] { ASSERT_TRUE(market_.InterruptPool(kPoolB, 1).ok()); });
  for (int i = 0; i < 100; ++i) taken += market_.TakeNotices(1).size();
  interrupter.join();
  pool.join();
  taken += market_.TakeNotices(2).size();
  EXPECT_EQ(taken, kCount);
}

}  // namespace
}  // namespace shoal
