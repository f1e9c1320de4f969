#include "adapters/system/stream_logger.h"

#include <gtest/gtest.h>

#include <sstream>

namespace shoal {
namespace {

class FixedClock final : public Clock {
 public:
  Seconds Now() const override { return 1700000000; }
};

TEST(StreamLogger, WritesOneLogfmtLinePerEventWithTheClocksTime) {
  FixedClock clock;
  std::ostringstream out;
  StreamLogger log(&clock, &out);
  LogWarn(&log, "launch_failed").With("group", "web").With("attempt", 3).With("retryable", true);
  EXPECT_EQ(out.str(), "time=2023-11-14T22:13:20Z level=warn event=launch_failed group=web attempt=3 retryable=true\n");
}

TEST(StreamLogger, QuotesAndEscapesValuesSoALineNeverBreaks) {
  const std::string line = FormatLogLine(0, {LogLevel::kError, "x", {{"error", "no \"such\"\nfile=a\\b"}, {"empty", ""}}});
  EXPECT_EQ(line, "time=1970-01-01T00:00:00Z level=error event=x error=\"no \\\"such\\\"\\nfile=a\\\\b\" empty=\"\"");
  EXPECT_EQ(FormatLogLine(0, {LogLevel::kInfo, "x", {{"nul", std::string("a\0b", 3)}}}),
            "time=1970-01-01T00:00:00Z level=info event=x nul=\"a\\x00b\"");
}

TEST(StreamLogger, DropsEventsBelowTheMinimumLevel) {
  FixedClock clock;
  std::ostringstream out;
  StreamLogger log(&clock, &out, LogLevel::kWarn);
  LogInfo(&log, "quiet");
  LogDebug(&log, "quieter");
  EXPECT_EQ(out.str(), "");
  LogError(&log, "loud");
  EXPECT_NE(out.str().find("event=loud"), std::string::npos);
}

TEST(LogLine, ANullLoggerDropsTheLine) {
  LogInfo(nullptr, "nothing").With("k", "v");  // must not crash
  MemoryLogger mem;
  LogInfo(&mem, "kept").With("k", "v");
  ASSERT_EQ(mem.events().size(), 1u);
  EXPECT_EQ(mem.events()[0].event, "kept");
  EXPECT_EQ(mem.events()[0].fields[0].value, "v");
}

}  // namespace
}  // namespace shoal
