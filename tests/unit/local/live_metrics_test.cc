// LiveMetrics folding the load balancer's per-instance counters into what
// each release answered per minute (ReadReleases).
#include "adapters/local/live_metrics.h"

#include <gtest/gtest.h>

#include "test_ids.h"

namespace shoal {
namespace {

constexpr const char* kGroup = "web";
constexpr Seconds kMinute0 = 600;  // minute 10

InstanceCounters At(std::uint64_t n, int version, std::int64_t responses, std::int64_t errors, double ms) {
  return {Id(n), version, responses, errors, ms};
}

const ReleaseTraffic* Find(const std::vector<ReleaseTraffic>& releases, int version) {
  for (const ReleaseTraffic& r : releases) {
    if (r.version == version) return &r;
  }
  return nullptr;
}

TEST(LiveMetricsReleases, DeltasOfEachInstanceAddUpUnderItsRelease) {
  LiveMetrics metrics;
  // Baseline: counters from before are not this minute's traffic.
  metrics.SampleReleases(kGroup, kMinute0, {At(1, 3, 1000, 10, 20), At(2, 3, 500, 0, 20), At(3, 4, 0, 0, 0)});
  metrics.SampleReleases(kGroup, kMinute0 + 1,
                         {At(1, 3, 1100, 10, 20), At(2, 3, 600, 1, 30), At(3, 4, 100, 5, 50)});
  metrics.SampleReleases(kGroup, kMinute0 + 2,
                         {At(1, 3, 1200, 10, 20), At(2, 3, 700, 1, 30), At(3, 4, 200, 10, 60)});
  const std::vector<ReleaseTraffic> releases = metrics.ReadReleases(kGroup, MinuteOf(kMinute0));
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0].version, 3);  // ordered by version
  EXPECT_EQ(releases[1].version, 4);
  const ReleaseTraffic& old_release = releases[0];
  EXPECT_DOUBLE_EQ(old_release.requests, 400);
  EXPECT_DOUBLE_EQ(old_release.errors, 1);
  // rtime × the responses of each change: 100×20 + 100×30 + 100×20 + 100×30.
  EXPECT_DOUBLE_EQ(old_release.response_ms_sum, 10000);
  const ReleaseTraffic& new_release = releases[1];
  EXPECT_DOUBLE_EQ(new_release.requests, 200);
  EXPECT_DOUBLE_EQ(new_release.errors, 10);
  EXPECT_DOUBLE_EQ(new_release.response_ms_sum, 100 * 50 + 100 * 60);
}

TEST(LiveMetricsReleases, TrafficGoesToTheMinuteOfTheSample) {
  LiveMetrics metrics;
  metrics.SampleReleases(kGroup, kMinute0 + 50, {At(1, 1, 0, 0, 0)});
  metrics.SampleReleases(kGroup, kMinute0 + 59, {At(1, 1, 30, 0, 10)});
  metrics.SampleReleases(kGroup, kMinute0 + 61, {At(1, 1, 50, 2, 10)});
  const auto first = metrics.ReadReleases(kGroup, MinuteOf(kMinute0));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_DOUBLE_EQ(first[0].requests, 30);
  EXPECT_DOUBLE_EQ(first[0].errors, 0);
  const auto second = metrics.ReadReleases(kGroup, MinuteOf(kMinute0) + 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_DOUBLE_EQ(second[0].requests, 20);
  EXPECT_DOUBLE_EQ(second[0].errors, 2);
}

TEST(LiveMetricsReleases, ACounterResetIsNeverNegativeTraffic) {
  LiveMetrics metrics;
  metrics.SampleReleases(kGroup, kMinute0, {At(1, 2, 5000, 50, 20)});
  metrics.SampleReleases(kGroup, kMinute0 + 1, {At(1, 2, 5100, 51, 20)});
  // HAProxy reloaded (or the server was re-added): counting starts again at
  // 0; what it shows now was answered since.
  metrics.SampleReleases(kGroup, kMinute0 + 2, {At(1, 2, 40, 2, 25)});
  metrics.SampleReleases(kGroup, kMinute0 + 3, {At(1, 2, 100, 3, 25)});
  const auto releases = metrics.ReadReleases(kGroup, MinuteOf(kMinute0));
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_DOUBLE_EQ(releases[0].requests, 100 + 40 + 60);
  EXPECT_DOUBLE_EQ(releases[0].errors, 1 + 2 + 1);
  EXPECT_DOUBLE_EQ(releases[0].response_ms_sum, 100 * 20 + 40 * 25 + 60 * 25);
}

TEST(LiveMetricsReleases, AResetOfTheErrorCounterAloneIsAReset) {
  LiveMetrics metrics;
  metrics.SampleReleases(kGroup, kMinute0, {At(1, 2, 100, 30, 10)});
  // More responses than before, fewer errors: the counters restarted and
  // the server answered 120 (5 of them errors) since.
  metrics.SampleReleases(kGroup, kMinute0 + 1, {At(1, 2, 120, 5, 10)});
  const auto releases = metrics.ReadReleases(kGroup, MinuteOf(kMinute0));
  ASSERT_EQ(releases.size(), 1u);
  EXPECT_DOUBLE_EQ(releases[0].requests, 120);
  EXPECT_DOUBLE_EQ(releases[0].errors, 5);
}

TEST(LiveMetricsReleases, MinutesWithoutTrafficAreZeroAndUnsampledOnesEmpty) {
  LiveMetrics metrics;
  metrics.SampleReleases(kGroup, kMinute0, {At(1, 7, 10, 1, 40)});
  metrics.SampleReleases(kGroup, kMinute0 + 60, {At(1, 7, 10, 1, 40)});  // nothing answered
  metrics.SampleReleases(kGroup, kMinute0 + 180, {At(1, 7, 25, 1, 40)});  // minute 12 never sampled
  const auto idle = metrics.ReadReleases(kGroup, MinuteOf(kMinute0) + 1);
  ASSERT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle[0].version, 7);
  EXPECT_DOUBLE_EQ(idle[0].requests, 0);
  EXPECT_DOUBLE_EQ(idle[0].errors, 0);
  EXPECT_DOUBLE_EQ(idle[0].response_ms_sum, 0);
  EXPECT_TRUE(metrics.ReadReleases(kGroup, MinuteOf(kMinute0) + 2).empty());
  // The change since the last sample lands in the minute of the sample.
  const auto later = metrics.ReadReleases(kGroup, MinuteOf(kMinute0) + 3);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_DOUBLE_EQ(later[0].requests, 15);
  EXPECT_TRUE(metrics.ReadReleases("other", MinuteOf(kMinute0)).empty());
  EXPECT_TRUE(metrics.ReadReleases(kGroup, MinuteOf(kMinute0) + 100).empty());
}

TEST(LiveMetricsReleases, AnInstanceThatLeftAndCameBackStartsFromABaseline) {
  LiveMetrics metrics;
  metrics.SampleReleases(kGroup, kMinute0, {At(1, 1, 10, 0, 10), At(2, 2, 10, 0, 10)});
  metrics.SampleReleases(kGroup, kMinute0 + 1, {At(1, 1, 20, 0, 10)});  // 2 not counted by HAProxy now
  metrics.SampleReleases(kGroup, kMinute0 + 2, {At(1, 1, 30, 0, 10), At(2, 2, 900, 9, 10)});
  metrics.SampleReleases(kGroup, kMinute0 + 3, {At(1, 1, 40, 0, 10), At(2, 2, 910, 9, 10)});
  const auto releases = metrics.ReadReleases(kGroup, MinuteOf(kMinute0));
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_DOUBLE_EQ(Find(releases, 1)->requests, 30);
  EXPECT_DOUBLE_EQ(Find(releases, 2)->requests, 10);  // 900 was a new baseline
  EXPECT_DOUBLE_EQ(Find(releases, 2)->errors, 0);
}

TEST(LiveMetricsReleases, GroupsAreKeptApart) {
  LiveMetrics metrics;
  metrics.SampleReleases("a", kMinute0, {At(1, 1, 0, 0, 0)});
  metrics.SampleReleases("b", kMinute0, {At(2, 1, 0, 0, 0)});
  metrics.SampleReleases("a", kMinute0 + 1, {At(1, 1, 10, 0, 5)});
  metrics.SampleReleases("b", kMinute0 + 1, {At(2, 1, 3, 3, 5)});
  EXPECT_DOUBLE_EQ(metrics.ReadReleases("a", MinuteOf(kMinute0))[0].requests, 10);
  EXPECT_DOUBLE_EQ(metrics.ReadReleases("a", MinuteOf(kMinute0))[0].errors, 0);
  EXPECT_DOUBLE_EQ(metrics.ReadReleases("b", MinuteOf(kMinute0))[0].errors, 3);
}

TEST(LiveMetricsReleases, KeepsOnlyTheRecentMinutes) {
  LiveMetrics metrics(/*keep_minutes=*/3);
  for (int minute = 0; minute < 10; ++minute) {
    metrics.SampleReleases(kGroup, minute * 60, {At(1, 1, minute * 10, 0, 1)});
  }
  EXPECT_TRUE(metrics.ReadReleases(kGroup, 6).empty());
  ASSERT_EQ(metrics.ReadReleases(kGroup, 9).size(), 1u);
  EXPECT_DOUBLE_EQ(metrics.ReadReleases(kGroup, 9)[0].requests, 10);
}

TEST(LiveMetricsReleases, CpuAndRequestMetricsAreUnchanged) {
  LiveMetrics metrics;
  metrics.Sample(kGroup, kMinute0, 1, {50.0}, 1, 2.0);
  metrics.SampleReleases(kGroup, kMinute0, {At(1, 1, 0, 0, 0)});
  EXPECT_DOUBLE_EQ(metrics.Read(kGroup, MetricName::kCpuUtilization, MinuteOf(kMinute0)).sum, 50.0);
  EXPECT_EQ(metrics.ReadReleases(kGroup, MinuteOf(kMinute0)).size(), 1u);
}

}  // namespace
}  // namespace shoal
