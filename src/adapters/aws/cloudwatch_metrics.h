// CloudWatchMetrics: the Metrics port on Amazon CloudWatch, through the
// shared AwsClient.
//
// A group's minute M is the period [M*60, M*60+60):
//   kCpuUtilization        AWS/EC2 CPUUtilization, Average, per instance the
//                          group has in service (asked of `instances_of`),
//                          merged: sum of the averages, min, max, count =
//                          instances with data (the group's mean is sum/count)
//   kRequestCountPerTarget AWS/ApplicationELB RequestCountPerTarget, Sum, by
//                          TargetGroup (and LoadBalancer when given)
// One GetMetricData (more past 500 queries, and its pages) fetches both for
// a group and minute; the answer is kept, so the reconciler's two Reads of
// a minute make one call. A minute with no data reads as missing (count 0).
//
// CloudWatch publishes with a delay (EC2's one-minute data needs detailed
// monitoring and lands a few minutes late): the caller chooses how far
// behind the clock it reads. A minute that has not ended reads as missing
// without a call. A failed call reads as missing too (Read returns no
// Status) and is kept like an answer; it is logged once per streak of
// failures, and the recovery once.
//
// Thread-safe: one mutex, held through the calls, so two Reads of one
// minute never ask twice.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/cloudwatch_wire.h"
#include "ports/clock.h"
#include "ports/log.h"
#include "ports/traffic.h"

namespace shoal::aws {

struct CloudWatchGroupOptions {
  std::string target_group;   // ARN or "targetgroup/<name>/<id>"; "" reads requests as missing
  std::string load_balancer;  // ARN or "app/<name>/<id>"; "" queries the TargetGroup dimension alone
};

struct CloudWatchMetricsOptions {
  std::map<std::string, CloudWatchGroupOptions> groups;
  // The EC2 instance ids a group has in service now (the daemon answers from its state).
  std::function<std::vector<std::string>(const std::string& group)> instances_of;
  std::size_t kept_minutes = 8;  // answers kept per group, newest minutes
};

class CloudWatchMetrics final : public Metrics {
 public:
  // `client`, `clock` and `log` (may be null) must outlive it.
  CloudWatchMetrics(CloudWatchMetricsOptions options, AwsClient* client, const Clock* clock, Logger* log);

  Datapoint Read(const std::string& group, MetricName metric, std::int64_t minute) override;

  // New groups (after `shoal apply`); answers kept for the old ones stay.
  void SetGroups(std::map<std::string, CloudWatchGroupOptions> groups);

 private:
  struct Minute {
    Datapoint cpu;
    Datapoint requests;
  };

  // Both metrics of `group` for `minute`, through GetMetricData.
  Result<Minute> Fetch(const std::string& group, std::int64_t minute);
  void Keep(const std::string& group, std::int64_t minute, const Minute& answer);

  CloudWatchMetricsOptions options_;
  AwsClient* client_;
  const Clock* clock_;
  Logger* log_;

  std::mutex mu_;  // guards what follows, and serialises the calls
  std::map<std::pair<std::string, std::int64_t>, Minute> kept_;
  bool failing_ = false;  // the last call failed (logged once per streak)
};

}  // namespace shoal::aws
