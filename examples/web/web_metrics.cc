#include "web_metrics.h"

#include <cstdio>

namespace shoal::web {
namespace {

void AppendMetric(std::string& out, const char* name, const char* type, const char* help,
                  const std::string& value) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
  out += std::string(name) + " " + value + "\n";
}

std::string FormatSeconds(uint64_t nanoseconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(nanoseconds) * 1e-9);
  return buf;
}

}  // namespace

void WebMetrics::RequestFinished(double cpu_seconds) {
  cpu_nanoseconds_.fetch_add(static_cast<uint64_t>(cpu_seconds * 1e9));
  requests_.fetch_add(1);
  in_flight_.fetch_sub(1);
}

std::string WebMetrics::RenderPrometheus() const {
  std::string out;
  AppendMetric(out, "shoal_web_requests_total", "counter",
               "Requests to / answered since start.", std::to_string(requests_.load()));
  AppendMetric(out, "shoal_web_errors_total", "counter",
               "Requests to / answered 500 (--error-percent) since start.", std::to_string(errors_.load()));
  AppendMetric(out, "shoal_web_request_cpu_seconds_total", "counter",
               "CPU seconds burnt serving requests to /.", FormatSeconds(cpu_nanoseconds_.load()));
  AppendMetric(out, "shoal_web_in_flight", "gauge", "Requests to / being served now.",
               std::to_string(in_flight_.load()));
  return out;
}

}  // namespace shoal::web
