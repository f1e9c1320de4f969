// The fault swarm end to end, through the real binary: worlds full of faults
// keep every invariant, a failing seed replays byte-identically, and bad
// fault specs are refused. (CI runs a few hundred seeds through
// scripts/test.sh; scripts/swarm.sh runs 10,000.)
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "run_shoal.h"

namespace shoal {
namespace {

using testing::ReadFile;
using testing::RunShoal;
using testing::WriteTemp;

// One day of real traffic (NASA, July 1995) from the bundled trace.
std::string OneDayTrace() {
  std::istringstream in(ReadFile(std::string(SHOAL_SOURCE_DIR) + "/data/nasa_jul95_requests_per_minute.csv"));
  std::string line, out;
  for (int i = 0; i <= 1440 && std::getline(in, line); ++i) out += line + "\n";
  return WriteTemp("day.csv", out);
}

TEST(Swarm, WorldsFullOfFaultsKeepEveryInvariant) {
  const std::string trace = OneDayTrace();
  const auto r = RunShoal({"swarm", "--config", "examples/default.yaml", "--trace", trace, "--seeds", "12",
                           "--first-seed", "100", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["worlds"], 12);
  EXPECT_EQ(j["violations"], 0) << r.out;
  EXPECT_TRUE(j["failing_seeds"].empty());
  // Faults of every kind were really injected, crashes recovered among them.
  for (const char* kind : {"launch_error", "launch_lost", "terminate_error", "register_error", "describe_error",
                           "poll_error", "crash"}) {
    EXPECT_GT(j["faults_injected"].value(kind, 0), 0) << kind;
  }
  EXPECT_GT(j["restarts"].get<int>(), 0);
}

TEST(Swarm, AFaultyWorldReplaysByteIdentically) {
  const std::string trace = OneDayTrace();
  const std::vector<std::string> args = {"simulate", "--config", "examples/seed.yaml", "--trace", trace,
                                         "--seed", "42", "--faults", "default", "--json"};
  const auto a = RunShoal(args);
  const auto b = RunShoal(args);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_EQ(a.out, b.out);
  const auto j = nlohmann::json::parse(a.out);
  EXPECT_TRUE(j.contains("faults_injected"));
  EXPECT_TRUE(j["violations"].empty());
}

TEST(Swarm, BadFaultSpecsAreRefusedNamingThePart) {
  const std::string trace = OneDayTrace();
  for (const auto& [spec, expect] : std::vector<std::pair<std::string, std::string>>{
           {"launch_eror=0.1", "unknown fault 'launch_eror'"},
           {"crash=2", "crash=2: the rate must be a number from 0 to 1"},
           {"crash", "'crash' is not kind=rate"}}) {
    const auto r = RunShoal({"swarm", "--config", "examples/default.yaml", "--trace", trace, "--seeds", "1",
                             "--faults", spec});
    EXPECT_EQ(r.exit_code, 2) << spec;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace shoal
