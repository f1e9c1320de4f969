// AWS's standard retry mode: what is retried, the jittered and capped
// backoff, and the retry quota.
#include "adapters/aws/retry.h"

#include <gtest/gtest.h>

namespace shoal::aws {
namespace {

TEST(RetryClassTest, ThrottlingTransientTimeoutAndTheRest) {
  for (const char* code : {"Throttling", "ThrottlingException", "RequestLimitExceeded", "RequestThrottled",
                           "TooManyRequestsException", "SlowDown", "RequestThrottledException",
                           "EC2ThrottledException", "PriorRequestNotComplete"}) {
    EXPECT_EQ(ClassifyRetry(false, false, 400, code), RetryKind::kThrottling) << code;
  }
  EXPECT_EQ(ClassifyRetry(false, false, 400, "RequestTimeout"), RetryKind::kTransient);
  for (long status : {500L, 502L, 503L, 504L}) EXPECT_EQ(ClassifyRetry(false, false, status, ""), RetryKind::kTransient);
  EXPECT_EQ(ClassifyRetry(true, false, 0, ""), RetryKind::kTransient);
  EXPECT_EQ(ClassifyRetry(true, true, 0, ""), RetryKind::kTimeout);
  for (const char* code : {"InsufficientInstanceCapacity", "UnauthorizedOperation", "InvalidParameterValue",
                           "PreconditionFailed", "NoSuchKey"}) {
    EXPECT_EQ(ClassifyRetry(false, false, 400, code), RetryKind::kNone) << code;
  }
  EXPECT_EQ(ClassifyRetry(false, false, 501, "NotImplemented"), RetryKind::kNone);
  // EC2 sends capacity shortages as 500s; the controller, not the client, answers them.
  EXPECT_EQ(ClassifyRetry(false, false, 500, "InsufficientInstanceCapacity"), RetryKind::kNone);
  EXPECT_EQ(ClassifyRetry(false, false, 503, "VcpuLimitExceeded"), RetryKind::kNone);
  EXPECT_EQ(ClassifyRetry(false, false, 500, "InternalError"), RetryKind::kTransient);
}

TEST(RetryBackoffTest, FullJitterUnderTwoToTheAttemptCappedAtTwentySeconds) {
  RetryOptions options;
  options.seed = 7;
  RetryStrategy retry(options);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    const double cap = std::min(20.0, static_cast<double>(1 << (attempt - 1)));
    double highest = 0;
    for (int i = 0; i < 200; ++i) {
      const double delay = retry.Backoff(attempt);
      ASSERT_GE(delay, 0.0);
      ASSERT_LT(delay, cap);
      highest = std::max(highest, delay);
    }
    EXPECT_GT(highest, cap * 0.9) << "the jitter spans the whole range at attempt " << attempt;
  }
}

TEST(RetryBackoffTest, TheSameSeedGivesTheSameDelays) {
  RetryOptions same;
  same.seed = 42;
  RetryOptions other;
  other.seed = 43;
  RetryStrategy a(same);
  RetryStrategy b(same);
  RetryStrategy c(other);
  bool differs = false;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    const double x = a.Backoff(attempt);
    EXPECT_EQ(x, b.Backoff(attempt));
    differs = differs || x != c.Backoff(attempt);
  }
  EXPECT_TRUE(differs);
}

TEST(RetryQuotaTest, RetriesCostFiveOrTenAfterATimeoutAndStopAtMaxAttempts) {
  RetryStrategy retry;
  int taken = 0;
  ASSERT_TRUE(retry.NextDelay(1, RetryKind::kThrottling, &taken).has_value());
  EXPECT_EQ(taken, 5);
  EXPECT_EQ(retry.quota_available(), 495);
  ASSERT_TRUE(retry.NextDelay(2, RetryKind::kTimeout, &taken).has_value());
  EXPECT_EQ(taken, 10);
  EXPECT_EQ(retry.quota_available(), 485);
  EXPECT_FALSE(retry.NextDelay(3, RetryKind::kTransient, &taken).has_value()) << "3 attempts is the default";
  EXPECT_FALSE(retry.NextDelay(1, RetryKind::kNone, &taken).has_value());
  EXPECT_EQ(retry.quota_available(), 485);
}

TEST(RetryQuotaTest, SuccessRefundsTheLastRetryOrAddsOne) {
  RetryStrategy retry;
  int taken = 0;
  ASSERT_TRUE(retry.NextDelay(1, RetryKind::kTransient, &taken));
  ASSERT_TRUE(retry.NextDelay(2, RetryKind::kTimeout, &taken));
  EXPECT_EQ(retry.quota_available(), 485);
  retry.OnSuccess(taken);
  EXPECT_EQ(retry.quota_available(), 495);
  retry.OnSuccess(0);
  EXPECT_EQ(retry.quota_available(), 496);
  for (int i = 0; i < 10; ++i) retry.OnSuccess(0);
  EXPECT_EQ(retry.quota_available(), 500) << "never above the capacity";
}

TEST(RetryQuotaTest, AnEmptyQuotaStopsRetriesUntilSuccessesRefillIt) {
  RetryStrategy retry;
  int retries = 0;
  for (int call = 0; call < 200; ++call) {
    int taken = 0;
    if (retry.NextDelay(1, RetryKind::kTransient, &taken)) ++retries;
  }
  EXPECT_EQ(retries, 100);  // 500 / 5
  EXPECT_EQ(retry.quota_available(), 0);
  int taken = 0;
  EXPECT_FALSE(retry.NextDelay(1, RetryKind::kThrottling, &taken).has_value());
  for (int i = 0; i < 5; ++i) retry.OnSuccess(0);
  EXPECT_TRUE(retry.NextDelay(1, RetryKind::kThrottling, &taken).has_value());
  EXPECT_FALSE(retry.NextDelay(1, RetryKind::kTimeout, &taken).has_value()) << "a timeout retry needs 10";
}

}  // namespace
}  // namespace shoal::aws
