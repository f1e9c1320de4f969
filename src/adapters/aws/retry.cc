#include "adapters/aws/retry.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "adapters/aws/errors.h"

namespace shoal::aws {
namespace {

// botocore's ThrottledRetryableChecker list.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",         "ThrottlingException",     "ThrottledException",
    "RequestThrottledException", "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException"};

// botocore's TransientRetryableChecker codes and statuses.
constexpr std::array<std::string_view, 3> kTransientCodes = {"RequestTimeout", "RequestTimeoutException",
                                                             "PriorRequestNotComplete"};
constexpr std::array<long, 4> kTransientStatuses = {500, 502, 503, 504};

template <typename List, typename T>
bool Contains(const List& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

RetryKind ClassifyRetry(bool connection_failed, bool timed_out, long http_status, std::string_view code) {
  if (timed_out) return RetryKind::kTimeout;
  if (connection_failed) return RetryKind::kTransient;
  if (Contains(kThrottlingCodes, code)) return RetryKind::kThrottling;
  if (!code.empty()) {
    const StatusCode mapped = MapAwsError(code, http_status);
    if (mapped == StatusCode::kInsufficientCapacity || mapped == StatusCode::kLimitExceeded) return RetryKind::kNone;
  }
  if (Contains(kTransientCodes, code) || Contains(kTransientStatuses, http_status)) return RetryKind::kTransient;
  return RetryKind::kNone;
}

RetryStrategy::RetryStrategy(RetryOptions options)
    : options_(options), quota_(options.quota_capacity), rng_(options.seed) {}

double RetryStrategy::Backoff(int attempt) {
  std::uint64_t draw = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    draw = rng_();
  }
  // 53 random bits -> [0, 1): the same on every platform, unlike
  // std::uniform_real_distribution.
  const double unit = static_cast<double>(draw >> 11) * 0x1.0p-53;
  const double ceiling = std::min(std::ldexp(1.0, std::clamp(attempt - 1, 0, 62)), options_.max_backoff_seconds);
  return unit * ceiling;
}

std::optional<double> RetryStrategy::NextDelay(int attempt, RetryKind kind, int* taken) {
  if (kind == RetryKind::kNone || attempt >= options_.max_attempts) return std::nullopt;
  const int cost = kind == RetryKind::kTimeout ? options_.timeout_retry_cost : options_.retry_cost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cost > quota_) return std::nullopt;
    quota_ -= cost;
  }
  *taken = cost;
  return Backoff(attempt);
}

void RetryStrategy::OnSuccess(int taken) {
  std::lock_guard<std::mutex> lock(mu_);
  const int refund = taken > 0 ? taken : options_.success_increment;
  quota_ = std::min(options_.quota_capacity, quota_ + refund);
}

int RetryStrategy::quota_available() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quota_;
}

}  // namespace shoal::aws
