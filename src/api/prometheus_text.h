// Prometheus' text exposition format (version 0.0.4), hand-written: a
// family is announced once by its # HELP and # TYPE lines and its samples
// follow it together. Label values escape backslash, double quote and line
// feed; HELP text escapes backslash and line feed; values are Go-style floats
// (+Inf, -Inf, NaN). Used by the daemon's /metrics (daemon_metrics.h).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// The shortest text that reads back as the same double; integers without a
// fraction ("3", not "3.0"); +Inf, -Inf, NaN.
std::string FormatMetricValue(double value);

class PrometheusText {
 public:
  // Starts a family: type is counter, gauge or histogram.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample line: name{labels} value. For a histogram, name carries its
  // _bucket / _sum / _count suffix.
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The text's media type, as Prometheus expects it.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace shoal
