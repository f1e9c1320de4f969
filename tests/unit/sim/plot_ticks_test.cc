// The simulator plot's time axis: marks on whole days (or dates), never "day 4.6".
#include <gtest/gtest.h>

#include "adapters/data/iso_time.h"
#include "sim/plot.h"

namespace shoal {
namespace {

TEST(PlotTimeAxis, AMonthIsMarkedOnWholeDays) {
  const std::int64_t minutes = 31 * 1440 - 7;  // a month, not a whole number of days
  const std::vector<TimeTick> ticks = TimeAxisTicks(minutes);
  ASSERT_GE(ticks.size(), 4u);
  EXPECT_LE(ticks.size(), 8u);
  for (const TimeTick& t : ticks) {
    EXPECT_EQ(t.minute % 1440, 0) << t.label;
    EXPECT_LE(t.minute, minutes);
    EXPECT_EQ(t.label, "day " + std::to_string(t.minute / 1440));
  }
  EXPECT_EQ(ticks.front().label, "day 0");
  EXPECT_EQ(ticks[1].minute - ticks[0].minute, 5 * 1440);  // 0, 5, ... 30: seven marks
  EXPECT_EQ(ticks.back().label, "day 30");
}

TEST(PlotTimeAxis, AFewDaysAreMarkedEveryDay) {
  const std::vector<TimeTick> ticks = TimeAxisTicks(5 * 1440);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_EQ(ticks[5].label, "day 5");
}

TEST(PlotTimeAxis, WithAStartTimeTicksFallOnUtcMidnightsAndShowTheDate) {
  const std::int64_t start = *ParseIsoUtc("1995-07-01T04:00:00Z");
  const std::vector<TimeTick> ticks = TimeAxisTicks(10 * 1440, start);
  ASSERT_FALSE(ticks.empty());
  for (const TimeTick& t : ticks) EXPECT_EQ((start + t.minute * 60) % 86400, 0) << t.label;
  EXPECT_EQ(ticks.front().minute, 20 * 60);  // 04:00 + 20 h = midnight
  EXPECT_EQ(ticks.front().label, "1995-07-02");
}

TEST(PlotTimeAxis, AShortTraceIsMarkedOnWholeHours) {
  const std::vector<TimeTick> ticks = TimeAxisTicks(600);
  ASSERT_FALSE(ticks.empty());
  for (const TimeTick& t : ticks) EXPECT_EQ(t.minute % 60, 0) << t.label;
  EXPECT_EQ(ticks[1].label, "hour 2");
  const std::vector<TimeTick> dated = TimeAxisTicks(600, *ParseIsoUtc("2026-01-01T00:30:00Z"));
  EXPECT_EQ(dated.front().label, "01:00");
}

TEST(PlotTimeAxis, AnEmptyTraceHasNoTicks) { EXPECT_TRUE(TimeAxisTicks(0).empty()); }

}  // namespace
}  // namespace shoal
