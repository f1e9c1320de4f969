// CloudWatchMetrics against a real moto_server on a free loopback port:
// datapoints put with PutMetricData (per instance, and per target group
// and load balancer) in a past minute and its neighbours, then read back
// through GetMetricData as one minute's Datapoints.
#include <gtest/gtest.h>

#include "adapters/aws/client.h"
#include "adapters/aws/cloudwatch_metrics.h"
#include "adapters/data/iso_time.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"

namespace shoal::aws {
namespace {

constexpr const char* kTargetGroupArn =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cw-tg/73e2d6bc24d8a067";
constexpr const char* kLoadBalancer = "app/front/50dc6c495c0c9188";

class CloudWatchMetricsMotoTest : public testing::MotoClientSuite {
 protected:
  void SetUp() override {
    MotoClientSuite::SetUp();
    if (HasFatalFailure()) return;
    // A minute that is over, with room for a neighbour on each side.
    minute_ = clock_.Now() / 60 - 3;
  }

  std::unique_ptr<CloudWatchMetrics> Make(std::vector<std::string> instances, std::string load_balancer,
                                          std::string target_group = kTargetGroupArn) {
    CloudWatchMetricsOptions options;
    options.groups["web"] = {std::move(target_group), std::move(load_balancer)};
    options.instances_of = [instances](const std::string&) { return instances; };
    return std::make_unique<CloudWatchMetrics>(std::move(options), client_.get(), &clock_, &log_);
  }

  // One datapoint at `at` (Unix seconds).
  void Put(const std::string& name_space, const std::string& metric,
           const std::vector<std::pair<std::string, std::string>>& dimensions, Seconds at, double value) {
    Params p = {{"Namespace", name_space},
                {"MetricData.member.1.MetricName", metric},
                {"MetricData.member.1.Timestamp", FormatIsoUtc(at)},
                {"MetricData.member.1.Value", std::to_string(value)}};
    for (std::size_t i = 0; i < dimensions.size(); ++i) {
      const std::string d = "MetricData.member.1.Dimensions.member." + std::to_string(i + 1);
      p.emplace_back(d + ".Name", dimensions[i].first);
      p.emplace_back(d + ".Value", dimensions[i].second);
    }
    auto doc = client_->Query(Service::kCloudWatch, "PutMetricData", p);
    ASSERT_TRUE(doc.ok()) << doc.status().message();
  }

  void PutCpu(const std::string& instance, Seconds at, double value) {
    Put("AWS/EC2", "CPUUtilization", {{"InstanceId", instance}}, at, value);
  }
  void PutRequests(const std::string& target_group, Seconds at, double value) {
    Put("AWS/ApplicationELB", "RequestCountPerTarget", {{"TargetGroup", target_group}, {"LoadBalancer", kLoadBalancer}},
        at, value);
  }

  std::int64_t minute_ = 0;
};

TEST_F(CloudWatchMetricsMotoTest, ReadsTheGroupsCpuAndRequestsOfOneMinute) {
  const Seconds start = minute_ * 60;
  PutCpu("i-cw-a", start + 5, 20);
  PutCpu("i-cw-a", start + 35, 40);
  PutCpu("i-cw-b", start + 50, 50);
  PutCpu("i-cw-a", start - 30, 99);  // the minute before
  PutCpu("i-cw-b", start + 60, 99);  // the minute after
  PutRequests("targetgroup/cw-tg/73e2d6bc24d8a067", start + 10, 5);
  PutRequests("targetgroup/cw-tg/73e2d6bc24d8a067", start + 40, 7);
  PutRequests("targetgroup/cw-tg/73e2d6bc24d8a067", start + 70, 100);
  PutRequests("targetgroup/other/1", start + 10, 1000);  // another target group
  auto metrics = Make({"i-cw-a", "i-cw-b", "i-cw-none"}, kLoadBalancer);

  const Datapoint cpu = metrics->Read("web", MetricName::kCpuUtilization, minute_);
  EXPECT_DOUBLE_EQ(cpu.sum, 80);  // i-cw-a's average 30, i-cw-b's 50
  EXPECT_DOUBLE_EQ(cpu.min, 30);
  EXPECT_DOUBLE_EQ(cpu.max, 50);
  EXPECT_EQ(cpu.count, 2);
  const Datapoint requests = metrics->Read("web", MetricName::kRequestCountPerTarget, minute_);
  EXPECT_DOUBLE_EQ(requests.sum, 12);
  EXPECT_EQ(requests.count, 1);

  const Datapoint after = metrics->Read("web", MetricName::kRequestCountPerTarget, minute_ + 1);
  EXPECT_DOUBLE_EQ(after.sum, 100);
  for (const LogEvent& e : log_.events()) EXPECT_NE(e.event, "cloudwatch_metrics_missing");
}

TEST_F(CloudWatchMetricsMotoTest, AMinuteWithoutDataIsMissing) {
  auto metrics = Make({"i-cw-quiet"}, kLoadBalancer);
  EXPECT_TRUE(metrics->Read("web", MetricName::kCpuUtilization, minute_ - 30).missing());
  EXPECT_TRUE(metrics->Read("web", MetricName::kRequestCountPerTarget, minute_ - 30).missing());
}

TEST_F(CloudWatchMetricsMotoTest, TheDimensionsMustMatchAsPut) {
  // Put with TargetGroup and LoadBalancer; asked with TargetGroup alone it is
  // another metric (CloudWatch matches the whole set of dimensions).
  // A target group of its own (given as the dimension value), so no other test's data is read.
  const std::string target_group = "targetgroup/cw-dims/0123456789abcdef";
  PutRequests(target_group, minute_ * 60 - 120 + 10, 3);
  auto without_lb = Make({}, "", target_group);
  EXPECT_TRUE(without_lb->Read("web", MetricName::kRequestCountPerTarget, minute_ - 2).missing());
  auto with_lb = Make({}, kLoadBalancer, target_group);
  EXPECT_DOUBLE_EQ(with_lb->Read("web", MetricName::kRequestCountPerTarget, minute_ - 2).sum, 3);
}

}  // namespace
}  // namespace shoal::aws
