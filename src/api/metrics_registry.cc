#include "api/metrics_registry.h"

#include <algorithm>
#include <limits>

namespace shoal {

MetricsRegistry::Handle MetricsRegistry::AddCounter(std::string name, std::string help,
                                                    std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  families_.push_back({std::move(name), std::move(help), false, std::move(label_names), {}, {}});
  return families_.size() - 1;
}

MetricsRegistry::Handle MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                      std::vector<std::string> label_names,
                                                      std::vector<double> buckets) {
  std::sort(buckets.begin(), buckets.end());
  std::lock_guard lock(mu_);
  families_.push_back({std::move(name), std::move(help), true, std::move(label_names), std::move(buckets), {}});
  return families_.size() - 1;
}

void MetricsRegistry::Increment(Handle counter, const std::vector<std::string>& label_values, double by) {
  std::lock_guard lock(mu_);
  families_.at(counter).series[label_values].value += by;
}

void MetricsRegistry::Observe(Handle histogram, const std::vector<std::string>& label_values, double value) {
  std::lock_guard lock(mu_);
  Family& f = families_.at(histogram);
  Series& s = f.series[label_values];
  if (s.buckets.empty()) s.buckets.assign(f.bounds.size(), 0);
  for (std::size_t i = 0; i < f.bounds.size(); ++i) {
    if (value <= f.bounds[i]) {
      s.buckets[i] += 1;
      break;
    }
  }
  s.sum += value;
  s.count += 1;
}

double MetricsRegistry::CounterValue(Handle counter, const std::vector<std::string>& label_values) const {
  std::lock_guard lock(mu_);
  const Family& f = families_.at(counter);
  const auto it = f.series.find(label_values);
  return it == f.series.end() ? 0 : it->second.value;
}

MetricLabels MetricsRegistry::Labels(const Family& f, const std::vector<std::string>& values) const {
  MetricLabels labels;
  for (std::size_t i = 0; i < f.label_names.size() && i < values.size(); ++i) {
    labels.emplace_back(f.label_names[i], values[i]);
  }
  return labels;
}

void MetricsRegistry::Render(PrometheusText* out) const {
  std::lock_guard lock(mu_);
  for (const Family& f : families_) {
    out->Family(f.name, f.histogram ? "histogram" : "counter", f.help);
    for (const auto& [values, s] : f.series) {
      MetricLabels labels = Labels(f, values);
      if (!f.histogram) {
        out->Sample(f.name, labels, s.value);
        continue;
      }
      double cumulative = 0;
      labels.emplace_back("le", "");
      for (std::size_t i = 0; i <= f.bounds.size(); ++i) {
        const bool inf = i == f.bounds.size();
        cumulative = inf ? s.count : cumulative + s.buckets[i];
        labels.back().second = FormatMetricValue(inf ? std::numeric_limits<double>::infinity() : f.bounds[i]);
        out->Sample(f.name + "_bucket", labels, cumulative);
      }
      labels.pop_back();
      out->Sample(f.name + "_sum", labels, s.sum);
      out->Sample(f.name + "_count", labels, s.count);
    }
  }
}

}  // namespace shoal
