// Deploys end to end: a real daemon, real HAProxy and real instances of the
// example service, each booting a release from a local store; the real
// `shoal deploy` and `shoal revert` commands; a load through HAProxy all the
// while. A good release rolls through with no failed request and reverts
// the same way; a release that never gets healthy is rolled back by itself;
// one that serves 5% errors is caught by the canary analysis and rolled
// back; a daemon SIGKILLed mid-deploy resumes it. The figures the tests
// print (durations, failed requests) are reported in the issue notes.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aws/aws_support.h"
#include "release_daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

class DaemonDeployTest : public shoal::testing::ReleaseDaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    std::ofstream(config_) << ReleaseConfig(4);
  }

  // Waits for the group to serve `n` instances, all of release `version`.
  bool AllOn(int version, int n, std::chrono::seconds within = 90s) {
    std::multiset<int> want;
    for (int i = 0; i < n; ++i) want.insert(version);
    return WaitUntil([&] { return Versions(true) == want; }, within);
  }
  json Deploy() { return Group()["deploy"]; }

};

TEST_F(DaemonDeployTest, ARollingDeployAndARevertUnderLoadFailNoRequest) {
  Good();
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 10ms);

  auto started = std::chrono::steady_clock::now();
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--batch", "50%", "--analysis", "0", "--json"}, &out), 0)
      << out << Log();
  const double deploy_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(Versions(true), (std::multiset<int>{2, 2, 2, 2}));
  EXPECT_NE(out.find("\"phase\":\"succeeded\""), std::string::npos) << out;
  EXPECT_EQ(Deploy()["batches"], 2);
  EXPECT_EQ(Group()["release"], "2") << "later launches boot what was deployed";
  std::string described;
  ASSERT_EQ(Cli({"describe", "group", "web"}, &described), 0);
  EXPECT_NE(described.find("Deploy 1 (1 -> 2): succeeded, batch 2, 4 replaced"), std::string::npos) << described;

  started = std::chrono::steady_clock::now();
  ASSERT_EQ(Cli({"revert", "web"}, &out), 0) << out << Log();
  const double revert_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(Versions(true), (std::multiset<int>{1, 1, 1, 1}));
  load.Stop();
  std::cout << "[figure] rolling deploy of 4 instances in 2 batches: " << deploy_s << " s; revert: " << revert_s
            << " s; requests " << load.ok() << " ok, " << load.failed() << " failed\n";
  EXPECT_GT(load.ok(), 100);
  EXPECT_EQ(load.failed(), 0);

  // Every step is an activity with its cause.
  auto acts = DaemonTest::Api("GET", "/v1/activities?group=web&limit=200");
  ASSERT_TRUE(acts && acts->status == 200);
  EXPECT_NE(acts->body.find("batch 1 replaces"), std::string::npos);
  EXPECT_NE(acts->body.find("deploy 2 (release 2 -> 1)"), std::string::npos) << "the revert is deploy 2";
}

TEST_F(DaemonDeployTest, TenInstancesInBatchesOfQuarterUnderLoad) {
  Good();
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  std::string config = ReleaseConfig(10);
  config.replace(config.find("max: 6"), 6, "max: 13");
  // Thirteen at once must fit the cores the local provider hands out.
  config.replace(config.find("cpu_share: 0.25"), 15, "cpu_share: 0.1");
  std::ofstream(config_) << config;
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 10, 120s)) << Log();
  Load load(web_port_, 5ms);
  const auto started = std::chrono::steady_clock::now();
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--batch", "25%", "--analysis", "0"}, &out), 0) << out << Log();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(Versions(true).count(2), 10u);
  EXPECT_EQ(Deploy()["batches"], 4) << "ceil(25% of 10) = 3 a batch";
  load.Stop();
  std::cout << "[figure] rolling deploy of 10 instances in batches of 3: " << s << " s; requests " << load.ok()
            << " ok, " << load.failed() << " failed\n";
  EXPECT_EQ(load.failed(), 0);
}

TEST_F(DaemonDeployTest, DeployRequestsThatCannotBeAreRefusedAndChangeNothing) {
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  auto unknown = DaemonTest::Api("POST", "/v1/groups/web/deploy", R"({"release": "9"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << unknown->body;
  EXPECT_NE(unknown->body.find("9"), std::string::npos) << unknown->body;
  auto same = DaemonTest::Api("POST", "/v1/groups/web/deploy", R"({"release": "latest-stable"})");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 400) << same->body;
  EXPECT_NE(same->body.find("runs release 1 already"), std::string::npos) << same->body;
  auto bad = DaemonTest::Api("POST", "/v1/groups/web/deploy", R"({"release": "1", "batch": "0%"})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  auto nothing = DaemonTest::Api("POST", "/v1/groups/web/revert", "{}");
  ASSERT_TRUE(nothing);
  EXPECT_EQ(nothing->status, 400) << nothing->body;
  EXPECT_NE(nothing->body.find("no earlier release"), std::string::npos) << nothing->body;
  auto nogroup = DaemonTest::Api("POST", "/v1/groups/nope/deploy", R"({"release": "1"})");
  ASSERT_TRUE(nogroup);
  EXPECT_EQ(nogroup->status, 404);
  EXPECT_TRUE(Group()["deploy"].is_null()) << "nothing started";
  std::string out;
  EXPECT_EQ(Cli({"deploy", "web", "--release", "9"}, &out), 1);
  auto not_an_id = DaemonTest::Api("POST", "/v1/groups/web/deploy", R"({"release": "1", "instance": "i-0 ; reboot"})");
  ASSERT_TRUE(not_an_id);
  EXPECT_EQ(not_an_id->status, 400);
  EXPECT_NE(not_an_id->body.find("is not an instance id"), std::string::npos) << not_an_id->body;
  auto not_serving = DaemonTest::Api("POST", "/v1/groups/web/deploy",
                                     R"({"release": "1", "instance": "i-00000000000000ff"})");
  ASSERT_TRUE(not_serving);
  EXPECT_EQ(not_serving->status, 400);
  EXPECT_NE(not_serving->body.find("is not in service"), std::string::npos) << not_serving->body;

  Good();
  ASSERT_EQ(Cli({"deploy", "web", "--release", "latest", "--batch", "1", "--analysis", "0", "--detach"}, &out), 0);
  auto twice = DaemonTest::Api("POST", "/v1/groups/web/deploy", R"({"release": "2"})");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 409) << twice->body;
  EXPECT_NE(twice->body.find("shoal revert web"), std::string::npos) << "says what to do: " << twice->body;
}

TEST_F(DaemonDeployTest, AReleaseThatNeverGetsHealthyIsRolledBackByItself) {
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  Publish({{"README", "no health file: never ready\n"}});
  std::ofstream(config_) << ReleaseConfig(4, "{batch_timeout: 15s}");
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 10ms);
  const auto started = std::chrono::steady_clock::now();
  std::string out;
  EXPECT_EQ(Cli({"deploy", "web", "--release", "2", "--batch", "1"}, &out), 3) << out << "\n" << Log();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(Deploy()["phase"], "rolled-back");
  EXPECT_NE(Deploy()["result"].get<std::string>().find("did not serve within 15s"), std::string::npos) << Deploy();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  load.Stop();
  std::cout << "[figure] unhealthy release: rolled back and done in " << s << " s; requests " << load.ok()
            << " ok, " << load.failed() << " failed\n";
  EXPECT_EQ(load.failed(), 0);
}

TEST_F(DaemonDeployTest, AReleaseServingFivePercentErrorsIsCaughtByTheCanaryAnalysis) {
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  Publish({{"health", "ok\n"}, {"web.conf", "error_percent=5\n"}});
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  Load load(web_port_, 5ms);
  std::string out;
  EXPECT_EQ(Cli({"deploy", "web", "--release", "2", "--batch", "1", "--analysis", "120", "--json"}, &out), 3)
      << out << "\n" << Log();
  const json d = Deploy();
  EXPECT_EQ(d["phase"], "rolled-back");
  EXPECT_NE(d["result"].get<std::string>().find("canary analysis of batch 1: 5xx rate"), std::string::npos) << d;
  EXPECT_GT(d["new_release"]["errors"].get<double>(), 0);
  EXPECT_EQ(d["old_releases"]["errors"].get<double>(), 0);
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  load.Stop();
  std::cout << "[figure] 5% errors release: new " << d["new_release"].dump() << " old " << d["old_releases"].dump()
            << "; rollback began " << (d["phase_since"].get<long>() - d["started_at"].get<long>())
            << " s after the deploy began; requests " << load.ok() << " ok, " << load.failed()
            << " failed (the bad canary's 5%)\n";
  EXPECT_GT(load.failed(), 0) << "the bad release did serve errors";
  EXPECT_LT(load.failed(), load.ok() / 20) << "only the canary's share failed";
}

TEST_F(DaemonDeployTest, ADaemonKilledMidDeployResumesIt) {
  Good();
  Good();
  ASSERT_EQ(Run({"release", "promote", "web", "1", "--store", Store()}), 0);
  StartDaemon();
  ASSERT_TRUE(AllOn(1, 4)) << Log();
  std::string out;
  ASSERT_EQ(Cli({"deploy", "web", "--release", "2", "--batch", "1", "--analysis", "0", "--detach"}, &out), 0) << out;
  ASSERT_TRUE(WaitUntil([&] { return Versions(true).count(2) >= 1; }, 60s)) << Log();
  StopDaemon(SIGKILL);
  StartDaemon();
  ASSERT_TRUE(AllOn(2, 4, 120s)) << Group().dump(2) << Log();
  EXPECT_EQ(Deploy()["phase"], "succeeded");
  EXPECT_EQ(Deploy()["id"], 1) << "the same deploy, resumed";
}

}  // namespace
}  // namespace shoal
