#include "core/metric.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal {
namespace {

TEST(MetricNameTest, RoundTripsAndRejectsUnknown) {
  for (MetricName m : {MetricName::kCpuUtilization, MetricName::kRequestCountPerTarget}) {
    MetricName parsed{};
    ASSERT_TRUE(ParseMetricName(ToString(m), &parsed)) << ToString(m);
    EXPECT_EQ(parsed, m);
  }
  EXPECT_EQ(ToString(MetricName::kCpuUtilization), "cpu_utilization");
  EXPECT_EQ(ToString(MetricName::kRequestCountPerTarget), "request_count_per_target");
  MetricName out = MetricName::kCpuUtilization;
  EXPECT_FALSE(ParseMetricName("CPUUtilization", &out));
  EXPECT_FALSE(ParseMetricName("", &out));
}

struct MergeCase {
  std::string description;
  Datapoint a;
  Datapoint b;
  Datapoint want;
};

class MetricMergeTest : public ::testing::TestWithParam<MergeCase> {};

TEST_P(MetricMergeTest, Merges) {
  const MergeCase& c = GetParam();
  Datapoint got = c.a;
  got.Merge(c.b);
  EXPECT_DOUBLE_EQ(got.sum, c.want.sum) << c.description;
  EXPECT_DOUBLE_EQ(got.min, c.want.min) << c.description;
  EXPECT_DOUBLE_EQ(got.max, c.want.max) << c.description;
  EXPECT_DOUBLE_EQ(got.count, c.want.count) << c.description;
}

INSTANTIATE_TEST_SUITE_P(
    Metric, MetricMergeTest,
    ::testing::Values(
        MergeCase{"two singles", Datapoint::Single(10), Datapoint::Single(30), {40, 10, 30, 2}},
        MergeCase{"sets add counts and keep extremes", {50, 5, 30, 3}, {20, 1, 19, 2},
                  {70, 1, 30, 5}},
        // A missing point's zero min must not drag the minimum down.
        MergeCase{"into missing takes the other", Datapoint{}, Datapoint::Single(42),
                  {42, 42, 42, 1}},
        MergeCase{"missing into real changes nothing", Datapoint::Single(7), Datapoint{},
                  {7, 7, 7, 1}},
        MergeCase{"missing into missing stays missing", Datapoint{}, Datapoint{}, {0, 0, 0, 0}}),
    [](const auto& info) { return "Case" + std::to_string(info.index); });

TEST(MetricHistoryTest, EmptyHistoryHasNothing) {
  MetricHistory h(8);
  EXPECT_FALSE(h.latest_minute().has_value());
  EXPECT_FALSE(h.At(0).has_value());
}

TEST(MetricHistoryTest, SameMinuteMerges) {
  MetricHistory h(8);
  h.Record(5, Datapoint::Single(10));
  h.Record(5, Datapoint::Single(20));
  ASSERT_TRUE(h.At(5).has_value());
  EXPECT_DOUBLE_EQ(h.At(5)->sum, 30);
  EXPECT_DOUBLE_EQ(h.At(5)->count, 2);
  EXPECT_EQ(h.latest_minute(), 5);
}

TEST(MetricHistoryTest, SkippedMinutesReadAsMissing) {
  MetricHistory h(8);
  h.Record(10, Datapoint::Single(1));
  h.Record(13, Datapoint::Single(4));
  EXPECT_TRUE(h.At(10).has_value());
  EXPECT_FALSE(h.At(11).has_value());
  EXPECT_FALSE(h.At(12).has_value());
  ASSERT_TRUE(h.At(13).has_value());
  EXPECT_DOUBLE_EQ(h.At(13)->sum, 4);
  EXPECT_FALSE(h.At(14).has_value()) << "the future is missing";
  EXPECT_FALSE(h.At(9).has_value()) << "before the first record is missing";
  EXPECT_EQ(h.latest_minute(), 13);
}

TEST(MetricHistoryTest, OlderThanLatestIsIgnored) {
  MetricHistory h(8);
  h.Record(10, Datapoint::Single(1));
  h.Record(12, Datapoint::Single(3));
  h.Record(11, Datapoint::Single(99));  // late: dropped, not back-filled
  h.Record(10, Datapoint::Single(99));
  EXPECT_FALSE(h.At(11).has_value());
  EXPECT_DOUBLE_EQ(h.At(10)->sum, 1);
  EXPECT_EQ(h.latest_minute(), 12);
}

TEST(MetricHistoryTest, RecordingAMissingPointAdvancesLatest) {
  MetricHistory h(8);
  h.Record(1, Datapoint::Single(1));
  h.Record(3, Datapoint{});
  EXPECT_EQ(h.latest_minute(), 3);
  EXPECT_FALSE(h.At(3).has_value());
  h.Record(3, Datapoint::Single(6));  // the minute can still receive samples
  ASSERT_TRUE(h.At(3).has_value());
  EXPECT_DOUBLE_EQ(h.At(3)->max, 6);
}

TEST(MetricHistoryTest, KeepsOnlyCapacityNewestMinutes) {
  MetricHistory h(4);
  for (int m = 0; m < 10; ++m) h.Record(m, Datapoint::Single(m));
  for (int m = 0; m < 6; ++m) EXPECT_FALSE(h.At(m).has_value()) << "minute " << m;
  for (int m = 6; m < 10; ++m) {
    ASSERT_TRUE(h.At(m).has_value()) << "minute " << m;
    EXPECT_DOUBLE_EQ(h.At(m)->sum, m);
  }
  EXPECT_EQ(h.latest_minute(), 9);
}

TEST(MetricHistoryTest, GapWiderThanCapacityKeepsOnlyTheNewPoint) {
  MetricHistory h(4);
  h.Record(0, Datapoint::Single(1));
  h.Record(3, Datapoint::Single(2));
  h.Record(1000, Datapoint::Single(3));
  EXPECT_FALSE(h.At(0).has_value());
  EXPECT_FALSE(h.At(3).has_value());
  EXPECT_DOUBLE_EQ(h.At(1000)->sum, 3);
  EXPECT_EQ(h.latest_minute(), 1000);
  h.Record(1001, Datapoint::Single(4));
  EXPECT_DOUBLE_EQ(h.At(1000)->sum, 3);
  EXPECT_DOUBLE_EQ(h.At(1001)->sum, 4);
}

TEST(MetricHistoryTest, GapWithinCapacityKeepsOlderPoints) {
  MetricHistory h(4);
  h.Record(0, Datapoint::Single(1));
  h.Record(3, Datapoint::Single(2));  // exactly fills the window: 0..3
  EXPECT_TRUE(h.At(0).has_value());
  h.Record(4, Datapoint::Single(5));  // minute 0 falls out
  EXPECT_FALSE(h.At(0).has_value());
  EXPECT_TRUE(h.At(3).has_value());
}

}  // namespace
}  // namespace shoal
