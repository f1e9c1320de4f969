// AWS's "standard" retry mode, as the SDKs implement it (botocore's
// retries/standard.py and retries/quota.py, before its 2025 "new retries"):
//   - at most `max_attempts` attempts (3) per call
//   - retried: throttling codes (Throttling, RequestLimitExceeded, SlowDown,
//     ...), transient ones (RequestTimeout, PriorRequestNotComplete), HTTP
//     500/502/503/504, and connection failures and timeouts
//   - except (Shoal's choice): a code the error table calls a capacity
//     shortage or a quota (InsufficientInstanceCapacity, ...) is not
//     retried even when EC2 sends it with a 5xx, as it does; the controller
//     moves to another pool at once instead of waiting here
//   - the wait before retry i (1-based) is rand[0,1) * min(2^(i-1), 20) s:
//     exponential backoff with full jitter, capped at 20 s
//   - a retry quota shared by every call of the client: 500 tokens; a retry
//     costs 5 (10 after a timeout) and is not made when the quota cannot pay;
//     a call that succeeds gives back what its last retry took, or 1 when
//     it was not retried (botocore and the Go SDK refund only the last). So an outage turns into fast failures instead of
//     three times the traffic.
// The random numbers come from a seeded std::mt19937_64. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

namespace shoal::aws {

struct RetryOptions {
  int max_attempts = 3;
  double max_backoff_seconds = 20;
  int quota_capacity = 500;
  int retry_cost = 5;
  int timeout_retry_cost = 10;
  int success_increment = 1;
  std::uint64_t seed = 1;
};

enum class RetryKind {
  kNone,        // not retryable
  kThrottling,  // a throttling code
  kTransient,   // a transient code, a 5xx, a broken connection
  kTimeout,     // the request timed out (costs more quota)
};

// What the retry strategy makes of one failed attempt. `connection_failed`
// and `timed_out` describe a transport failure (no response); otherwise
// `http_status` and `code` are the response's.
RetryKind ClassifyRetry(bool connection_failed, bool timed_out, long http_status, std::string_view code);

class RetryStrategy {
 public:
  explicit RetryStrategy(RetryOptions options = {});

  // After attempt `attempt` (1-based) failed with `kind`: the seconds to wait
  // before the next attempt, or nullopt when the call must stop (not
  // retryable, attempts used up, or the quota cannot pay). The quota this
  // retry took goes to *taken, which the call hands to OnSuccess.
  std::optional<double> NextDelay(int attempt, RetryKind kind, int* taken);

  // The call succeeded; `taken` is what its last retry took (0: none).
  void OnSuccess(int taken);

  // The jittered backoff before retry `attempt` (1-based).
  double Backoff(int attempt);

  int quota_available() const;
  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  mutable std::mutex mu_;
  int quota_;
  std::mt19937_64 rng_;
};

}  // namespace shoal::aws
