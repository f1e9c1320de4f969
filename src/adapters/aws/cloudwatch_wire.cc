#include "adapters/aws/cloudwatch_wire.h"

#include <charconv>
#include <cmath>
#include <optional>

#include "adapters/aws/ec2_wire.h"
#include "adapters/data/iso_time.h"

namespace shoal::aws {
namespace {

std::optional<double> ParseValue(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// What follows `marker` in an ARN, or the text itself when it is no ARN.
std::string AfterInArn(const std::string& text, const std::string& marker) {
  if (text.rfind("arn:", 0) != 0) return text;
  const auto at = text.find(marker);
  return at == std::string::npos ? text : text.substr(at + marker.size());
}

}  // namespace

Params GetMetricDataParams(const std::vector<MetricQuery>& queries, Seconds start, Seconds end,
                           const std::string& next_token) {
  Params p = {{"StartTime", FormatIsoUtc(start)}, {"EndTime", FormatIsoUtc(end)}};
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const MetricQuery& q = queries[i];
    const std::string member = "MetricDataQueries.member." + std::to_string(i + 1);
    const std::string stat = member + ".MetricStat";
    p.emplace_back(member + ".Id", q.id);
    p.emplace_back(stat + ".Metric.Namespace", q.name_space);
    p.emplace_back(stat + ".Metric.MetricName", q.metric);
    for (std::size_t d = 0; d < q.dimensions.size(); ++d) {
      const std::string dim = stat + ".Metric.Dimensions.member." + std::to_string(d + 1);
      p.emplace_back(dim + ".Name", q.dimensions[d].first);
      p.emplace_back(dim + ".Value", q.dimensions[d].second);
    }
    p.emplace_back(stat + ".Period", std::to_string(q.period));
    p.emplace_back(stat + ".Stat", q.stat);
  }
  if (!next_token.empty()) p.emplace_back("NextToken", next_token);
  return p;
}

MetricDataPage ParseMetricData(const XmlNode& root, Seconds start, Seconds end) {
  MetricDataPage page;
  const XmlNode result = root.Child("GetMetricDataResult");
  for (const XmlNode& m : result.All("MetricDataResults/member")) {
    const std::string id = m.Text("Id");
    if (id.empty()) continue;
    std::vector<double>& values = page.values[id];
    const std::vector<XmlNode> stamps = m.All("Timestamps/member");
    const std::vector<XmlNode> numbers = m.All("Values/member");
    // Timestamps and values pair up by position.
    for (std::size_t i = 0; i < stamps.size() && i < numbers.size(); ++i) {
      const auto at = ParseEc2Time(stamps[i].Text());
      const auto value = ParseValue(numbers[i].Text());
      if (at.ok() && value && *at >= start && *at < end) values.push_back(*value);
    }
  }
  page.next_token = result.Text("NextToken");
  return page;
}

std::string TargetGroupDimension(const std::string& arn_or_value) {
  // The dimension keeps the "targetgroup/" prefix.
  const std::string rest = AfterInArn(arn_or_value, ":targetgroup/");
  return rest == arn_or_value ? rest : "targetgroup/" + rest;
}

std::string LoadBalancerDimension(const std::string& arn_or_value) {
  return AfterInArn(arn_or_value, ":loadbalancer/");
}

}  // namespace shoal::aws
