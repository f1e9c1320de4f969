// The Metrics port for the live cluster: the daemon samples each group every
// tick (CPU of its in-service instances, request rate of its backend) and
// this folds the samples into one-minute datapoints, as CloudWatch does.
// Thread-safe: sampled by the loop, read by the loop and the API.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ports/traffic.h"

namespace shoal {

class LiveMetrics final : public Metrics {
 public:
  explicit LiveMetrics(std::size_t keep_minutes = 180) : keep_minutes_(keep_minutes) {}

  // One observation at `now` covering the last `seconds`: the CPU percent of
  // each in-service instance, the capacity units serving, and the requests
  // per second the group's share of the load balancer handled.
  void Sample(const std::string& group, Seconds now, Seconds seconds, const std::vector<double>& cpu_percent,
              double serving_units, double requests_per_second);

  Datapoint Read(const std::string& group, MetricName metric, std::int64_t minute) override;

 private:
  struct Minute {
    Datapoint cpu;
    double requests = 0;
    double unit_seconds = 0;
  };
  std::mutex mu_;
  std::size_t keep_minutes_;
  std::map<std::string, std::map<std::int64_t, Minute>> minutes_;
};

}  // namespace shoal
