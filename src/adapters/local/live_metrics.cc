#include "adapters/local/live_metrics.h"

#include <algorithm>

namespace shoal {

LiveMetrics::Minute& LiveMetrics::MinuteAt(const std::string& group, Seconds now) {
  auto& series = minutes_[group];
  Minute& m = series[MinuteOf(now)];
  // Trimming never removes `m`: the newest minute is the last to go.
  while (series.size() > keep_minutes_ && series.begin()->first != MinuteOf(now)) series.erase(series.begin());
  return m;
}

void LiveMetrics::Sample(const std::string& group, Seconds now, Seconds seconds,
                         const std::vector<double>& cpu_percent, double serving_units,
                         double requests_per_second) {
  std::lock_guard<std::mutex> lock(mu_);
  Minute& m = MinuteAt(group, now);
  for (double c : cpu_percent) m.cpu.Merge(Datapoint::Single(c));
  m.requests += requests_per_second * static_cast<double>(seconds);
  m.unit_seconds += serving_units * static_cast<double>(seconds);
}

void LiveMetrics::SampleReleases(const std::string& group, Seconds now,
                                 const std::vector<InstanceCounters>& instances) {
  std::lock_guard<std::mutex> lock(mu_);
  Minute& m = MinuteAt(group, now);
  std::map<InstanceId, Last>& last = last_counters_[group];
  std::map<InstanceId, Last> next;
  for (const InstanceCounters& in : instances) {
    ReleaseTraffic& traffic = m.releases[in.version];
    traffic.version = in.version;
    next[in.id] = {in.responses, in.errors};
    const auto before = last.find(in.id);
    if (before == last.end()) continue;  // a baseline
    std::int64_t responses = in.responses - before->second.responses;
    std::int64_t errors = in.errors - before->second.errors;
    if (responses < 0 || errors < 0) {
      // Restarted from 0 since the last sample: what it shows now was
      // answered since (what it answered before the reset is lost).
      responses = in.responses;
      errors = in.errors;
    }
    responses = std::max<std::int64_t>(responses, 0);
    errors = std::clamp<std::int64_t>(errors, 0, responses);
    traffic.requests += static_cast<double>(responses);
    traffic.errors += static_cast<double>(errors);
    traffic.response_ms_sum += std::max(in.response_ms, 0.0) * static_cast<double>(responses);
  }
  last.swap(next);
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

std::vector<ReleaseTraffic> LiveMetrics::ReadReleases(const std::string& group, std::int64_t minute) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ReleaseTraffic> out;
  const auto g = minutes_.find(group);
  if (g == minutes_.end()) return out;
  const auto m = g->second.find(minute);
  if (m == g->second.end()) return out;
  for (const auto& [version, traffic] : m->second.releases) out.push_back(traffic);
  return out;
}

}  // namespace shoal
