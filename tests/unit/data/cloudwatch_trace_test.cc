#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "adapters/data/trace.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;

TEST(CloudWatchTrace, GetMetricStatisticsDatapointsInAnyOrderWithGapsAsZero) {
  // What `aws cloudwatch get-metric-statistics --statistics Sum --period 60` prints.
  const std::string json = R"({"Label": "RequestCount", "Datapoints": [
    {"Timestamp": "2026-12-01T10:03:00+00:00", "Sum": 40.0, "Unit": "Count"},
    {"Timestamp": "2026-12-01T10:00:00+00:00", "Sum": 10.0, "Unit": "Count"},
    {"Timestamp": "2026-12-01T10:01:00+00:00", "Sum": 20.4, "Unit": "Count"}]})";
  Result<Trace> t = ParseCloudWatchTrace(json, "cw.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->requests, (std::vector<double>{10, 20, 0, 40}));
}

TEST(CloudWatchTrace, GetMetricDataDescendingTimestampsAndLongerPeriodsSpread) {
  const std::string json = R"({"MetricDataResults": [{"Id": "m1", "Label": "RequestCount",
    "Timestamps": ["2026-12-01T10:10:00Z", "2026-12-01T10:05:00Z", "2026-12-01T10:00:00Z"],
    "Values": [500, 0, 50], "StatusCode": "Complete"}], "Messages": []})";
  Result<Trace> t = ParseCloudWatchTrace(json, "cw.json");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->requests.size(), 15u);
  EXPECT_EQ(t->requests[0], 10);
  EXPECT_EQ(t->requests[4], 10);
  EXPECT_EQ(t->requests[5], 0);
  EXPECT_EQ(t->requests[10], 100);
  EXPECT_EQ(t->requests[14], 100);
}

TEST(CloudWatchTrace, RefusesWhatIsNotARequestCountExport) {
  auto error = [](const std::string& json) {
    Result<Trace> t = ParseCloudWatchTrace(json, "cw.json");
    return t.ok() ? std::string("ok") : t.status().message();
  };
  EXPECT_THAT(error("[1,2]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(error(R"({"Datapoints": [{"Timestamp": "2026-12-01T10:00:00Z", "Average": 3}]})"),
              HasSubstr("has no Sum"));
  EXPECT_THAT(error(R"({"MetricDataResults": []})"), HasSubstr("exactly one metric"));
  EXPECT_THAT(error(R"({"Datapoints": []})"), HasSubstr("no data points"));
  EXPECT_THAT(error(R"({"Datapoints": [{"Timestamp": "yesterday", "Sum": 3}]})"), HasSubstr("yesterday"));
  EXPECT_THAT(error(R"({"Datapoints": [{"Timestamp": "2026-12-01T10:00:00Z", "Sum": -3}]})"), HasSubstr("negative"));
  EXPECT_THAT(error(R"({"Foo": 1})"), HasSubstr("neither MetricDataResults"));
  // Two of these would sum to infinity.
  EXPECT_THAT(error(R"({"Datapoints": [{"Timestamp": "2026-12-01T10:00:00Z", "Sum": 1e308},)"
                    R"( {"Timestamp": "2026-12-01T10:01:00Z", "Sum": 1e308}]})"),
              HasSubstr("more than 1e12 requests a minute at 2026-12-01T10:00:00Z"));
  // A five-minute period holds five minutes' worth.
  EXPECT_EQ(error(R"({"Datapoints": [{"Timestamp": "2026-12-01T10:00:00Z", "Sum": 5e12},)"
                  R"( {"Timestamp": "2026-12-01T10:05:00Z", "Sum": 1}]})"),
            "ok");
}

}  // namespace
}  // namespace shoal
