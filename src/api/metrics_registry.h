// A small thread-safe registry of counters and histograms for /metrics:
// families are declared once (name, help, label names, buckets); series are
// made on first use from their label values. One mutex guards it all: the
// writers are the loop thread (once a tick) and the API threads (once a
// request), few enough that a lock costs nothing measurable. Gauges are not
// kept here: they are read from the daemon's published snapshot at scrape
// time (daemon_metrics.h).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "api/prometheus_text.h"

namespace shoal {

class MetricsRegistry {
 public:
  using Handle = std::size_t;

  Handle AddCounter(std::string name, std::string help, std::vector<std::string> label_names);
  // `buckets`: upper bounds, ascending; +Inf is added.
  Handle AddHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                      std::vector<double> buckets);

  // `label_values` in the order of the family's label names.
  void Increment(Handle counter, const std::vector<std::string>& label_values, double by = 1);
  void Observe(Handle histogram, const std::vector<std::string>& label_values, double value);
  // A counter's value (0 when the series does not exist yet), for tests.
  double CounterValue(Handle counter, const std::vector<std::string>& label_values) const;

  // Every family, in the order declared; series sorted by label values.
  void Render(PrometheusText* out) const;

 private:
  struct Series {
    double value = 0;               // counter
    std::vector<double> buckets;    // histogram: per bound, not cumulative
    double sum = 0;
    double count = 0;
  };
  struct Family {
    std::string name, help;
    bool histogram = false;
    std::vector<std::string> label_names;
    std::vector<double> bounds;
    std::map<std::vector<std::string>, Series> series;
  };
  MetricLabels Labels(const Family& f, const std::vector<std::string>& values) const;

  mutable std::mutex mu_;
  std::vector<Family> families_;
};

}  // namespace shoal
