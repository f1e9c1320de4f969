// The client-side token buckets, on a fake sleeper: bursts pass at once,
// then calls are spaced at the refill rate; a wait over the limit fails as
// throttled; EC2's documented defaults are the ones in force.
#include "adapters/aws/rate_limit.h"

#include <gtest/gtest.h>

#include "aws_test_util.h"

namespace shoal::aws {
namespace {

using testing::FakeSleeper;

RateLimitOptions Only(const std::string& key, BucketSpec spec, double max_wait = 10) {
  RateLimitOptions options;
  options.buckets[key] = spec;
  options.max_wait_seconds = max_wait;
  return options;
}

TEST(RateLimitTest, BurstThenTheRefillRate) {
  FakeSleeper sleeper;
  RateLimiter limiter(Only("ec2:RunInstances", {5, 2}), &sleeper);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Acquire("ec2:RunInstances").ok());
  EXPECT_EQ(sleeper.sleeps(), std::vector<double>(5, 0.0));
  ASSERT_TRUE(limiter.Acquire("ec2:RunInstances").ok());
  ASSERT_TRUE(limiter.Acquire("ec2:RunInstances").ok());
  const auto sleeps = sleeper.sleeps();
  EXPECT_DOUBLE_EQ(sleeps[5], 0.5);
  EXPECT_DOUBLE_EQ(sleeps[6], 0.5);
}

TEST(RateLimitTest, CallersWhoseTurnsOverlapQueueBehindEachOthersDebt) {
  FakeSleeper sleeper;
  sleeper.SetAdvanceOnSleep(false);  // three callers take their turn before any sleeps
  RateLimiter limiter(Only("k:A", {1, 1}), &sleeper);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.Acquire("k:A").ok());
  EXPECT_EQ(sleeper.sleeps(), (std::vector<double>{0, 1, 2}));
}

TEST(RateLimitTest, TimeRefillsUpToCapacityOnly) {
  FakeSleeper sleeper;
  RateLimiter limiter(Only("k:A", {2, 1}), &sleeper);
  ASSERT_TRUE(limiter.Acquire("k:A", 2).ok());
  sleeper.Advance(100);
  ASSERT_TRUE(limiter.Acquire("k:A", 2).ok());
  ASSERT_TRUE(limiter.Acquire("k:A", 1).ok());
  EXPECT_DOUBLE_EQ(sleeper.sleeps().back(), 1.0);
}

TEST(RateLimitTest, AWaitBeyondTheLimitFailsAsThrottledAndTakesNothing) {
  FakeSleeper sleeper;
  RateLimiter limiter(Only("ec2:RunInstances#resources", {1000, 2}, /*max_wait=*/5), &sleeper);
  ASSERT_TRUE(limiter.Acquire("ec2:RunInstances#resources", 1000).ok());
  const Status status = limiter.Acquire("ec2:RunInstances#resources", 20);  // 10 s away
  EXPECT_EQ(status.code(), StatusCode::kThrottled);
  EXPECT_NE(status.message().find("ec2:RunInstances#resources"), std::string::npos);
  ASSERT_TRUE(limiter.Acquire("ec2:RunInstances#resources", 10).ok());  // 5 s: allowed, nothing was taken before
  EXPECT_DOUBLE_EQ(sleeper.sleeps().back(), 5.0);
}

TEST(RateLimitTest, MoreThanTheBucketHoldsIsInvalid) {
  FakeSleeper sleeper;
  RateLimiter limiter(Only("k:A", {5, 1}), &sleeper);
  EXPECT_EQ(limiter.Acquire("k:A", 6).code(), StatusCode::kInvalidArgument);
}

TEST(RateLimitTest, UnknownKeysAreNotLimited) {
  FakeSleeper sleeper;
  RateLimiter limiter(Only("k:A", {1, 1}), &sleeper);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(limiter.Acquire("s3:PutObject").ok());
  EXPECT_TRUE(sleeper.sleeps().empty());
}

TEST(RateLimitTest, Ec2DefaultsFollowTheDocumentedBuckets) {
  FakeSleeper sleeper;
  RateLimiter limiter(DefaultRateLimits(), &sleeper);
  auto spec = [&](const std::string& key) {
    auto found = limiter.SpecFor(key);
    EXPECT_TRUE(found.has_value()) << key;
    return found.value_or(BucketSpec{});
  };
  EXPECT_EQ(spec("ec2:RunInstances").capacity, 5);
  EXPECT_EQ(spec("ec2:RunInstances").refill_per_second, 2);
  EXPECT_EQ(spec("ec2:RunInstances#resources").capacity, 1000);
  EXPECT_EQ(spec("ec2:TerminateInstances").capacity, 100);
  EXPECT_EQ(spec("ec2:TerminateInstances#resources").refill_per_second, 20);
  EXPECT_EQ(spec("ec2:DescribeInstances").capacity, 50);
  EXPECT_EQ(spec("ec2:DescribeInstances").refill_per_second, 10);
  EXPECT_EQ(spec("ec2:DescribeSpotPriceHistory").capacity, 100);  // other Describe*: non-mutating
  EXPECT_EQ(spec("ec2:DescribeSpotPriceHistory").refill_per_second, 20);
  EXPECT_EQ(spec("ec2:ModifyInstanceAttribute").capacity, 50);  // other actions: mutating
  EXPECT_EQ(spec("ec2:ModifyInstanceAttribute").refill_per_second, 5);
  EXPECT_FALSE(limiter.SpecFor("ec2:ModifyInstanceAttribute#resources").has_value());
  EXPECT_FALSE(limiter.SpecFor("sqs:SendMessage").has_value());
}

TEST(RateLimitTest, Elbv2DescribesAndCloudWatchGetMetricDataHaveTheirDocumentedBuckets) {
  FakeSleeper sleeper;
  RateLimiter limiter(DefaultRateLimits(), &sleeper);
  const auto describe = limiter.SpecFor("elbv2:DescribeTargetHealth");
  ASSERT_TRUE(describe.has_value());
  EXPECT_EQ(describe->capacity, 40);
  EXPECT_EQ(describe->refill_per_second, 10);
  const auto metrics = limiter.SpecFor("cloudwatch:GetMetricData");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(metrics->capacity, 50);
  EXPECT_EQ(metrics->refill_per_second, 50);
  EXPECT_FALSE(limiter.SpecFor("elbv2:RegisterTargets").has_value());
  EXPECT_FALSE(limiter.SpecFor("cloudwatch:PutMetricData").has_value());
}

}  // namespace
}  // namespace shoal::aws
