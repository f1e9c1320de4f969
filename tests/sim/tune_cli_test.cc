// `shoal tune` end to end, through the real binary, on two days of real
// traffic with a tiny budget: the YAML and JSON outputs, the round trip of
// the tuned config through `shoal simulate`, determinism and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_shoal.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::RunShoal;
using testing::WriteTemp;

const std::string kSource = SHOAL_SOURCE_DIR;

// The first two days of July 1995 (the first line is the header).
std::string TwoDays() {
  static const std::string text = [] {
    const std::string all = ReadFile(kSource + "/data/nasa_jul95_requests_per_minute.csv");
    std::size_t at = 0;
    for (int line = 0; line < 1 + 2 * 1440 && at != std::string::npos; ++line) at = all.find('\n', at + 1);
    return WriteTemp("two_days.csv", all.substr(0, at + 1));
  }();
  return text;
}

// examples/default.yaml with its own tune: section (at the end) replaced.
std::string Config(const std::string& tune) {
  std::string text = ReadFile(kSource + "/examples/default.yaml");
  if (const std::size_t at = text.find("\ntune:"); at != std::string::npos) text.resize(at + 1);
  return WriteTemp("tune.yaml", text + tune);
}

const std::string kTune =
    "tune:\n"
    "  groups.web.policies.track-cpu.target: [50, 75]\n"
    "  groups.web.policies.seasonal.headroom_quantile: {choices: [0.5, 0.9]}\n";

TEST(TuneCli, PrintsTheFrontierAndATunedConfigThatSimulateAccepts) {
  const std::string config = Config(kTune);
  const auto r = RunShoal({"tune", "--config", config, "--trace", TwoDays(), "--budget", "4", "--seeds", "1",
                           "--max-lost-pct", "100", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("configs/minute"));
  EXPECT_THAT(r.err, HasSubstr("tune: 4/4"));
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["evaluated"], 4);
  ASSERT_EQ(j["tuned_on"].size(), 1u);
  EXPECT_THAT(j["tuned_on"][0].get<std::string>(), HasSubstr("minutes 0..2015"));
  EXPECT_THAT(j["held_out"][0].get<std::string>(), HasSubstr("minutes 2016..2879"));
  ASSERT_FALSE(j["frontier"].empty());
  for (const auto& row : j["frontier"]) {
    EXPECT_TRUE(row.contains("holdout_cost_usd"));
    EXPECT_TRUE(row.contains("holdout_lost_pct"));
  }
  // The config as given is candidate 0.
  EXPECT_EQ(j["start"]["values"]["groups.web.policies.track-cpu.target"], "65");
  // The held-out minutes run on from the ones tuned on, in one simulation:
  // the two parts are the whole trace's run, split.
  const auto whole = RunShoal({"simulate", "--config", config, "--trace", TwoDays(), "--json"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const auto w = nlohmann::json::parse(whole.out);
  EXPECT_NEAR(j["start"]["cost_usd"].get<double>() + j["start"]["holdout_cost_usd"].get<double>(),
              w["cost_usd"].get<double>(), 0.011);
  EXPECT_THAT(r.err, HasSubstr("(4 simulations, "));
  // Nothing held out: the whole trace is tuned on, and said so.
  const auto all = RunShoal({"tune", "--config", config, "--trace", TwoDays(), "--budget", "1", "--seeds", "1",
                             "--max-lost-pct", "100", "--holdout-fraction", "0", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(all.err, HasSubstr("nothing is held out"));
  const auto ja = nlohmann::json::parse(all.out);
  EXPECT_TRUE(ja["held_out"].empty());
  EXPECT_THAT(ja["tuned_on"][0].get<std::string>(), ::testing::Not(HasSubstr("minutes")));
  EXPECT_NEAR(ja["start"]["cost_usd"].get<double>(), w["cost_usd"].get<double>(), 0.011);
  const auto& chosen = j["chosen"];
  ASSERT_TRUE(chosen.is_object());
  const std::string tuned = WriteTemp("tuned.yaml", chosen["config_yaml"].get<std::string>());
  EXPECT_THAT(ReadFile(tuned), HasSubstr("target: " + chosen["values"]["groups.web.policies.track-cpu.target"].get<std::string>()));
  const auto sim = RunShoal({"simulate", "--config", tuned, "--trace", TwoDays(), "--json"});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  // Each value the chosen config changed is marked with what it was; the
  // ones it kept are not.
  int changed = 0;
  for (const auto& [path, value] : chosen["values"].items()) {
    const std::string was = j["start"]["values"][path].get<std::string>();
    const std::string mark = "# shoal tune: " + path + " was " + was + "\n";
    if (value.get<std::string>() != was) {
      ++changed;
      EXPECT_THAT(ReadFile(tuned), HasSubstr(mark));
    } else {
      EXPECT_THAT(ReadFile(tuned), ::testing::Not(HasSubstr(mark)));
    }
  }
  EXPECT_EQ(changed > 0, chosen["candidate"] != 0) << chosen.dump();

  // The YAML form: the frontier as comments, then the config; the same run
  // gives the same bytes.
  const auto y1 = RunShoal({"tune", "--config", config, "--trace", TwoDays(), "--budget", "3", "--seeds", "1",
                            "--max-lost-pct", "100"});
  const auto y2 = RunShoal({"tune", "--config", config, "--trace", TwoDays(), "--budget", "3", "--seeds", "1",
                            "--max-lost-pct", "100", "--jobs", "1"});
  ASSERT_EQ(y1.exit_code, 0) << y1.err;
  EXPECT_EQ(y1.out, y2.out);
  EXPECT_THAT(y1.out, HasSubstr("# frontier"));
  EXPECT_THAT(y1.out, HasSubstr("held out $"));
  EXPECT_THAT(y1.out, HasSubstr("\ngroups:\n"));
  const std::string tuned_yaml = WriteTemp("tuned2.yaml", y1.out);
  EXPECT_EQ(RunShoal({"simulate", "--config", tuned_yaml, "--trace", TwoDays()}).exit_code, 0);
}

TEST(TuneCli, ReadsACloudWatchExportAsATrace) {
  std::string json = R"({"Label": "RequestCount", "Datapoints": [)";
  for (int m = 0; m < 600; ++m) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-12-01T%02d:%02d:00+00:00", m / 60, m % 60);
    json += std::string(m ? "," : "") + "{\"Timestamp\": \"" + ts + "\", \"Sum\": " +
            std::to_string(1000 + (m % 60 < 5 ? 4000 : 0)) + ", \"Unit\": \"Count\"}";
  }
  json += "]}";
  const std::string trace = WriteTemp("cw.json", json);
  const auto r = RunShoal({"tune", "--config", Config(kTune), "--trace", trace, "--budget", "2", "--seeds", "1",
                           "--max-lost-pct", "100", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(nlohmann::json::parse(r.out)["held_out"][0].get<std::string>(), HasSubstr("minutes 420..599"));
}

TEST(TuneCli, BadInputIsRefusedClearly) {
  const std::string trace = TwoDays();
  auto run = [&](const std::string& tune, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"tune", "--config", Config(tune), "--trace", trace, "--budget", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunShoal(args);
  };
  auto unknown = run("tune:\n  groups.web.policies.nope.target: [50, 70]\n");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("tune.groups.web.policies.nope.target"));
  auto empty = run("tune:\n  groups.web.policies.track-cpu.target: [70, 70]\n");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_THAT(empty.err, HasSubstr("empty range [70, 70]"));
  auto invalid_end = run("tune:\n  groups.web.policies.track-cpu.target: [50, 500]\n");
  EXPECT_EQ(invalid_end.exit_code, 1);
  EXPECT_THAT(invalid_end.err, HasSubstr("tune.groups.web.policies.track-cpu.target: the value 500 is not valid there"));
  auto none = run("");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("nothing is marked tunable"));
  auto ceiling = run(kTune, {"--max-lost-pct", "-1"});
  EXPECT_NE(ceiling.exit_code, 0);
  EXPECT_THAT(ceiling.err, HasSubstr("--max-lost-pct"));
  auto nan_ceiling = run(kTune, {"--max-lost-pct", "nan"});
  EXPECT_NE(nan_ceiling.exit_code, 0);
  EXPECT_THAT(nan_ceiling.err, HasSubstr("--max-lost-pct: 'nan' is not a finite number (0 to 100)"));
  auto nan_holdout = run(kTune, {"--holdout-fraction", "nan"});
  EXPECT_NE(nan_holdout.exit_code, 0);
  EXPECT_THAT(nan_holdout.err, HasSubstr("--holdout-fraction: 'nan' is not a finite number"));
  // A split whose part tuned on, or held out, has no requests.
  std::string quiet_start = "minute,requests\n";
  std::string quiet_end = "minute,requests\n";
  for (int m = 0; m < 100; ++m) {
    quiet_start += std::to_string(m) + "," + (m < 70 ? "0" : "500") + "\n";
    quiet_end += std::to_string(m) + "," + (m < 70 ? "500" : "0") + "\n";
  }
  auto no_tuned = RunShoal({"tune", "--config", Config(kTune), "--trace", WriteTemp("quiet_start.csv", quiet_start),
                            "--budget", "2"});
  EXPECT_EQ(no_tuned.exit_code, 1);
  EXPECT_THAT(no_tuned.err, HasSubstr("minutes 0..69: the part tuned on has no requests"));
  auto no_held = RunShoal({"tune", "--config", Config(kTune), "--trace", WriteTemp("quiet_end.csv", quiet_end),
                           "--budget", "2"});
  EXPECT_EQ(no_held.exit_code, 1);
  EXPECT_THAT(no_held.err, HasSubstr("minutes 70..99: the held-out part has no requests"));
  auto missing = RunShoal({"tune", "--config", Config(kTune), "--trace", "/nonexistent/trace.csv"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/trace.csv"));
}

}  // namespace
}  // namespace shoal
