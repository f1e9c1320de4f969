// CloudWatchMetrics on a scripted HTTP client: the GetMetricData it sends
// (the minute's window, one query per instance and one for requests, the
// dimensions, batches of 500, pages), how the answer becomes Datapoints,
// the one call per group and minute, and failures read as missing.
#include "adapters/aws/cloudwatch_metrics.h"

#include <gtest/gtest.h>

#include <map>

#include "adapters/aws/cloudwatch_wire.h"
#include "aws_test_util.h"
#include "scripted_client_fixture.h"

namespace shoal::aws {
namespace {

using testing::FakeSleeper;
using testing::ManualClock;
using testing::ScriptedClientTest;
using testing::ScriptedHttp;

constexpr std::int64_t kMinute0 = 29474430;  // 2026-01-15T08:30:00Z
constexpr Seconds kNow = kMinute0 * 60 + 300;  // five minutes later
constexpr const char* kTargetGroupArn =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067";
constexpr const char* kLoadBalancerArn =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/front/50dc6c495c0c9188";

std::multimap<std::string, std::string> FormOf(const HttpRequest& request) {
  httplib::Params params;
  httplib::detail::parse_query_text(request.body, params);
  return {params.begin(), params.end()};
}

std::string Field(const std::multimap<std::string, std::string>& form, const std::string& key) {
  const auto it = form.find(key);
  return it == form.end() ? "<none>" : it->second;
}

std::size_t Queries(const std::multimap<std::string, std::string>& form) {
  std::size_t n = 0;
  for (const auto& [key, value] : form) {
    const std::string suffix = ".Id";
    n += key.rfind("MetricDataQueries.member.", 0) == 0 && key.size() > suffix.size() &&
         key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return n;
}

// A result: id and its values, all stamped at the start of the minute.
struct Result1 {
  std::string id;
  std::vector<std::string> values;
  std::string stamp = "2026-01-15T08:30:00Z";
};

HttpOutcome Data(const std::vector<Result1>& results, const std::string& next_token = "") {
  std::string members;
  for (const Result1& r : results) {
    std::string stamps;
    std::string values;
    for (const std::string& v : r.values) {
      stamps += "<member>" + r.stamp + "</member>";
      values += "<member>" + v + "</member>";
    }
    members += "<member><Id>" + r.id + "</Id><Label>x</Label><Timestamps>" + stamps + "</Timestamps><Values>" +
               values + "</Values><StatusCode>" + (next_token.empty() ? "Complete" : "PartialData") +
               "</StatusCode></member>";
  }
  return ScriptedHttp::Answer(200, "<GetMetricDataResponse><GetMetricDataResult><MetricDataResults>" + members +
                                       "</MetricDataResults>" +
                                       (next_token.empty() ? "" : "<NextToken>" + next_token + "</NextToken>") +
                                       "</GetMetricDataResult></GetMetricDataResponse>");
}

class CloudWatchMetricsTest : public ScriptedClientTest {
 protected:
  CloudWatchMetricsTest() : ScriptedClientTest(kNow) {}

  void SetUp() override {
    ScriptedClientTest::SetUp();
    if (HasFatalFailure()) return;
    CloudWatchMetricsOptions options;
    options.groups["web"] = {kTargetGroupArn, kLoadBalancerArn};
    options.instances_of = [this](const std::string& group) {
      return group == "web" ? instances_ : std::vector<std::string>{};
    };
    metrics_ = std::make_unique<CloudWatchMetrics>(std::move(options), client_.get(), &clock_, &log_);
  }

  int Logged(const std::string& event) {
    int n = 0;
    for (const LogEvent& e : log_.events()) n += e.event == event;
    return n;
  }

  std::vector<std::string> instances_ = {"i-1", "i-2", "i-3"};
  std::unique_ptr<CloudWatchMetrics> metrics_;
};

TEST(CloudWatchWireTest, DimensionsComeFromArnsOrAreGivenAsIs) {
  EXPECT_EQ(TargetGroupDimension(kTargetGroupArn), "targetgroup/web-tg/73e2d6bc24d8a067");
  EXPECT_EQ(TargetGroupDimension("targetgroup/web-tg/73e2d6bc24d8a067"), "targetgroup/web-tg/73e2d6bc24d8a067");
  EXPECT_EQ(LoadBalancerDimension(kLoadBalancerArn), "app/front/50dc6c495c0c9188");
  EXPECT_EQ(LoadBalancerDimension("app/front/50dc6c495c0c9188"), "app/front/50dc6c495c0c9188");
}

TEST(CloudWatchWireTest, ValuesOutsideTheWindowOrUnreadableAreLeftOut) {
  auto doc = XmlDocument::Parse(
      "<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>a</Id>"
      "<Timestamps><member>2026-01-15T08:30:00Z</member><member>2026-01-15T08:31:00Z</member>"
      "<member>2026-01-15T08:30:00.000Z</member><member>2026-01-15T08:30:00Z</member></Timestamps>"
      "<Values><member>1.5</member><member>99</member><member>2.5</member><member>nan-ish</member></Values>"
      "</member><member><Id>b</Id><Timestamps/><Values/></member></MetricDataResults>"
      "<NextToken>more</NextToken></GetMetricDataResult></GetMetricDataResponse>");
  ASSERT_TRUE(doc.ok());
  const MetricDataPage page = ParseMetricData(doc->Root(), kMinute0 * 60, kMinute0 * 60 + 60);
  EXPECT_EQ(page.values.at("a"), (std::vector<double>{1.5, 2.5}));
  EXPECT_TRUE(page.values.at("b").empty());
  EXPECT_EQ(page.next_token, "more");
}

TEST_F(CloudWatchMetricsTest, OneCallReadsBothMetricsOfAMinute) {
  http_.Push(Data({{"cpu0", {"20"}}, {"cpu1", {"40"}}, {"cpu2", {}}, {"requests", {"12"}}}));
  const Datapoint cpu = metrics_->Read("web", MetricName::kCpuUtilization, kMinute0);
  const Datapoint requests = metrics_->Read("web", MetricName::kRequestCountPerTarget, kMinute0);
  EXPECT_EQ(cpu.sum, 60);
  EXPECT_EQ(cpu.min, 20);
  EXPECT_EQ(cpu.max, 40);
  EXPECT_EQ(cpu.count, 2);  // i-3 had no data
  EXPECT_EQ(requests.sum, 12);
  EXPECT_EQ(requests.count, 1);
  ASSERT_EQ(http_.requests().size(), 1u);

  const auto form = FormOf(http_.requests()[0]);
  EXPECT_EQ(Field(form, "Action"), "GetMetricData");
  EXPECT_EQ(Field(form, "Version"), "2010-08-01");
  EXPECT_EQ(Field(form, "StartTime"), "2026-01-15T08:30:00Z");
  EXPECT_EQ(Field(form, "EndTime"), "2026-01-15T08:31:00Z");
  EXPECT_EQ(Queries(form), 4u);
  const std::string cpu1 = "MetricDataQueries.member.2.";
  EXPECT_EQ(Field(form, cpu1 + "Id"), "cpu1");
  EXPECT_EQ(Field(form, cpu1 + "MetricStat.Metric.Namespace"), "AWS/EC2");
  EXPECT_EQ(Field(form, cpu1 + "MetricStat.Metric.MetricName"), "CPUUtilization");
  EXPECT_EQ(Field(form, cpu1 + "MetricStat.Metric.Dimensions.member.1.Name"), "InstanceId");
  EXPECT_EQ(Field(form, cpu1 + "MetricStat.Metric.Dimensions.member.1.Value"), "i-2");
  EXPECT_EQ(Field(form, cpu1 + "MetricStat.Period"), "60");
  EXPECT_EQ(Field(form, cpu1 + "MetricStat.Stat"), "Average");
  const std::string req = "MetricDataQueries.member.4.";
  EXPECT_EQ(Field(form, req + "Id"), "requests");
  EXPECT_EQ(Field(form, req + "MetricStat.Metric.Namespace"), "AWS/ApplicationELB");
  EXPECT_EQ(Field(form, req + "MetricStat.Metric.MetricName"), "RequestCountPerTarget");
  EXPECT_EQ(Field(form, req + "MetricStat.Metric.Dimensions.member.1.Name"), "TargetGroup");
  EXPECT_EQ(Field(form, req + "MetricStat.Metric.Dimensions.member.1.Value"), "targetgroup/web-tg/73e2d6bc24d8a067");
  EXPECT_EQ(Field(form, req + "MetricStat.Metric.Dimensions.member.2.Name"), "LoadBalancer");
  EXPECT_EQ(Field(form, req + "MetricStat.Metric.Dimensions.member.2.Value"), "app/front/50dc6c495c0c9188");
  EXPECT_EQ(Field(form, req + "MetricStat.Stat"), "Sum");
}

TEST_F(CloudWatchMetricsTest, NoDataIsMissingAndAGroupWithoutTargetGroupHasNoRequests) {
  http_.Push(Data({{"cpu0", {}}, {"cpu1", {}}, {"cpu2", {}}, {"requests", {}}}));
  EXPECT_TRUE(metrics_->Read("web", MetricName::kCpuUtilization, kMinute0).missing());
  EXPECT_TRUE(metrics_->Read("web", MetricName::kRequestCountPerTarget, kMinute0).missing());
  // "api" has no options and no instances: nothing to ask.
  EXPECT_TRUE(metrics_->Read("api", MetricName::kRequestCountPerTarget, kMinute0).missing());
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(CloudWatchMetricsTest, PagesAreFollowedAndMerged) {
  http_.Push(Data({{"cpu0", {"10"}}}, "page2"));
  http_.Push(Data({{"cpu1", {"30"}}, {"requests", {"7"}}}));
  const Datapoint cpu = metrics_->Read("web", MetricName::kCpuUtilization, kMinute0);
  EXPECT_EQ(cpu.sum, 40);
  EXPECT_EQ(cpu.count, 2);
  EXPECT_EQ(metrics_->Read("web", MetricName::kRequestCountPerTarget, kMinute0).sum, 7);
  ASSERT_EQ(http_.requests().size(), 2u);
  EXPECT_EQ(Field(FormOf(http_.requests()[0]), "NextToken"), "<none>");
  EXPECT_EQ(Field(FormOf(http_.requests()[1]), "NextToken"), "page2");
  EXPECT_EQ(Queries(FormOf(http_.requests()[1])), 4u);  // the same batch again
}

TEST_F(CloudWatchMetricsTest, MoreThan500QueriesGoInBatches) {
  instances_.clear();
  for (int i = 0; i < 600; ++i) instances_.push_back("i-" + std::to_string(i));
  http_.Push(Data({{"cpu0", {"50"}}, {"cpu499", {"70"}}}));
  http_.Push(Data({{"cpu599", {"90"}}, {"requests", {"3"}}}));
  const Datapoint cpu = metrics_->Read("web", MetricName::kCpuUtilization, kMinute0);
  EXPECT_EQ(cpu.count, 3);
  EXPECT_EQ(cpu.sum, 210);
  EXPECT_EQ(cpu.max, 90);
  ASSERT_EQ(http_.requests().size(), 2u);
  EXPECT_EQ(Queries(FormOf(http_.requests()[0])), 500u);
  EXPECT_EQ(Queries(FormOf(http_.requests()[1])), 101u);
  EXPECT_EQ(Field(FormOf(http_.requests()[1]), "MetricDataQueries.member.1.Id"), "cpu500");
}

TEST_F(CloudWatchMetricsTest, AMinuteNotOverYetIsMissingWithoutACall) {
  const std::int64_t current = kNow / 60;
  EXPECT_TRUE(metrics_->Read("web", MetricName::kCpuUtilization, current).missing());
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(CloudWatchMetricsTest, AFailedCallReadsMissingOnceAndIsLoggedOncePerStreak) {
  http_.Push(ScriptedHttp::Answer(403, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message>"
                                       "</Error><RequestId>r1</RequestId></ErrorResponse>"));
  EXPECT_TRUE(metrics_->Read("web", MetricName::kCpuUtilization, kMinute0).missing());
  EXPECT_TRUE(metrics_->Read("web", MetricName::kRequestCountPerTarget, kMinute0).missing());
  EXPECT_EQ(http_.requests().size(), 1u);
  EXPECT_TRUE(metrics_->Read("web", MetricName::kCpuUtilization, kMinute0 + 1).missing());
  EXPECT_EQ(http_.requests().size(), 2u);
  EXPECT_EQ(Logged("cloudwatch_metrics_missing"), 1);
  http_.ClearScript();
  http_.Push(Data({{"cpu0", {"5"}, "2026-01-15T08:32:00Z"}}));
  EXPECT_EQ(metrics_->Read("web", MetricName::kCpuUtilization, kMinute0 + 2).sum, 5);
  EXPECT_EQ(Logged("cloudwatch_metrics_recovered"), 1);
}

TEST_F(CloudWatchMetricsTest, OnlyTheNewestMinutesAreKept) {
  // Answers without data: only the calls count here.
  auto read = [&](std::int64_t minute) { metrics_->Read("web", MetricName::kCpuUtilization, minute); };
  auto calls = [&] { return http_.requests().size(); };
  for (std::int64_t m = kMinute0 - 20; m < kMinute0 - 12; ++m) read(m);
  EXPECT_EQ(calls(), 8u);
  read(kMinute0 - 13);  // kept
  EXPECT_EQ(calls(), 8u);
  read(kMinute0);  // a ninth: the oldest goes
  EXPECT_EQ(calls(), 9u);
  read(kMinute0 - 20);
  EXPECT_EQ(calls(), 10u);
  read(kMinute0 - 19);
  EXPECT_EQ(calls(), 10u);
}

}  // namespace
}  // namespace shoal::aws
