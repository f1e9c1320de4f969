// One decision core: the same short scripted load, run through `shoal
// simulate` and through a live cluster (the daemon, real instances, real
// HAProxy), gives the same scaling activities: the same kinds, causes
// (policies) and capacities, in the same minutes of the script.
//
// The group scales on requests per target, which both sides measure the
// same way (requests in the minute over the capacity units that served
// through it), with thresholds far from the values the script produces, so
// the small differences between a live minute and a simulated one (boot
// time, a request counted a second late) cannot change a decision.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon_fixture.h"
#include "scaling_steps.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::DaemonTest;
using shoal::testing::DescribeSteps;
using shoal::testing::kScalingPolicies;
using shoal::testing::ScalingStep;
using shoal::testing::ScalingSteps;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

// Requests per minute of the script. Minute 1 overloads one instance (1200
// per target against a threshold of 200): step out by 2. Minute 2 runs at
// about 400 per target on 3 (the maximum): nothing to do. Minutes 3 and 4 are
// idle: one instance out after each. Minute 5 only lets the last decision be
// taken inside the script.
const std::vector<int> kScript = {60, 1200, 1200, 0, 0, 0};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(DaemonTest, AScriptedLoadScalesTheSameLiveAsInTheSimulator) {
  std::string config = Config(1, kScalingPolicies);
  config.replace(config.find("max: 6"), 6, "max: 3");
  // On-demand only: no spot market draw can add an activity to either side.
  config.replace(config.find("on_demand_percent_above_base: 0"), 31, "on_demand_percent_above_base: 100");
  std::ofstream(config_) << config;
  const std::string trace = dir_ + "/script.csv";
  {
    std::ofstream out(trace);
    out << "minute,requests\n";
    for (std::size_t m = 0; m < kScript.size(); ++m) out << m << "," << kScript[m] << "\n";
  }

  // 1. The simulator: instances in service 5 s after launch, like the live ones.
  const std::string sim_log = dir_ + "/sim-activities.json";
  const pid_t sim = Spawn({SHOAL_BINARY, "simulate", "--config", config_, "--trace", trace, "--json",
                           "--boot-seconds", "5", "--peak-instances", "1", "--activities", sim_log},
                          dir_ + "/simulate.log");
  int status = 0;
  waitpid(sim, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadAll(dir_ + "/simulate.log");
  const std::vector<ScalingStep> simulated = ScalingSteps(json::parse(ReadAll(sim_log)), 0);
  const std::vector<ScalingStep> expected = {{"scale-out", "step-out", 1, 3, 2},
                                      {"scale-in", "shed-one", 3, 2, 4},
                                      {"scale-in", "shed-one", 2, 1, 5}};
  ASSERT_EQ(simulated, expected) << "simulated:\n" << DescribeSteps(simulated);

  // 2. The live cluster, with the script played in wall-clock minutes (the
  // daemon's metric minutes): each minute's requests spread over its seconds
  // 2 to 47, so none is counted in a neighbouring minute.
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 1; }, 60s)) << Log();
  using Clock = std::chrono::system_clock;
  const long now_s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  long start = now_s / 60 * 60 + 60;
  if (start - now_s < 10) start += 60;  // let the daemon see a quiet minute first
  auto sleep_until = [](long epoch_s) {
    std::this_thread::sleep_until(Clock::time_point(std::chrono::seconds(epoch_s)));
  };
  struct Minute { pid_t pid; std::string out; int requests; };
  std::vector<Minute> loads;
  for (std::size_t m = 0; m < kScript.size(); ++m) {
    if (kScript[m] == 0) continue;
    sleep_until(start + 60 * static_cast<long>(m) + 2);
    const std::string out = dir_ + "/load-" + std::to_string(m) + ".json";
    loads.push_back(
        {Spawn({std::string(SHOAL_BUILD_DIR) + "/examples/web/shoal_load", "--url",
               "http://127.0.0.1:" + std::to_string(web_port_) + "/", "--rate", std::to_string((kScript[m] + 0.5) / 45.0),
               "--duration", "45", "--max-requests", std::to_string(kScript[m]), "--concurrency", "16", "--json"},
              out),
        out, kScript[m]});
  }
  for (const Minute& m : loads) {
    waitpid(m.pid, &status, 0);
    const json result = json::parse(ReadAll(m.out), nullptr, false);
    ASSERT_FALSE(result.is_discarded()) << ReadAll(m.out);
    EXPECT_EQ(result["sent"].get<int>(), m.requests) << result.dump();
    EXPECT_EQ(result["failed"].get<int>(), 0) << result.dump();
  }
  // The last decision is taken at the start of the script's last minute.
  sleep_until(start + 60 * static_cast<long>(kScript.size() - 1) + 5);
  auto r = Api("GET", "/v1/activities?group=web");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::vector<ScalingStep> live = ScalingSteps(json::parse(r->body), start);
  EXPECT_EQ(live, simulated) << "live:\n" << DescribeSteps(live) << "simulated:\n" << DescribeSteps(simulated) << Log();
}

}  // namespace
}  // namespace shoal
