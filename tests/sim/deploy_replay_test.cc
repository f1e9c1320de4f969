// `shoal simulate --deploy`: a deploy replayed on a real trace, through the
// real binary, with the same decision code as the daemon: a good release
// rolls through, a release that never gets healthy is rolled back, one that
// serves 5% errors is rolled back by the canary analysis, one 4x slower
// too; the run stays byte-deterministic; bad --deploy values are refused.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_shoal.h"

namespace shoal {
namespace {

using testing::ReadFile;
using testing::RunShoal;
using testing::WriteTemp;

// Two days of NASA July 1995; default.yaml with a canary analysis that
// judges the trace's modest request rates.
struct Inputs {
  std::string trace;
  std::string config;
};

const Inputs& Files() {
  static const Inputs in = [] {
    // ctest runs from the build folder: read the repository's files by their full path.
    const std::string source = SHOAL_SOURCE_DIR;
    const std::string all = ReadFile(source + "/data/nasa_jul95_requests_per_minute.csv");
    std::size_t cut = 0;
    for (int line = 0; line < 2881 && cut != std::string::npos; ++line) cut = all.find('\n', cut + 1);
    std::string config = ReadFile(source + "/examples/default.yaml");
    const std::string group = "  - name: web\n";
    config.replace(config.find(group), group.size(), group + "    deploy: {min_requests: 5, analysis: 3m}\n");
    return Inputs{WriteTemp("jul2d.csv", all.substr(0, cut + 1)), WriteTemp("deploying.yaml", config)};
  }();
  return in;
}

nlohmann::json Deploy(const std::string& spec, std::string* out = nullptr) {
  const auto r = RunShoal({"simulate", "--config", Files().config, "--trace", Files().trace, "--json",
                           "--deploy", spec});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (out != nullptr) *out = r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_object() && j.contains("deploys") ? j["deploys"][0] : nlohmann::json();
}

TEST(DeployReplay, AGoodReleaseRollsThroughTheGroup) {
  std::string out;
  const nlohmann::json d = Deploy("web@6h=2", &out);
  EXPECT_EQ(d["phase"], "succeeded") << d;
  EXPECT_EQ(d["to_version"], 2);
  EXPECT_EQ(d["started_at"], 6 * 3600);
  EXPECT_GT(d["ended_at"].get<long>(), d["started_at"].get<long>());
  std::string again;
  Deploy("web@6h=2", &again);
  EXPECT_EQ(out, again) << "byte-deterministic";
}

TEST(DeployReplay, AReleaseThatNeverGetsHealthyIsRolledBack) {
  const nlohmann::json d = Deploy("web@6h=2,unhealthy");
  EXPECT_EQ(d["phase"], "rolled-back") << d;
  EXPECT_NE(d["result"].get<std::string>().find("failed its health checks"), std::string::npos) << d;
}

TEST(DeployReplay, AReleaseServingErrorsIsRolledBackByTheCanaryAnalysis) {
  const nlohmann::json d = Deploy("web@6h=2,errors=5");
  EXPECT_EQ(d["phase"], "rolled-back") << d;
  EXPECT_NE(d["result"].get<std::string>().find("canary analysis of batch 1: 5xx rate"), std::string::npos) << d;
}

TEST(DeployReplay, AMuchSlowerReleaseIsRolledBackToo) {
  const nlohmann::json d = Deploy("web@6h=2,latency_ms=80");
  EXPECT_EQ(d["phase"], "rolled-back") << d;
  EXPECT_NE(d["result"].get<std::string>().find("mean response time"), std::string::npos) << d;
}

// Blue/green in the simulator: held instances serve nothing (the world
// counts only serving capacity), the switch, keep_old, and both ways back.
TEST(DeployReplay, BlueGreenSwitchesAGoodReleaseAndPromotesIt) {
  std::string out;
  const nlohmann::json d = Deploy("web@6h=2,blue-green", &out);
  EXPECT_EQ(d["phase"], "succeeded") << d;
  EXPECT_GT(d["ended_at"].get<long>(), d["started_at"].get<long>());
  std::string again;
  Deploy("web@6h=2,blue-green", &again);
  EXPECT_EQ(out, again) << "byte-deterministic";
}

TEST(DeployReplay, BlueGreenNeverSwitchesToAnUnhealthyRelease) {
  const nlohmann::json d = Deploy("web@6h=2,unhealthy,blue-green");
  EXPECT_EQ(d["phase"], "rolled-back") << d;
  EXPECT_NE(d["result"].get<std::string>().find("failed its health checks"), std::string::npos) << d;
}

TEST(DeployReplay, BlueGreenSwitchesBackFromAReleaseServingErrors) {
  const nlohmann::json d = Deploy("web@6h=2,errors=5,blue-green");
  EXPECT_EQ(d["phase"], "rolled-back") << d;
  EXPECT_NE(d["result"].get<std::string>().find("canary analysis after the switch: 5xx rate"), std::string::npos)
      << d;
}

// A group keeps only its newest deploy: the report of an earlier one was
// lost (phase "", started_at -1) once a later one started.
TEST(DeployReplay, EachOfSeveralDeploysIsReportedAsItEnded) {
  const auto r = RunShoal({"simulate", "--config", Files().config, "--trace", Files().trace, "--json", "--deploy",
                           "web@6h=2,errors=5", "--deploy", "web@20h=3", "--deploy", "web@20h10m=4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object() && j.contains("deploys")) << r.out;
  const nlohmann::json& d = j["deploys"];
  ASSERT_EQ(d.size(), 3u) << d;
  EXPECT_EQ(d[0]["phase"], "rolled-back") << d[0];
  EXPECT_EQ(d[0]["started_at"], 6 * 3600) << d[0];
  EXPECT_GT(d[0]["ended_at"].get<long>(), 6 * 3600) << d[0];
  EXPECT_EQ(d[1]["phase"], "succeeded") << d[1];
  EXPECT_EQ(d[1]["started_at"], 20 * 3600) << d[1];
  EXPECT_EQ(d[2]["phase"], "refused") << d[2];
  EXPECT_NE(d[2]["result"].get<std::string>().find("already rolling"), std::string::npos) << d[2];
}

TEST(DeployReplay, BadDeploySpecsAreRefusedNamingThePart) {
  for (const char* bad : {"web", "web@=2", "web@6h=0", "web@6h=x", "web@soon=2", "web@6h=2,errors=500",
                          "web@6h=2,colour=red"}) {
    const auto r = RunShoal({"simulate", "--config", Files().config, "--trace", Files().trace, "--deploy", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--deploy"), std::string::npos) << r.err;
  }
  const auto r = RunShoal({"simulate", "--config", Files().config, "--trace", Files().trace, "--deploy", "api@1h=2"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no group named 'api'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoal
