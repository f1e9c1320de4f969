#include "cli/table.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace shoal {
namespace {

using nlohmann::json;

TEST(CliTable, UtcTimeIsIso8601InUtc) {
  EXPECT_EQ(UtcTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(UtcTime(1795683205), "2026-11-26T08:53:25Z");
}

TEST(CliTable, AgeReadsLikeKubectl) {
  const std::int64_t now = 1000000;
  EXPECT_EQ(Age(now, now), "0s");
  EXPECT_EQ(Age(now - 59, now), "59s");
  EXPECT_EQ(Age(now - 60, now), "1m");
  EXPECT_EQ(Age(now - 3599, now), "59m");
  EXPECT_EQ(Age(now - 3600 - 12 * 60, now), "1h12m");
  EXPECT_EQ(Age(now - 2 * 86400 - 4 * 3600 - 5, now), "2d4h");
  EXPECT_EQ(Age(now + 30, now), "0s") << "a clock a little ahead never reads negative";
}

TEST(CliTable, CellsShowStringsBareAndNullAsADash) {
  EXPECT_EQ(CellText(json("web")), "web");
  EXPECT_EQ(CellText(json()), "-");
  EXPECT_EQ(CellText(json(8080)), "8080");
  EXPECT_EQ(CellText(json(true)), "true");
}

TEST(CliTable, ColumnsAlignWithoutTrailingSpaces) {
  const json rows = json::array({{{"id", "i-1"}, {"port", 8080}, {"at", 940}},
                                 {{"id", "i-0000000000000002"}, {"at", 1000}}});
  const std::string out =
      RenderTable(rows, {{"ID", "id"}, {"PORT", "port"}, {"AGE", "at", Show::kAge}}, 1000);
  EXPECT_EQ(out,
            "ID                  PORT  AGE\n"
            "i-1                 8080  1m\n"
            "i-0000000000000002  -     0s\n");
}

TEST(CliTable, AnIndentedSectionWithoutRowsSaysNone) {
  EXPECT_EQ(RenderTable(json::array(), {{"TIME", "time", Show::kUtc}}, 0, "  "), "  (none)\n");
  EXPECT_EQ(RenderTable(json::array(), {{"TIME", "time"}, {"KIND", "kind"}}, 0), "TIME  KIND\n");
  EXPECT_EQ(RenderTable(json::array({{{"time", 0}}}), {{"TIME", "time", Show::kUtc}}, 0, "  "),
            "  TIME\n  1970-01-01T00:00:00Z\n");
}

}  // namespace
}  // namespace shoal
