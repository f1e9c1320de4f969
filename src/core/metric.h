// One-minute datapoints and the history an alarm reads.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

namespace shoal {

enum class MetricName : std::uint8_t {
  kCpuUtilization,         // group average CPU of in-service, warmed-up instances, percent
  kRequestCountPerTarget,  // requests per minute per in-service instance (capacity unit)
};

std::string_view ToString(MetricName m);
bool ParseMetricName(std::string_view text, MetricName* out);

// The aggregate of the samples of one minute (like a CloudWatch statistic set).
// count == 0 means the minute is missing.
struct Datapoint {
  double sum = 0;
  double min = 0;
  double max = 0;
  double count = 0;

  static Datapoint Single(double v) { return {v, v, v, 1}; }
  bool missing() const { return count <= 0; }
  void Merge(const Datapoint& o);
};

// Per-minute datapoints of one metric, keeping the most recent `capacity`
// minutes. Minutes never recorded read as missing.
class MetricHistory {
 public:
  explicit MetricHistory(std::size_t capacity = 64) : capacity_(capacity) {}
  // Minutes must be recorded in non-decreasing order; recording the same
  // minute again merges into it. A minute older than the latest is ignored; a gap
  // between recorded minutes reads as missing.
  void Record(std::int64_t minute, const Datapoint& d);
  // nullopt when the minute is missing (never recorded, recorded with
  // count 0, or outside the kept window); otherwise its datapoint.
  std::optional<Datapoint> At(std::int64_t minute) const;
  std::optional<std::int64_t> latest_minute() const;

 private:
  std::size_t capacity_;
  std::int64_t first_minute_ = 0;
  std::deque<Datapoint> points_;  // points_[i] is minute first_minute_ + i
};

// What the instances of one release answered in one minute, as the load
// balancer saw it: the evidence a deploy's canary analysis compares (the
// new release against the old over the same minutes).
struct ReleaseTraffic {
  int version = 0;             // the release (0: instances that boot none)
  double requests = 0;         // responses sent
  double errors = 0;           // of them, 5xx
  double response_ms_sum = 0;  // their response times added up (mean = sum / requests)

  void Merge(const ReleaseTraffic& o) {
    requests += o.requests;
    errors += o.errors;
    response_ms_sum += o.response_ms_sum;
  }
};

}  // namespace shoal
