#include "core/metric.h"

#include <algorithm>

#include "core/enum_names.h"

namespace shoal {

std::string_view ToString(MetricName m) {
  switch (m) {
    case MetricName::kCpuUtilization:
      return "cpu_utilization";
    case MetricName::kRequestCountPerTarget:
      return "request_count_per_target";
  }
  return "unknown";
}

bool ParseMetricName(std::string_view text, MetricName* out) {
  return ParseEnumName(text, {MetricName::kCpuUtilization, MetricName::kRequestCountPerTarget}, out);
}

void Datapoint::Merge(const Datapoint& o) {
  if (o.missing()) return;
  if (missing()) {
    // A missing point's min/max are placeholders, not samples; they must not
    // leak into the merged extremes.
    *this = o;
    return;
  }
  sum += o.sum;
  count += o.count;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

void MetricHistory::Record(std::int64_t minute, const Datapoint& d) {
  if (capacity_ == 0) return;
  if (points_.empty()) {
    first_minute_ = minute;
    points_.push_back(d);
    return;
  }
  const std::int64_t latest = *latest_minute();
  if (minute < latest) return;  // late data for a minute already passed over
  if (minute == latest) {
    points_.back().Merge(d);
    return;
  }
  // A gap wider than the window leaves nothing worth keeping; start afresh
  // rather than pushing up to `capacity` placeholder minutes one by one.
  if (static_cast<std::uint64_t>(minute - latest) >= capacity_) {
    points_.clear();
    first_minute_ = minute;
    points_.push_back(d);
    return;
  }
  for (std::int64_t m = latest + 1; m < minute; ++m) points_.push_back(Datapoint{});
  points_.push_back(d);
  while (points_.size() > capacity_) {
    points_.pop_front();
    ++first_minute_;
  }
}

std::optional<Datapoint> MetricHistory::At(std::int64_t minute) const {
  if (points_.empty() || minute < first_minute_) return std::nullopt;
  const auto index = static_cast<std::uint64_t>(minute - first_minute_);
  if (index >= points_.size()) return std::nullopt;
  const Datapoint& d = points_[index];
  if (d.missing()) return std::nullopt;
  return d;
}

std::optional<std::int64_t> MetricHistory::latest_minute() const {
  if (points_.empty()) return std::nullopt;
  return first_minute_ + static_cast<std::int64_t>(points_.size()) - 1;
}

}  // namespace shoal
