#include "api/dashboard_history.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace shoal {
namespace {

HistoryPoint Point(std::int64_t minute, int in_service, double cost) {
  HistoryPoint p;
  p.minute = minute;
  p.desired = in_service;
  p.in_service = in_service;
  p.capacity = in_service;
  p.cost_per_hour = cost;
  return p;
}

TEST(DashboardHistory, AMinuteKeepsItsLastRecordAndTheWindowIsBounded) {
  DashboardHistory h;
  h.Record("web", Point(100, 1, 0.1));
  h.Record("web", Point(100, 2, 0.2));  // same minute: replaces
  h.Record("web", Point(99, 9, 9));     // older: ignored
  h.Record("web", Point(102, 3, 0.3));
  std::vector<HistoryPoint> p = h.Read("web", 102, 10);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].in_service, 2);
  EXPECT_EQ(p[1].minute, 102);
  EXPECT_EQ(h.Read("web", 102, 1).size(), 1u);
  EXPECT_TRUE(h.Read("api", 102, 10).empty());

  h.Record("web", Point(102 + DashboardHistory::kMaxMinutes, 4, 0.4));
  p = h.Read("web", 102 + DashboardHistory::kMaxMinutes, DashboardHistory::kMaxMinutes);
  ASSERT_EQ(p.size(), 1u);  // minutes 100 and 102 fell out of the day kept
  h.Retain({"api"});
  EXPECT_TRUE(h.Read("web", 102 + DashboardHistory::kMaxMinutes, 10).empty());
}

TEST(DashboardHistory, JsonHasOneRowPerMinuteWithNullsWhereNothingWasRecorded) {
  GroupSpec spec;
  spec.name = "web";
  GroupState state;
  state.cpu.Record(101, Datapoint{90, 20, 70, 2});  // mean 45
  state.requests_per_target.Record(101, Datapoint::Single(12));
  const std::vector<HistoryPoint> points = {Point(100, 2, 0.25), Point(102, 3, 0.5)};
  const nlohmann::json j = nlohmann::json::parse(HistoryJson(spec, state, points, 102 * kMinute + 30, 4));
  EXPECT_EQ(j["group"], "web");
  ASSERT_EQ(j["points"].size(), 4u);
  EXPECT_EQ(j["points"][0]["minute"], 99);
  EXPECT_TRUE(j["points"][0]["in_service"].is_null());
  EXPECT_EQ(j["points"][1]["in_service"], 2);
  EXPECT_DOUBLE_EQ(j["points"][1]["cost_per_hour"].get<double>(), 0.25);
  EXPECT_TRUE(j["points"][2]["desired"].is_null());
  EXPECT_DOUBLE_EQ(j["points"][2]["cpu_percent"].get<double>(), 45);
  EXPECT_DOUBLE_EQ(j["points"][2]["requests_per_target"].get<double>(), 12);
  EXPECT_EQ(j["points"][3]["time"], 102 * kMinute);
  EXPECT_TRUE(j["points"][3]["cpu_percent"].is_null());
}

}  // namespace
}  // namespace shoal
