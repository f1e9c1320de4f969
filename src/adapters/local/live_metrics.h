// The Metrics port for the live cluster: the daemon samples each group every
// tick (CPU of its in-service instances, request rate of its backend, the
// load balancer's response counters of each instance) and this folds the
// samples into one-minute datapoints, as CloudWatch does, and into what each
// release answered per minute (ReadReleases, for a deploy's canary analysis).
// Thread-safe: sampled by the loop, read by the loop and the API.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/instance.h"
#include "ports/traffic.h"

namespace shoal {

// The load balancer's counters of one instance at a sample, with the
// release it runs. responses and errors are cumulative since the load
// balancer started counting for it; response_ms is a recent mean (HAProxy's
// rtime: over the server's last 1024 requests), not a cumulative sum.
struct InstanceCounters {
  InstanceId id;
  int version = 0;
  std::int64_t responses = 0;
  std::int64_t errors = 0;  // 5xx, of responses
  double response_ms = 0;
};

class LiveMetrics final : public Metrics {
 public:
  explicit LiveMetrics(std::size_t keep_minutes = 180) : keep_minutes_(keep_minutes) {}

  // One observation at `now` covering the last `seconds`: the CPU percent of
  // each in-service instance, the capacity units serving, and the requests
  // per second the group's share of the load balancer handled.
  void Sample(const std::string& group, Seconds now, Seconds seconds, const std::vector<double>& cpu_percent,
              double serving_units, double requests_per_second);

  // The counters of the group's instances at `now`. Each instance's change
  // since its previous sample is added to the minute of `now`, under its
  // release: responses and 5xx as counted, and response time as
  // response_ms × the responses of the change (an approximation: the mean
  // is HAProxy's over the last 1024 requests, not over this change alone).
  // The first sample of an instance is a baseline and adds nothing; a
  // counter lower than before is a reset (load balancer restarted, server
  // re-added), after which the current counts are what the instance
  // answered since. Instances absent from a sample are forgotten.
  void SampleReleases(const std::string& group, Seconds now, const std::vector<InstanceCounters>& instances);

  Datapoint Read(const std::string& group, MetricName metric, std::int64_t minute) override;
  // One entry per release with an instance sampled in `minute` (requests 0
  // when none of them answered), ordered by version; empty for a minute
  // never sampled.
  std::vector<ReleaseTraffic> ReadReleases(const std::string& group, std::int64_t minute) override;

 private:
  struct Minute {
    Datapoint cpu;
    double requests = 0;
    double unit_seconds = 0;
    std::map<int, ReleaseTraffic> releases;  // by version
  };
  struct Last {
    std::int64_t responses = 0;
    std::int64_t errors = 0;
  };
  Minute& MinuteAt(const std::string& group, Seconds now);

  std::mutex mu_;
  std::size_t keep_minutes_;
  std::map<std::string, std::map<std::int64_t, Minute>> minutes_;
  std::map<std::string, std::map<InstanceId, Last>> last_counters_;  // per group
};

}  // namespace shoal
