#include "cli/number_checks.h"

#include <CLI/CLI.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace shoal {
namespace {

using ::testing::HasSubstr;

TEST(FiniteRange, AcceptsNumbersWithinTheRangeEndsIncluded) {
  for (const char* text : {"0", "0.01", "100", "1e1", "-0", "42.5", "1e-400"}) {
    EXPECT_EQ(CheckFiniteRange(text, 0, 100), "") << text;
  }
}

TEST(FiniteRange, RefusesWhatIsNotAFiniteNumberNamingIt) {
  EXPECT_THAT(CheckFiniteRange("nan", 0, 100), HasSubstr("'nan' is not a finite number (0 to 100)"));
  EXPECT_THAT(CheckFiniteRange("NaN", 0, 100), HasSubstr("not a finite number"));
  EXPECT_THAT(CheckFiniteRange("inf", 0, 100), HasSubstr("not a finite number"));
  EXPECT_THAT(CheckFiniteRange("-infinity", 0, 100), HasSubstr("not a finite number"));
  EXPECT_THAT(CheckFiniteRange("1e999", 0, 100), HasSubstr("not a finite number"));
  EXPECT_THAT(CheckFiniteRange("", 0, 100), HasSubstr("'' is not a number"));
  EXPECT_THAT(CheckFiniteRange("5%", 0, 100), HasSubstr("'5%' is not a number"));
  EXPECT_THAT(CheckFiniteRange("five", 0, 100), HasSubstr("'five' is not a number"));
}

TEST(FiniteRange, RefusesNumbersOutsideTheRange) {
  EXPECT_THAT(CheckFiniteRange("-0.001", 0, 100), HasSubstr("Value -0.001 not in range 0 to 100"));
  EXPECT_THAT(CheckFiniteRange("100.5", 0, 100), HasSubstr("not in range"));
  EXPECT_THAT(CheckFiniteRange("0.95", 0, 0.9), HasSubstr("not in range 0 to 0.9"));
}

// Wired into an option, a refused value stops the parse and leaves the
// variable as it was.
TEST(FiniteRange, AsAnOptionCheckItStopsTheParse) {
  CLI::App app;
  double v = 7;
  app.add_option("--x", v)->check(FiniteRange(0, 10));
  EXPECT_THROW(app.parse(std::vector<std::string>{"nan", "--x"}), CLI::ValidationError);
  EXPECT_EQ(v, 7);
  app.parse(std::vector<std::string>{"2.5", "--x"});  // CLI11 takes the arguments reversed
  EXPECT_EQ(v, 2.5);
}

}  // namespace
}  // namespace shoal
