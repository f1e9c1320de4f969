#include "adapters/aws/rate_limit.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace shoal::aws {

RateLimitOptions DefaultRateLimits() {
  RateLimitOptions options;
  auto& b = options.buckets;
  b["ec2:RunInstances"] = {5, 2};
  b["ec2:RunInstances#resources"] = {1000, 2};
  b["ec2:TerminateInstances"] = {100, 5};
  b["ec2:TerminateInstances#resources"] = {1000, 20};
  b["ec2:StartInstances"] = {5, 2};
  b["ec2:StartInstances#resources"] = {1000, 2};
  b["ec2:StopInstances"] = {50, 5};
  b["ec2:StopInstances#resources"] = {1000, 20};
  b["ec2:DescribeInstances"] = {50, 10};
  b["ec2:DescribeInstanceStatus"] = {50, 10};
  b["ec2:DescribeSpotInstanceRequests"] = {50, 10};
  b["ec2:CreateTags"] = {100, 10};
  b["ec2:DeleteTags"] = {100, 10};
  b["ec2:CancelSpotInstanceRequests"] = {50, 5};
  b["ec2:RequestSpotInstances"] = {50, 5};
  b["ec2:Describe*"] = {100, 20};
  b["ec2:Get*"] = {100, 20};
  b["ec2:List*"] = {100, 20};
  b["ec2:*"] = {50, 5};
  b["elbv2:Describe*"] = {40, 10};
  b["cloudwatch:GetMetricData"] = {50, 50};
  return options;
}

RateLimiter::RateLimiter(RateLimitOptions options, Sleeper* sleeper)
    : options_(std::move(options)), sleeper_(sleeper) {}

std::optional<BucketSpec> RateLimiter::SpecFor(const std::string& key) const {
  if (auto it = options_.buckets.find(key); it != options_.buckets.end()) return it->second;
  const auto colon = key.find(':');
  if (colon == std::string::npos || key.find('#') != std::string::npos) return std::nullopt;
  const std::string service = key.substr(0, colon + 1);
  const std::string action = key.substr(colon + 1);
  for (const char* prefix : {"Describe", "Get", "List"}) {
    if (action.rfind(prefix, 0) == 0) {
      if (auto it = options_.buckets.find(service + prefix + "*"); it != options_.buckets.end()) return it->second;
    }
  }
  if (auto it = options_.buckets.find(service + "*"); it != options_.buckets.end()) return it->second;
  return std::nullopt;
}

Status RateLimiter::Acquire(const std::string& key, double cost) {
  const std::optional<BucketSpec> spec = SpecFor(key);
  if (!spec || cost <= 0) return Status::Ok();
  if (cost > spec->capacity || spec->refill_per_second <= 0) {
    return Status::InvalidArgument("rate limit " + key + ": " + std::to_string(cost) +
                                   " tokens asked, the bucket holds " + std::to_string(spec->capacity));
  }
  double wait = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const double now = sleeper_->Now();
    auto [it, created] = buckets_.try_emplace(key, Bucket{*spec, spec->capacity, now});
    Bucket& bucket = it->second;
    bucket.tokens = std::min(bucket.spec.capacity,
                             bucket.tokens + (now - bucket.updated) * bucket.spec.refill_per_second);
    bucket.updated = now;
    const double after = bucket.tokens - cost;
    wait = after >= 0 ? 0 : -after / bucket.spec.refill_per_second;
    if (wait > options_.max_wait_seconds) {
      char text[64];
      std::snprintf(text, sizeof(text), "%.1f", wait);
      return Status::Throttled("client-side rate limit for " + key + ": the next token is " + text + " s away");
    }
    bucket.tokens = after;
  }
  sleeper_->Sleep(wait);
  return Status::Ok();
}

}  // namespace shoal::aws
