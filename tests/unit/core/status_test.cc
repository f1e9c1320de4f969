#include "core/status.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(StatusCode, RetryableCodesAreThoseTimeCanFix) {
  EXPECT_TRUE(IsRetryable(StatusCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(StatusCode::kThrottled));
  EXPECT_TRUE(IsRetryable(StatusCode::kInsufficientCapacity));
  EXPECT_TRUE(IsRetryable(StatusCode::kIoError));
  EXPECT_TRUE(IsRetryable(StatusCode::kNotFound));
  EXPECT_FALSE(IsRetryable(StatusCode::kPermissionDenied));
  EXPECT_FALSE(IsRetryable(StatusCode::kInvalidArgument));
  EXPECT_FALSE(IsRetryable(StatusCode::kLimitExceeded));
}

TEST(StatusCode, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kConflict); ++c) {
    EXPECT_NE(ToString(static_cast<StatusCode>(c)), "unknown") << c;
  }
  EXPECT_EQ(ToString(StatusCode::kThrottled), "throttled");
}

TEST(Status, WithContextKeepsTheCodeAndPrefixesTheMessage) {
  const Status s = Status::Throttled("slow down").WithContext("launching web");
  EXPECT_EQ(s.code(), StatusCode::kThrottled);
  EXPECT_EQ(s.message(), "launching web: slow down");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

}  // namespace
}  // namespace shoal
