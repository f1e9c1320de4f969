#include "adapters/aws/cloudwatch_metrics.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace shoal::aws {
namespace {

// Pages of one GetMetricData batch read at most.
constexpr int kMaxPages = 100;
constexpr const char* kRequestsId = "requests";

std::string CpuId(std::size_t i) { return "cpu" + std::to_string(i); }

double Mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

}  // namespace

CloudWatchMetrics::CloudWatchMetrics(CloudWatchMetricsOptions options, AwsClient* client, const Clock* clock,
                                     Logger* log)
    : options_(std::move(options)), client_(client), clock_(clock), log_(log) {}

Result<CloudWatchMetrics::Minute> CloudWatchMetrics::Fetch(const std::string& group, std::int64_t minute) {
  const Seconds start = minute * kMinute;
  const Seconds end = start + kMinute;
  const std::vector<std::string> instances =
      options_.instances_of ? options_.instances_of(group) : std::vector<std::string>{};
  std::vector<MetricQuery> queries;
  queries.reserve(instances.size() + 1);
  for (std::size_t i = 0; i < instances.size(); ++i) {
    queries.push_back({CpuId(i), "AWS/EC2", "CPUUtilization", {{"InstanceId", instances[i]}}, "Average", 60});
  }
  const auto configured = options_.groups.find(group);
  if (configured != options_.groups.end() && !configured->second.target_group.empty()) {
    MetricQuery q{kRequestsId, "AWS/ApplicationELB", "RequestCountPerTarget",
                  {{"TargetGroup", TargetGroupDimension(configured->second.target_group)}}, "Sum", 60};
    if (!configured->second.load_balancer.empty()) {
      q.dimensions.emplace_back("LoadBalancer", LoadBalancerDimension(configured->second.load_balancer));
    }
    queries.push_back(std::move(q));
  }

  std::map<std::string, std::vector<double>> values;
  for (std::size_t first = 0; first < queries.size(); first += kMaxMetricQueries) {
    const std::vector<MetricQuery> batch(queries.begin() + static_cast<std::ptrdiff_t>(first),
                                         queries.begin() + static_cast<std::ptrdiff_t>(
                                                               std::min(queries.size(), first + kMaxMetricQueries)));
    std::string next;
    int page = 0;
    do {
      if (++page > kMaxPages) {
        return Status::LimitExceeded("cloudwatch GetMetricData: more than " + std::to_string(kMaxPages) + " pages");
      }
      auto doc = client_->Query(Service::kCloudWatch, "GetMetricData", GetMetricDataParams(batch, start, end, next));
      if (!doc.ok()) return doc.status().WithContext("reading the metrics of " + group);
      MetricDataPage parsed = ParseMetricData(doc->Root(), start, end);
      for (auto& [id, v] : parsed.values) values[id].insert(values[id].end(), v.begin(), v.end());
      next = std::move(parsed.next_token);
    } while (!next.empty());
  }

  Minute out;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const auto it = values.find(CpuId(i));
    if (it == values.end() || it->second.empty()) continue;
    out.cpu.Merge(Datapoint::Single(Mean(it->second)));  // one period: one value per instance
  }
  if (const auto it = values.find(kRequestsId); it != values.end() && !it->second.empty()) {
    double sum = 0;
    for (double v : it->second) sum += v;
    out.requests = Datapoint::Single(sum);
  }
  return out;
}

void CloudWatchMetrics::Keep(const std::string& group, std::int64_t minute, const Minute& answer) {
  kept_[{group, minute}] = answer;
  // The group's oldest minutes go first, whatever order they were read in.
  const auto first = kept_.lower_bound({group, INT64_MIN});
  const auto end = kept_.upper_bound({group, INT64_MAX});
  const auto held = static_cast<std::size_t>(std::distance(first, end));
  if (held > options_.kept_minutes) {
    kept_.erase(first, std::next(first, static_cast<std::ptrdiff_t>(held - options_.kept_minutes)));
  }
}

void CloudWatchMetrics::SetGroups(std::map<std::string, CloudWatchGroupOptions> groups) {
  std::lock_guard lock(mu_);
  options_.groups = std::move(groups);
}

Datapoint CloudWatchMetrics::Read(const std::string& group, MetricName metric, std::int64_t minute) {
  if (minute < 0 || (minute + 1) * kMinute > clock_->Now()) return {};  // not over yet: nothing to ask
  auto pick = [metric](const Minute& m) { return metric == MetricName::kCpuUtilization ? m.cpu : m.requests; };
  std::lock_guard lock(mu_);
  if (const auto it = kept_.find({group, minute}); it != kept_.end()) return pick(it->second);
  auto fetched = Fetch(group, minute);
  if (!fetched.ok()) {
    if (!failing_) {
      LogWarn(log_, "cloudwatch_metrics_missing")
          .With("group", group)
          .With("minute", minute)
          .With("code", ToString(fetched.status().code()))
          .With("error", fetched.status().message());
    }
    failing_ = true;
    Keep(group, minute, Minute{});  // asked once: the other metric of this minute reads missing too
    return {};
  }
  if (failing_) LogInfo(log_, "cloudwatch_metrics_recovered").With("group", group).With("minute", minute);
  failing_ = false;
  Keep(group, minute, *fetched);
  return pick(*fetched);
}

}  // namespace shoal::aws
