// Blue/green deploys end to end: a real daemon, real HAProxy and real
// instances of the example service booting releases from a local store, the
// real `shoal deploy --strategy blue-green` and `shoal revert`, a load
// through HAProxy all the while. A good release is switched to with no
// failed request; one that never gets healthy never gets a request and its
// held instances go; one serving 5% errors is switched back from by the
// canary analysis; `shoal revert` during keep_old switches back at once; a
// daemon SIGKILLed mid-deploy resumes it. The [figure] lines are the
// measured switch and switch-back times and failed requests.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/haproxy/haproxy.h"
#include "aws/aws_support.h"
#include "release_daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class DaemonBlueGreenTest : public shoal::testing::ReleaseDaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    WriteConfig("");
  }

  // Four instances; eight while both sets run, so each gets a smaller share.
  void WriteConfig(const std::string& deploy) {
    std::string config = ReleaseConfig(4, deploy);
    config.replace(config.find("cpu_share: 0.25"), 15, "cpu_share: 0.1");
    std::ofstream(config_) << config;
  }


  bool AllOn(int version, int n, std::chrono::seconds within = 90s) {
    std::multiset<int> want;
    for (int i = 0; i < n; ++i) want.insert(version);
    return WaitUntil([&] { return Versions(true) == want && Group()["held_by_version"].empty(); }, within);
  }
  json Deploy() { return Group()["deploy"]; }
  // Serving (not held) in-service instances of `version`, and held ones.
  int Serving(const json& g, int version) { return g["in_service_by_version"].value(std::to_string(version), 0); }
  int Held(const json& g, int version) { return g["held_by_version"].value(std::to_string(version), 0); }

  // Polls the group every 50 ms until `done`; false after `within`.
  template <typename F>
  bool Poll(F done, std::chrono::seconds within) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      const json g = Group();
      if (g.is_object() && done(g)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // HAProxy's own view, through its socket: per release, how many servers
  // take requests (UP) and how many are held or draining (DRAIN).
  struct Lb {
    std::map<int, int> up, drain;
  };
  Lb Haproxy() {
    Lb lb;
    std::map<std::string, int> version;
    auto r = DaemonTest::Api("GET", "/v1/instances?group=web");
    if (!r || r->status != 200) return lb;
    for (const json& in : json::parse(r->body)) version[in["id"].get<std::string>()] = in["version"].get<int>();
    auto stats = HaproxyRuntime(dir_ + "/data/haproxy/haproxy.sock").ShowStat();
    if (!stats.ok()) return lb;
    for (const ServerStat& st : *stats) {
      if (st.backend != BackendProxyName("web") || st.server == "BACKEND") continue;
      const auto v = version.find(st.server);
      if (v == version.end()) continue;
      if (st.status.rfind("UP", 0) == 0) ++lb.up[v->second];
      if (st.status.rfind("DRAIN", 0) == 0) ++lb.drain[v->second];
    }
    return lb;
  }
  // Polls HAProxy every 10 ms until `done`; false after `within`.
  template <typename F>
  bool PollLb(F done, std::chrono::seconds within) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      if (done(Haproxy())) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::string Activities() {
    auto acts = DaemonTest::Api("GET", "/v1/activities?group=web&limit=200");
    return acts && acts->status == 200 ? acts->body : "";
  }

};

TEST_F(DaemonBlueGreenTest, AGoodReleaseIsSwitchedToUnderLoadWithNoFailedRequest) {
  Good();
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 5ms);

  const auto started = Clock::now();
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--strategy", "blue-green", "--analysis", "0", "--keep-old",
                 "15", "--detach", "--json"},
                &out),
            0)
      << out << Log();
  EXPECT_NE(out.find("\"strategy\":\"blue-green\""), std::string::npos) << out;
  // Green comes up held: four more in service, none serving.
  ASSERT_TRUE(Poll([&](const json& g) { return Held(g, 2) == 4 || g["deploy"]["phase"] != "green-launching"; }, 90s))
      << Group().dump(2) << Log();
  const double green_s = Since(started);
  // The switch as HAProxy shows it: from the first new server taking
  // requests to every old one held (DRAIN).
  ASSERT_TRUE(PollLb([&](Lb lb) { return lb.up.count(2) > 0; }, 90s)) << Group().dump(2) << Log();
  const auto switch_began = Clock::now();
  ASSERT_TRUE(PollLb([&](Lb lb) { return lb.up[2] == 4 && lb.drain[1] == 4 && lb.up[1] == 0; }, 30s))
      << Group().dump(2);
  const double switch_s = Since(switch_began);
  EXPECT_EQ(Serving(Group(), 2), 4);
  EXPECT_EQ(Held(Group(), 1), 4);
  std::string described;
  ASSERT_EQ(Cli({"describe", "group", "web"}, &described), 0);
  EXPECT_NE(described.find("Deploy 1 (1 -> 2, blue-green): switched"), std::string::npos) << described;
  EXPECT_NE(described.find("held (registered, checked, no traffic) by release {\"1\":4}"), std::string::npos)
      << described;
  // keep_old, then the promotion.
  ASSERT_TRUE(Poll([&](const json& g) { return g["deploy"]["phase"] == "succeeded"; }, 60s)) << Group().dump(2);
  ASSERT_TRUE(AllOn(2, 4)) << Group().dump(2);
  const double total_s = Since(started);
  EXPECT_EQ(Group()["release"], "2");
  load.Stop();
  std::cout << "[figure] blue/green deploy of 4: green launched held after " << green_s << " s; switch in HAProxy "
            << "(first new server UP to every old one DRAIN) " << switch_s << " s; succeeded after keep_old 15 s at " << total_s
            << " s; requests " << load.ok() << " ok, " << load.failed() << " failed\n";
  EXPECT_GT(load.ok(), 100);
  EXPECT_EQ(load.failed(), 0);
  const std::string acts = Activities();
  EXPECT_NE(acts.find("held (registered and checked, no requests)"), std::string::npos) << acts;
  EXPECT_NE(acts.find("switched:"), std::string::npos);
  EXPECT_NE(acts.find("promoted after keeping the old release 15s"), std::string::npos);
}

TEST_F(DaemonBlueGreenTest, AReleaseThatNeverGetsHealthyNeverGetsARequestAndIsRemoved) {
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  Publish({{"README", "no health file: never ready\n"}});
  WriteConfig("{strategy: blue-green, batch_timeout: 15s}");
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 5ms);
  const auto started = Clock::now();
  std::string out;
  EXPECT_EQ(Cli({"deploy", "web", "--release", "2"}, &out), 3) << out << "\n" << Log();
  const double s = Since(started);
  const json d = Deploy();
  EXPECT_EQ(d["phase"], "rolled-back");
  EXPECT_NE(d["result"].get<std::string>().find("did not all serve their health checks within 15s"),
            std::string::npos)
      << d;
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  load.Stop();
  std::cout << "[figure] blue/green of an unhealthy release: rolled back (never switched) in " << s
            << " s; requests " << load.ok() << " ok, " << load.failed() << " failed\n";
  EXPECT_EQ(load.failed(), 0);
  const std::string acts = Activities();
  EXPECT_NE(acts.find("never switched: 4 held new instance(s) terminated"), std::string::npos) << acts;
  EXPECT_EQ(acts.find("): switched: "), std::string::npos) << "never switched";
}

TEST_F(DaemonBlueGreenTest, AReleaseServingFivePercentErrorsIsSwitchedBackFrom) {
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  Publish({{"health", "ok\n"}, {"web.conf", "error_percent=5\n"}});
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 5ms);
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--strategy", "blue-green", "--analysis", "120", "--keep-old",
                 "600", "--detach"},
                &out),
            0)
      << out;
  ASSERT_TRUE(Poll([&](const json& g) { return g["deploy"]["phase"] == "switched"; }, 120s)) << Log();
  // The analysis finds it worse: the moment the deploy says so, and the
  // moment the old set serves every request again.
  ASSERT_TRUE(Poll([&](const json& g) { return g["deploy"]["phase"] == "rolled-back"; }, 240s)) << Group().dump(2);
  const auto verdict = Clock::now();
  ASSERT_TRUE(PollLb([&](Lb lb) { return lb.up[1] == 4; }, 30s)) << Group().dump(2);
  const double old_up_s = Since(verdict);
  ASSERT_TRUE(PollLb([&](Lb lb) { return lb.up[1] == 4 && lb.up[2] == 0; }, 30s)) << Group().dump(2);
  const double back_s = Since(verdict);
  const json d = Deploy();
  EXPECT_NE(d["result"].get<std::string>().find("canary analysis after the switch: 5xx rate"), std::string::npos)
      << d;
  EXPECT_GT(d["new_release"]["errors"].get<double>(), 0);
  EXPECT_EQ(d["old_releases"]["errors"].get<double>(), 0);
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  const int failed_then = load.failed();
  std::this_thread::sleep_for(3s);
  load.Stop();
  std::cout << "[figure] blue/green of a 5% errors release: new " << d["new_release"].dump() << " old "
            << d["old_releases"].dump() << "; verdict " << (d["phase_since"].get<long>() - d["started_at"].get<long>())
            << " s after the deploy began; in HAProxy the old set UP again " << old_up_s << " s and the new set out "
            << back_s << " s after the verdict was visible in the API (polled every 50 ms); requests " << load.ok() << " ok, " << load.failed()
            << " failed (the new release's 5% while it served)\n";
  EXPECT_GT(load.failed(), 0) << "the bad release did serve errors";
  EXPECT_EQ(load.failed(), failed_then) << "none once switched back";
  EXPECT_NE(Activities().find("switched back: 4 old instance(s) serve again"), std::string::npos);
}

TEST_F(DaemonBlueGreenTest, RevertDuringKeepOldSwitchesBackAtOnce) {
  Good();
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 5ms);
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--strategy", "blue-green", "--analysis", "0", "--keep-old",
                 "600", "--detach"},
                &out),
            0)
      << out;
  ASSERT_TRUE(Poll([&](const json& g) { return Serving(g, 2) == 4 && Held(g, 1) == 4; }, 120s)) << Log();
  const int launched_before = static_cast<int>(Group()["instances"].size());
  const auto asked = Clock::now();
  ASSERT_EQ(Cli({"revert", "web", "--detach"}, &out), 0) << out;
  const double answered_s = Since(asked);
  ASSERT_TRUE(PollLb([&](Lb lb) { return lb.up[1] == 4 && lb.up[2] == 0; }, 30s)) << Group().dump(2);
  const double back_s = Since(asked);
  EXPECT_EQ(Deploy()["phase"], "rolled-back");
  EXPECT_NE(Deploy()["result"].get<std::string>().find("shoal revert"), std::string::npos);
  EXPECT_LE(static_cast<int>(Group()["instances"].size()), launched_before) << "nothing launched to go back";
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  load.Stop();
  std::cout << "[figure] shoal revert during keep_old: the command answered in " << answered_s
            << " s; in HAProxy the old set UP and the new one out " << back_s << " s after it began; requests " << load.ok() << " ok, " << load.failed() << " failed\n";
  EXPECT_EQ(load.failed(), 0);
}

TEST_F(DaemonBlueGreenTest, ADaemonKilledMidBlueGreenResumesIt) {
  Good();
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 5ms);
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--strategy", "blue-green", "--analysis", "0", "--keep-old",
                 "20", "--detach"},
                &out),
            0)
      << out;
  // Killed while the held set boots, then again once switched.
  ASSERT_TRUE(Poll([&](const json& g) { return !g["instances"].empty() && g["instances"].size() > 4; }, 60s)) << Log();
  StopDaemon(SIGKILL);
  StartDaemon();
  ASSERT_TRUE(Poll([&](const json& g) { return g["deploy"]["phase"] == "switched"; }, 120s)) << Group().dump(2) << Log();
  EXPECT_EQ(Deploy()["id"], 1) << "the same deploy, resumed";
  StopDaemon(SIGKILL);
  StartDaemon();
  ASSERT_TRUE(Poll([&](const json& g) { return g["deploy"]["phase"] == "succeeded"; }, 120s)) << Group().dump(2) << Log();
  ASSERT_TRUE(AllOn(2, 4)) << Group().dump(2);
  EXPECT_EQ(Deploy()["id"], 1);
  load.Stop();
  std::cout << "[figure] blue/green with the daemon SIGKILLed twice (green launching, switched): resumed and "
            << "succeeded; requests " << load.ok() << " ok, " << load.failed() << " failed\n";
  EXPECT_EQ(load.failed(), 0);
}

}  // namespace
}  // namespace shoal
