// The service's own counters, exposed on GET /metrics in the Prometheus text
// format so any scraper (or Shoal's metrics adapter) can read them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace shoal::web {

class WebMetrics {
 public:
  void RequestStarted() { in_flight_.fetch_add(1); }
  // Called once the answer is ready; `cpu_seconds` is what the request burnt.
  void RequestFinished(double cpu_seconds);

  // Numbers the requests to / in the order they arrive, from 1.
  uint64_t NextRequestNumber() { return arrivals_.fetch_add(1) + 1; }
  void ErrorAnswered() { errors_.fetch_add(1); }

  uint64_t requests() const { return requests_.load(); }
  uint64_t errors() const { return errors_.load(); }
  int64_t in_flight() const { return in_flight_.load(); }

  // # HELP / # TYPE, then one "name value" line per metric.
  std::string RenderPrometheus() const;

 private:
  std::atomic<uint64_t> arrivals_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> errors_{0};
  // Nanoseconds, so the counter stays an exact integer under concurrency.
  std::atomic<uint64_t> cpu_nanoseconds_{0};
  std::atomic<int64_t> in_flight_{0};
};

// Counts a request as in flight for as long as it lives.
class InFlightScope {
 public:
  explicit InFlightScope(WebMetrics& metrics) : metrics_(metrics) { metrics_.RequestStarted(); }
  ~InFlightScope() { metrics_.RequestFinished(cpu_seconds_); }
  InFlightScope(const InFlightScope&) = delete;
  InFlightScope& operator=(const InFlightScope&) = delete;

  void SetCpuSeconds(double seconds) { cpu_seconds_ = seconds; }

 private:
  WebMetrics& metrics_;
  double cpu_seconds_ = 0;
};

}  // namespace shoal::web
