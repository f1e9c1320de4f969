// The warm pool end to end: a real daemon, real instances of the example
// service, real HAProxy. The warm instance is provisioned once and held in
// SIGSTOP; on a scale-out it is started and serves before the spot launch
// made behind it (whose provisioning takes seconds), then goes back to the
// pool once that serves; a restarted daemon still tracks it, stopped.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/local/proc_stat.h"
#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

class WarmPoolDaemonTest : public shoal::testing::DaemonTest {
 protected:
  // One group, one instance, a warm pool of one; provisioning sleeps 3 s,
  // so a cold launch serves seconds after a warm start does.
  std::string WarmConfig() const {
    return "groups:\n"
           "  - name: web\n"
           "    listen_port: " + std::to_string(web_port_) + "\n"
           "    min: 1\n    max: 4\n    desired: 1\n"
           "    drain_timeout: 2s\n"
           "    capacity:\n"
           "      on_demand_percent_above_base: 0\n"
           "      allocation_strategy: lowest-price\n"
           "      spot_instance_pools: 1\n"
           "      spot_pools:\n"
           "        - {instance_type: m4.large, zone: us-east-1a}\n"
           "    warm_pool: {size: 1, pool: on-demand}\n"
           "    launch:\n"
           "      provision:\n"
           "        - [\"/bin/mkdir\", \"-p\", \"{dir}/www\"]\n"
           "        - [\"/bin/sleep\", \"3\"]\n"
           "      command: [\"" + shoal::testing::WebBinary() + "\", \"--port\", \"{port}\", \"--dir\", \"{dir}\"]\n"
           "      cpu_share: 0.25\n"
           "    health_check: {path: /health, interval: 1s, rise: 1, fall: 2, grace: 60s}\n";
  }

  // id → state, from the API.
  std::map<std::string, std::string> States() {
    std::map<std::string, std::string> out;
    const json g = Group();
    if (g.is_null()) return out;
    for (const json& in : g["instances"]) out[in["id"].get<std::string>()] = in["state"].get<std::string>();
    return out;
  }

  std::string OnlyIn(const std::string& state) {
    std::string id;
    for (const auto& [i, s] : States()) {
      if (s != state) continue;
      if (!id.empty()) return "";
      id = i;
    }
    return id;
  }

  // Every process of the instance's group, from its record: all held stopped?
  bool HeldStopped(const std::string& id) {
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/data/instances", ec_)) {
      std::ifstream in(entry.path() / "instance.json");
      const json j = json::parse(in, nullptr, false);
      if (j.is_discarded() || j.value("id", "") != id) continue;
      const int pgid = j.value("pgid", 0);
      if (pgid <= 1 || j.value("state", "") != "stopped") return false;
      int live = 0, held = 0;
      for (const ProcStat& p : ScanProcesses()) {
        if (p.pgrp != pgid || !p.Alive()) continue;
        ++live;
        held += p.state == 'T' ? 1 : 0;
      }
      return live > 0 && live == held;
    }
    return false;
  }
};

TEST_F(WarmPoolDaemonTest, AStoppedWarmInstanceStartsAndServesBeforeAColdLaunch) {
  std::ofstream(config_) << WarmConfig();
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 1 && !OnlyIn("stopped").empty(); }, 90s)) << Log();
  const std::string warm = OnlyIn("stopped");
  const std::string first = OnlyIn("in-service");
  ASSERT_TRUE(WaitUntil([&] { return HeldStopped(warm); }, 30s)) << "SIGSTOPped\n" << Log();

  auto r = Api("POST", "/v1/groups/web/scale", "{\"desired\": 2}");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  // The first instance to serve after the scale-out is the warm one: the
  // spot instance launched behind it is still provisioning then.
  std::string first_new;
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& [id, state] : States()) {
          if (id != first && state == "in-service") {
            first_new = id;
            return true;
          }
        }
        return false;
      },
      60s))
      << Log();
  EXPECT_EQ(first_new, warm) << Log();
  EXPECT_FALSE(HeldStopped(warm));
  EXPECT_EQ(shoal::testing::HttpGet(web_port_, "/health"), 200);

  // Once the spot instance behind it serves, the warm one goes back to the pool.
  ASSERT_TRUE(WaitUntil([&] { return States()[warm] == "stopped" && InService() == 2; }, 90s)) << Log();
  EXPECT_TRUE(WaitUntil([&] { return HeldStopped(warm); }, 30s));
  EXPECT_EQ(States().size(), 3u) << "two serving, one stopped; nothing launched twice";

  // A restarted daemon still tracks it, stopped (it is billed).
  StopDaemon(SIGTERM);
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  EXPECT_EQ(States()[warm], "stopped");
  EXPECT_TRUE(HeldStopped(warm));
  auto acts = Api("GET", "/v1/activities?group=web");
  ASSERT_TRUE(acts);
  EXPECT_NE(acts->body.find("warm-pool"), std::string::npos) << acts->body;
}

}  // namespace
}  // namespace shoal
