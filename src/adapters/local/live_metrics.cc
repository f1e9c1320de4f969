#include "adapters/local/live_metrics.h"

namespace shoal {

void LiveMetrics::Sample(const std::string& group, Seconds now, Seconds seconds,
                         const std::vector<double>& cpu_percent, double serving_units,
                         double requests_per_second) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& series = minutes_[group];
  Minute& m = series[MinuteOf(now)];
  for (double c : cpu_percent) m.cpu.Merge(Datapoint::Single(c));
  m.requests += requests_per_second * static_cast<double>(seconds);
  m.unit_seconds += serving_units * static_cast<double>(seconds);
  while (series.size() > keep_minutes_) series.erase(series.begin());
}

Datapoint LiveMetrics::Read(const std::string& group, MetricName metric, std::int64_t minute) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto g = minutes_.find(group);
  if (g == minutes_.end()) return {};
  const auto m = g->second.find(minute);
  if (m == g->second.end()) return {};
  if (metric == MetricName::kCpuUtilization) return m->second.cpu;
  if (m->second.unit_seconds <= 0) return {};
  // Requests in the minute per capacity unit that served through it.
  const double per_target = m->second.requests / (m->second.unit_seconds / 60.0);
  return Datapoint::Single(per_target);
}

}  // namespace shoal
