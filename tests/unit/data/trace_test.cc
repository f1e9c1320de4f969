#include "adapters/data/trace.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace shoal {
namespace {

const std::string kRepo = SHOAL_SOURCE_DIR;

TEST(TraceParse, GoodSmallTrace) {
  auto t = ParseTrace("minute,requests\n0,5\n1,0\n2,12\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->source, "t.csv");
  EXPECT_EQ(t->requests, (std::vector<double>{5, 0, 12}));
  EXPECT_DOUBLE_EQ(t->total(), 17);
  EXPECT_DOUBLE_EQ(t->peak(), 12);
}

TEST(TraceParse, ToleratesCrLfNoTrailingNewlineAndTrailingBlankLines) {
  for (const char* text : {"minute,requests\r\n0,1\r\n1,2\r\n", "minute,requests\n0,1\n1,2",
                           "minute,requests\n0,1\n1,2\n\n", "\xEF\xBB\xBFminute,requests\n0,1\n1,2\n"}) {
    auto t = ParseTrace(text, "t.csv");
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->requests, (std::vector<double>{1, 2})) << text;
  }
}

struct BadTrace {
  const char* name;
  const char* text;
  const char* message;
};

class TraceErrors : public ::testing::TestWithParam<BadTrace> {};

TEST_P(TraceErrors, NamesSourceLineAndProblem) {
  auto t = ParseTrace(GetParam().text, "trace.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    TraceParse, TraceErrors,
    ::testing::Values(
        BadTrace{"Empty", "", "trace.csv: file is empty (expected the header 'minute,requests')"},
        BadTrace{"OnlyNewlines", "\n\r\n", "trace.csv: file is empty (expected the header 'minute,requests')"},
        BadTrace{"WrongHeader", "minute,count\n0,1\n",
                 "trace.csv:1: expected the header 'minute,requests', got 'minute,count'"},
        BadTrace{"HeaderWithSpace", "minute, requests\n0,1\n",
                 "trace.csv:1: expected the header 'minute,requests', got 'minute, requests'"},
        BadTrace{"NoRows", "minute,requests\n", "trace.csv: no data rows after the header"},
        BadTrace{"NegativeRequests", "minute,requests\n0,1\n1,-3\n", "trace.csv:3: requests is negative (-3)"},
        BadTrace{"Gap", "minute,requests\n0,1\n1,1\n2,1\n5,1\n",
                 "trace.csv:5: expected minute 3, got 5 (minutes must start at 0 and have no gaps)"},
        BadTrace{"Duplicate", "minute,requests\n0,1\n0,1\n",
                 "trace.csv:3: expected minute 1, got 0 (minutes must start at 0 and have no gaps)"},
        BadTrace{"StartsAtOne", "minute,requests\n1,1\n",
                 "trace.csv:2: expected minute 0, got 1 (minutes must start at 0 and have no gaps)"},
        BadTrace{"ThreeFields", "minute,requests\n0,1\n1,2,3\n", "trace.csv:3: expected 2 fields, got 3"},
        BadTrace{"OneField", "minute,requests\n0\n", "trace.csv:2: expected 2 fields, got 1"},
        BadTrace{"BlankLineInside", "minute,requests\n0,1\n\n1,2\n", "trace.csv:3: empty line"},
        BadTrace{"NonNumericRequests", "minute,requests\n0,abc\n", "trace.csv:2: requests is not an integer ('abc')"},
        BadTrace{"FractionalRequests", "minute,requests\n0,1.5\n",
                 "trace.csv:2: requests is not an integer ('1.5')"},
        BadTrace{"EmptyRequests", "minute,requests\n0,\n", "trace.csv:2: requests is not an integer ('')"},
        BadTrace{"OverflowRequests", "minute,requests\n0,99999999999999999999\n",
                 "trace.csv:2: requests is not an integer ('99999999999999999999')"},
        BadTrace{"MoreThanATrillionAMinute", "minute,requests\n0,1\n1,1000000000001\n",
                 "trace.csv:3: requests is more than 1e12 in a minute (1000000000001)"},
        BadTrace{"NonNumericMinute", "minute,requests\nx,1\n", "trace.csv:2: minute is not an integer ('x')"},
        BadTrace{"SpacedMinute", "minute,requests\n 0,1\n", "trace.csv:2: minute is not an integer (' 0')"}),
    [](const ::testing::TestParamInfo<BadTrace>& info) { return std::string(info.param.name); });

TEST(TraceLoad, SmallFixtureFile) {
  auto t = LoadTraceFile(kRepo + "/tests/data/small_trace.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->requests.size(), 4u);
  EXPECT_DOUBLE_EQ(t->total(), 24);
  EXPECT_DOUBLE_EQ(t->peak(), 12);
}

TEST(TraceLoad, MissingFileNamesIt) {
  auto t = LoadTraceFile(kRepo + "/tests/data/no_such_trace.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kIoError);
  EXPECT_NE(t.status().message().find("no_such_trace.csv"), std::string::npos);
}

TEST(TraceLoad, ErrorsFromFilesNameThePath) {
  auto t = ParseTrace("minute,requests\n0,-1\n", "some/dir/x.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "some/dir/x.csv:2: requests is negative (-1)");
}

TEST(TraceLoad, BundledNasaJuly) {
  auto t = LoadTraceFile(kRepo + "/data/nasa_jul95_requests_per_minute.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->requests.size(), 39693u);
  EXPECT_DOUBLE_EQ(t->total(), 1891714);
  EXPECT_DOUBLE_EQ(t->peak(), 405);
  EXPECT_DOUBLE_EQ(t->requests[17869], 405);  // STS-70 launch, per the README
}

TEST(TraceLoad, BundledNasaAugust) {
  auto t = LoadTraceFile(kRepo + "/data/nasa_aug95_requests_per_minute.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->requests.size(), 41483u);
  EXPECT_DOUBLE_EQ(t->total(), 1535893);
}

}  // namespace
}  // namespace shoal
