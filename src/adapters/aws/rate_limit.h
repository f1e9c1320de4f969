// A client-side rate limit: one token bucket per key ("ec2:RunInstances"),
// so a large fleet's calls stay inside what EC2 allows instead of being
// refused with RequestLimitExceeded and retried.
//
// A caller takes its tokens at once, even into debt, and then waits until
// the debt is refilled; so callers are served in the order they came and
// never spin. A wait longer than `max_wait_seconds` is not made: the tokens
// are given back and the call fails as throttled, which the controller
// already backs off from. Waits go through the injected Sleeper.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/aws/sleeper.h"
#include "core/status.h"

namespace shoal::aws {

struct BucketSpec {
  double capacity = 0;           // tokens when full (the burst)
  double refill_per_second = 0;  // the sustained rate
};

struct RateLimitOptions {
  // Bucket per key "<service>:<Action>"; the resource buckets of EC2 are
  // "<service>:<Action>#resources" and are charged per instance.
  std::map<std::string, BucketSpec> buckets;
  // Keys of a service without a bucket of their own: "<service>:*". A key
  // with neither is not limited.
  double max_wait_seconds = 10;
};

// EC2's documented per-account, per-region buckets for the actions Shoal
// calls, from "Request throttling for the Amazon EC2 API"
// (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html),
// capacity / refill per second:
//   RunInstances        request 5 / 2,    resource (instances) 1000 / 2
//   TerminateInstances  request 100 / 5,  resource 1000 / 20
//   StartInstances      request 5 / 2,    resource 1000 / 2
//   StopInstances       mutating 50 / 5,  resource 1000 / 20
//   DescribeInstances, DescribeInstanceStatus, DescribeSpotInstanceRequests:
//                       50 / 10 (the smaller bucket for unfiltered and
//                       unpaginated calls; kept because the account's other
//                       tools share the budget)
//   CreateTags, DeleteTags  100 / 10
//   CancelSpotInstanceRequests, RequestSpotInstances  50 / 5 (resource-intensive)
//   other Describe*/Get*/List*: non-mutating 100 / 20; other actions: mutating 50 / 5
// ELBv2's non-mutating (Describe*) bucket, 40 / 10, from "Request throttling
// for the Elastic Load Balancing API"
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html),
// and CloudWatch's GetMetricData quota of 50 transactions per second. Their
// other actions are left to the server's throttling and the retries.
RateLimitOptions DefaultRateLimits();

class RateLimiter {
 public:
  RateLimiter(RateLimitOptions options, Sleeper* sleeper);

  // Takes `cost` tokens of `key`'s bucket, waiting for them when needed.
  // kThrottled when the wait would exceed max_wait_seconds;
  // kInvalidArgument when `cost` is more than the bucket ever holds.
  Status Acquire(const std::string& key, double cost = 1);

  // The bucket that serves `key`, if any (exact key, else "<service>:*").
  std::optional<BucketSpec> SpecFor(const std::string& key) const;

 private:
  struct Bucket {
    BucketSpec spec;
    double tokens = 0;
    double updated = 0;  // Sleeper::Now() of the last refill
  };

  RateLimitOptions options_;
  Sleeper* sleeper_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;  // created full on first use
};

}  // namespace shoal::aws
