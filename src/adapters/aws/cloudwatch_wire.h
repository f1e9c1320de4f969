// CloudWatch's query-protocol side of CloudWatchMetrics, kept free of I/O
// so it can be tested on canned answers: the parameters of GetMetricData,
// reading its answer, and the dimension values ELB's metrics are named by.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/xml.h"
#include "core/time.h"

namespace shoal::aws {

// GetMetricData takes at most this many queries per call.
inline constexpr std::size_t kMaxMetricQueries = 500;

// One MetricStat query of GetMetricData.
struct MetricQuery {
  std::string id;  // [a-z][A-Za-z0-9_]*: names the result
  std::string name_space;
  std::string metric;
  std::vector<std::pair<std::string, std::string>> dimensions;
  std::string stat;  // Average, Sum, ...
  int period = 60;
};

// GetMetricData of `queries` over [start, end) (Unix seconds), one page.
Params GetMetricDataParams(const std::vector<MetricQuery>& queries, Seconds start, Seconds end,
                           const std::string& next_token);

// What one page of a GetMetricData answer says.
struct MetricDataPage {
  // Per query id, the values stamped within [start, end) (a query with no
  // data has none). Values of other periods, or unreadable ones, are left out.
  std::map<std::string, std::vector<double>> values;
  std::string next_token;  // "" on the last page
};

MetricDataPage ParseMetricData(const XmlNode& root, Seconds start, Seconds end);

// ELB's CloudWatch dimension values, from an ARN or the value itself:
//   arn:...:targetgroup/web/73e2d6bc24d8a067        -> targetgroup/web/73e2d6bc24d8a067
//   arn:...:loadbalancer/app/front/50dc6c495c0c9188 -> app/front/50dc6c495c0c9188
std::string TargetGroupDimension(const std::string& arn_or_value);
std::string LoadBalancerDimension(const std::string& arn_or_value);

}  // namespace shoal::aws
