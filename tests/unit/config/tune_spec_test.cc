#include "adapters/config/tune_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "adapters/config/config.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBase = R"(groups:
  - name: web
    min: 2      # keep two
    max: 20
    policies:
      - name: track
        type: target-tracking
        metric: cpu_utilization
        target: 50
        warmup: 3m
        alarm_shape:
          scale_in: {evaluation_periods: 15, datapoints: 15, ratio: 0.9}
)";

std::string ParseError(const std::string& tune) {
  Result<Config> r = ParseConfig(kBase + tune, "t.yaml");
  return r.ok() ? std::string("ok") : r.status().message();
}

TEST(TuneSpec, ReadsRangesDurationsAndChoicesByNameAndIndex) {
  Result<Config> c = ParseConfig(kBase + R"(tune:
  groups.web.policies.track.target: [40, 75.5]
  groups.web.policies.track.warmup: [1m, 5m]
  groups.0.min: [1, 4]
  groups.web.policies.track.alarm_shape.scale_in.ratio: {choices: [0.7, 0.9]}
)", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->tune.size(), 4u);
  EXPECT_TRUE(c->tune[0].range);
  EXPECT_FALSE(c->tune[0].integer);
  EXPECT_EQ(c->tune[0].low, 40);
  EXPECT_EQ(c->tune[0].high, 75.5);
  EXPECT_EQ(c->tune[0].current, "50");
  EXPECT_TRUE(c->tune[1].duration);
  EXPECT_TRUE(c->tune[1].minutes);  // whole minutes: searched in minutes
  EXPECT_EQ(c->tune[1].low, 1);
  EXPECT_EQ(c->tune[1].high, 5);
  EXPECT_TRUE(c->tune[2].integer);
  EXPECT_EQ(c->tune[3].choices, (std::vector<std::string>{"0.7", "0.9"}));
  EXPECT_EQ(c->tune[3].current, "0.9");
}

TEST(TuneSpec, BadTunablesAreRefusedNamingThePath) {
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.nope.target: [1, 2]\n"),
              HasSubstr("tune.groups.web.policies.nope.target: \"groups.web.policies\" is a list with no item named \"nope\""));
  EXPECT_THAT(ParseError("tune:\n  groups.web.desired: [1, 2]\n"),
              HasSubstr("tune.groups.web.desired: \"groups.web\" has no key \"desired\" written in the file"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.track.target: [50, 50]\n"),
              HasSubstr("tune.groups.web.policies.track.target: empty range [50, 50]"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.track.target: [70, 40]\n"), HasSubstr("empty range [70, 40]"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.track.target: [1, 2, 3]\n"), HasSubstr("a range is [low, high]"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.track.target: [1, abc]\n"),
              HasSubstr("two numbers or two durations"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.track.target: {choices: []}\n"),
              HasSubstr("tune.groups.web.policies.track.target.choices: expected a non-empty list"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.policies.track.alarm_shape: [1, 2]\n"), HasSubstr("not a single value"));
  EXPECT_THAT(ParseError("tune:\n  groups.web.min.x: [1, 2]\n"), HasSubstr("the path goes on past it"));
  EXPECT_THAT(ParseError("tune: [1]\n"), HasSubstr("tune: expected a mapping"));
}

TEST(TuneSpec, SubstitutionKeepsCommentsAndLayoutAndParses) {
  Result<std::string> text = SubstituteTuneValues(
      kBase, {{"groups.web.min", "3"}, {"groups.web.policies.track.target", "62.5"},
              {"groups.web.policies.track.alarm_shape.scale_in.ratio", "0.75"}, {"groups.web.policies.track.warmup", "90s"}},
      "t.yaml");
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_THAT(*text, HasSubstr("    min: 3      # keep two\n"));
  EXPECT_THAT(*text, HasSubstr("scale_in: {evaluation_periods: 15, datapoints: 15, ratio: 0.75}"));
  Result<Config> c = ParseConfig(*text, "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->groups[0].min, 3);
  EXPECT_EQ(c->groups[0].policies[0].target_value, 62.5);
  EXPECT_EQ(c->groups[0].policies[0].warmup, 90);
  EXPECT_FALSE(SubstituteTuneValues(kBase, {{"groups.web.nope", "1"}}, "t.yaml").ok());
}

TEST(TuneSpec, TwoPathsToOneValueAreRefusedWithOrWithoutMarks) {
  // By name and by index: the same `min`.
  for (const TuneMarks marks : {TuneMarks::kNone, TuneMarks::kChanged}) {
    Result<std::string> text =
        SubstituteTuneValues(kBase, {{"groups.web.min", "3"}, {"groups.0.min", "4"}}, "t.yaml", marks);
    ASSERT_FALSE(text.ok());
    EXPECT_THAT(text.status().message(), HasSubstr("t.yaml: two tune paths name one value"));
  }
}

TEST(TuneSpec, TheChosenConfigMarksEachValueItChanged) {
  const TuneValues values = {{"groups.web.min", "2"},
                             {"groups.web.policies.track.alarm_shape.scale_in.evaluation_periods", "20"},
                             {"groups.web.policies.track.alarm_shape.scale_in.ratio", "0.75"},
                             {"groups.web.policies.track.target", "62.5"}};
  Result<std::string> text = SubstituteTuneValues(kBase, values, "t.yaml", TuneMarks::kChanged);
  ASSERT_TRUE(text.ok()) << text.status().message();
  // Unchanged (min stays 2): no mark. Changed: a comment line above, indented
  // as the value's line, the marks of one line in the order of the paths.
  EXPECT_THAT(*text, HasSubstr("    max: 20\n"));
  EXPECT_THAT(*text, Not(HasSubstr("groups.web.min was")));
  EXPECT_THAT(*text, HasSubstr("        # shoal tune: groups.web.policies.track.target was 50\n        target: 62.5\n"));
  EXPECT_THAT(*text,
              HasSubstr("          # shoal tune: groups.web.policies.track.alarm_shape.scale_in.evaluation_periods was 15\n"
                        "          # shoal tune: groups.web.policies.track.alarm_shape.scale_in.ratio was 0.9\n"
                        "          scale_in: {evaluation_periods: 20, datapoints: 15, ratio: 0.75}\n"));
  Result<Config> c = ParseConfig(*text, "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->groups[0].policies[0].target_value, 62.5);
  // Without marks (every config a search evaluates) only the values change.
  Result<std::string> plain = SubstituteTuneValues(kBase, values, "t.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_THAT(*plain, Not(HasSubstr("# shoal tune")));
}

TEST(TuneSpec, AMarkInsideAFlowMappingOverSeveralLinesStillParses) {
  const std::string base = kBase + "    warm_pool: {pool: on-demand,\n                size: 4}\n";
  Result<std::string> text = SubstituteTuneValues(base, {{"groups.web.warm_pool.size", "2"}}, "t.yaml", TuneMarks::kChanged);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_THAT(*text, HasSubstr("{pool: on-demand,\n                # shoal tune: groups.web.warm_pool.size was 4\n"
                               "                size: 2}\n"));
  Result<Config> c = ParseConfig(*text, "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->groups[0].warm_pool.size, 2);
}

TEST(TuneSpec, NumbersAreWrittenShort) {
  EXPECT_EQ(FormatTuneNumber(40), "40");
  EXPECT_EQ(FormatTuneNumber(0.9), "0.9");
  EXPECT_EQ(FormatTuneNumber(57.38), "57.38");
}

}  // namespace
}  // namespace shoal
