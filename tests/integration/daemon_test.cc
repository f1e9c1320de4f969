// `shoal serve` end to end: a real daemon process, real instances of the
// example web service, real HAProxy, all on loopback, driven through the
// real CLI and API. Each test starts and stops its own daemon.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/sqlite/sqlite_state_store.h"
#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::FreePort;
using shoal::testing::HttpGet;
using shoal::testing::MakeTempDir;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

const std::string& kWeb = shoal::testing::WebBinary();
using shoal::testing::DaemonTest;
using shoal::testing::Spawn;

TEST_F(DaemonTest, ServesTheGroupBehindHaproxyAndAnswersOnlyWithTheToken) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  std::string body;
  EXPECT_EQ(HttpGet(web_port_, "/", &body), 200);
  EXPECT_NE(body.find("ok"), std::string::npos);

  auto no_token = Api("GET", "/v1/groups", "", "wrong");
  ASSERT_TRUE(no_token);
  EXPECT_EQ(no_token->status, 401);
  EXPECT_EQ(HttpGet(api_port_, "/v1/groups"), 401);

  // Malformed requests: 4xx with a message, and nothing changes.
  for (const std::string& bad : {std::string("not json"), std::string("{\"desired\": \"three\"}"),
                                 std::string("{\"desired\": 99}")}) {
    auto r = Api("POST", "/v1/groups/web/scale", bad);
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 400) << bad;
    EXPECT_LT(r->status, 500) << bad;
    EXPECT_NE(r->body.find("error"), std::string::npos);
  }
  EXPECT_EQ(Group()["desired"], 2);
  auto missing = Api("POST", "/v1/groups/nope/scale", "{\"desired\": 2}");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(DaemonTest, SpotNoticeDrainsAndReplacesWithoutAFailedRequest) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    for (int i = 0; i < 20000 && !stop; ++i) {
      (HttpGet(web_port_, "/") == 200 ? ok : failed)++;
      std::this_thread::sleep_for(20ms);
    }
  });
  const json before = Group();
  const std::string victim = before["instances"][0]["id"];
  auto r = Api("POST", "/v1/spot/interrupt", json{{"instance", victim}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  // A replacement is launched at once and serves; the victim goes.
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    const json g = Group();
                    if (g.is_null() || g["in_service"] != 2) return false;
                    for (const json& in : g["instances"]) {
                      if (in["id"] == victim) return false;
                    }
                    return true;
                  },
                  60s))
      << Log();
  stop = true;
  load.join();
  EXPECT_GT(ok.load(), 50);
  EXPECT_EQ(failed.load(), 0);
  auto acts = Api("GET", "/v1/activities?group=web");
  ASSERT_TRUE(acts);
  EXPECT_NE(acts->body.find("spot-notice"), std::string::npos);
  EXPECT_NE(acts->body.find("replace"), std::string::npos);
}

// What the spot agent on an instance reports when IMDS shows a rebalance
// recommendation reaches the group's decision: a replacement in the other
// pool first, then the instance drains; service never drops below desired.
TEST_F(DaemonTest, ARebalanceRecommendationReplacesTheInstanceLaunchFirst) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  Load load(web_port_, 20ms);
  const json before = Group();
  const std::string at_risk = before["instances"][0]["id"];
  const std::string risky_pool = before["instances"][0]["pool"];
  std::string credential;
  std::getline(std::ifstream(dir_ + "/data/instances/" + at_risk.substr(2) + "/agent-token"), credential);
  ASSERT_FALSE(credential.empty());
  auto r = Api("POST", "/v1/agent/events", json{{"instance", at_risk}, {"event", "rebalance-recommendation"}}.dump(),
               credential);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  int fewest = 2;
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    const json g = Group();
                    if (g.is_null()) return false;
                    fewest = std::min(fewest, g["in_service"].get<int>());
                    if (g["in_service"] != 2) return false;
                    for (const json& in : g["instances"]) {
                      if (in["id"] == at_risk) return false;
                    }
                    return true;
                  },
                  60s))
      << Log();
  load.Stop();
  EXPECT_EQ(fewest, 2) << "launch first, drain after";
  EXPECT_GT(load.ok(), 50);
  EXPECT_EQ(load.failed(), 0);
  auto acts = Api("GET", "/v1/activities?group=web");
  ASSERT_TRUE(acts);
  const json after = Group();
  int moved = 0;
  for (const json& in : after["instances"]) moved += in["pool"] != risky_pool ? 1 : 0;
  EXPECT_EQ(moved, 1) << "the replacement left the pool at risk: " << after.dump();
  EXPECT_NE(acts->body.find("rebalance recommendation for " + at_risk), std::string::npos) << acts->body;
  EXPECT_EQ(acts->body.find("spot-notice"), std::string::npos) << "no notice was needed";
}

TEST_F(DaemonTest, ACapacityShortageSendsLaunchesToAnotherPoolThenOnDemand) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  auto bad = Api("POST", "/v1/spot/shortage", json{{"pool", "x/y"}, {"seconds", 60}}.dump());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
  // Lowest price puts everything in the cheaper pool: take its capacity away.
  const json before = Group();
  const std::string cheap = before["instances"][0]["pool"];
  const std::string other = cheap == "c5.large/us-east-1b" ? "m4.large/us-east-1a" : "c5.large/us-east-1b";
  auto r = Api("POST", "/v1/spot/shortage", json{{"pool", cheap}, {"seconds", 600}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", "{\"desired\": 3}")->status, 200);
  ASSERT_TRUE(WaitUntil([&] { return InService() == 3; }, 60s)) << Log();
  const json after = Group();
  int elsewhere = 0;
  for (const json& in : after["instances"]) elsewhere += in["pool"] == other ? 1 : 0;
  EXPECT_EQ(elsewhere, 1) << after.dump();
  // Both pools short: the next launch falls back to on-demand in the same tick.
  ASSERT_EQ(Api("POST", "/v1/spot/shortage", json{{"pool", other}, {"seconds", 600}}.dump())->status, 200);
  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", "{\"desired\": 4}")->status, 200);
  ASSERT_TRUE(WaitUntil([&] { return InService() == 4; }, 60s)) << Log();
  EXPECT_GE(Group()["on_demand"].get<int>(), 1);
  auto acts = Api("GET", "/v1/activities?group=web");
  EXPECT_NE(acts->body.find("fallback-on-demand"), std::string::npos) << acts->body;
}

// The daemon dies between a launch and the save that records its instance
// (a fault point SIGKILLs it right after the third launch call returns): the
// restarted daemon must find that instance by its launch token, launch the
// rest of the scale-out once, and leave no orphan and no duplicate.
TEST_F(DaemonTest, AKilledDaemonRestartsAndConvergesWithoutOrphansOrDuplicates) {
  ::setenv("SHOAL_FAULT_KILL_AFTER_LAUNCH", "3", 1);
  StartDaemon();
  ::unsetenv("SHOAL_FAULT_KILL_AFTER_LAUNCH");
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  Load load(web_port_, 20ms);
  auto r = Api("POST", "/v1/groups/web/scale", "{\"desired\": 4}");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  int status = 0;
  ASSERT_TRUE(WaitUntil([&] { return waitpid(daemon_, &status, WNOHANG) == daemon_; }, 20s)) << Log();
  daemon_ = -1;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "killed by the fault point";
  // The third instance goes on starting (its launcher execs the service once
  // provisioned), its id saved nowhere.
  EXPECT_TRUE(WaitUntil([&] { return ServicePids().size() == 3u; }, 20s));
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 4; }, 60s)) << Log();
  std::this_thread::sleep_for(3s);  // a few more ticks: nothing more may launch
  load.Stop();
  const json g = Group();
  EXPECT_EQ(g["instances"].size(), 4u);
  EXPECT_EQ(ServicePids().size(), 4u) << "one process per instance: no orphan, no duplicate";
  const std::string log = Log();
  EXPECT_NE(log.find("event=instance_adopted"), std::string::npos) << log;
  EXPECT_NE(log.find("pending_launch=true"), std::string::npos) << "adopted as the launch it was: " << log;
  EXPECT_EQ(HttpGet(web_port_, "/"), 200);
  EXPECT_GT(load.ok(), 50);
  EXPECT_EQ(load.failed(), 0) << "HAProxy and the instances kept serving while the daemon was down";
}

TEST_F(DaemonTest, AFailedHealthCheckGetsTheInstanceReplaced) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  const json before = Group();
  const std::string sick = before["instances"][0]["id"];
  // The service answers /health 200 only while its health file exists.
  std::filesystem::remove(dir_ + "/data/instances/" + sick.substr(2) + "/health", ec_);
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    const json g = Group();
                    if (g.is_null() || g["in_service"] != 2) return false;
                    for (const json& in : g["instances"]) {
                      if (in["id"] == sick) return false;
                    }
                    return true;
                  },
                  60s))
      << Log();
}

// Real CPU load through HAProxy raises the group's CPU; target tracking scales
// out; when the load stops it scales back in. Each step is in the activity
// history with its cause. Alarms read one-minute datapoints, so this takes
// a few minutes.
TEST_F(DaemonTest, ScalesOutUnderLoadAndBackInAfterIt) {
  const std::string policies =
      "    policies:\n"
      "      - name: track-cpu\n"
      "        type: target-tracking\n"
      "        target: 50\n"
      "        alarm_shape:\n"
      "          scale_out: {evaluation_periods: 1, datapoints: 1}\n"
      "          scale_in: {evaluation_periods: 1, datapoints: 1, ratio: 0.5}\n"
      "        cooldown: 0s\n";
  std::ofstream(config_) << Config(1, policies, 10);
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 1; }, 60s)) << Log();
  {
    // 10 ms of CPU per request, ~40 requests/s: 0.4 cores against a 0.25 share.
    Load load(web_port_, 25ms);
    ASSERT_TRUE(WaitUntil([&] { return Group()["desired"].get<int>() >= 2; }, 200s)) << Log();
    ASSERT_TRUE(WaitUntil([&] { return InService() >= 2; }, 60s)) << Log();
    load.Stop();
    EXPECT_EQ(load.failed(), 0);
  }
  ASSERT_TRUE(WaitUntil([&] { return Group()["desired"].get<int>() == 1; }, 200s)) << Log();
  auto acts = Api("GET", "/v1/activities?group=web");
  ASSERT_TRUE(acts);
  const json rows = json::parse(acts->body);
  bool out = false, in = false;
  for (const json& a : rows) {
    out = out || (a["kind"] == "scale-out" && a["cause"].get<std::string>().find("track-cpu") != std::string::npos);
    in = in || (a["kind"] == "scale-in" && a["cause"].get<std::string>().find("track-cpu") != std::string::npos);
  }
  EXPECT_TRUE(out) << acts->body;
  EXPECT_TRUE(in) << acts->body;
}

TEST_F(DaemonTest, PlanShowsTheDifferenceAndApplyMakesItSo) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  std::string next = Config(2);
  next.replace(next.find("max: 6"), 6, "max: 3");
  next += "  - name: web-od\n    service: web\n    listen_port: " + std::to_string(web_port_) +
          "\n    min: 1\n    max: 2\n"
          "    capacity: {on_demand_base: 1}\n"
          "    launch:\n      command: [\"" + kWeb + "\", \"--port\", \"{port}\", \"--dir\", \"{dir}\"]\n"
          "    health_check: {path: /health, interval: 1s, rise: 1, fall: 2, grace: 60s}\n";
  auto plan = Api("POST", "/v1/plan", json{{"config", next}, {"source", "next.yaml"}}.dump());
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->status, 200) << plan->body;
  const json changes = json::parse(plan->body)["changes"];
  EXPECT_NE(plan->body.find("~ group web.max: 6 -> 3"), std::string::npos) << plan->body;
  EXPECT_NE(plan->body.find("+ group web-od"), std::string::npos) << plan->body;
  EXPECT_EQ(Group()["max"], 6) << "plan changes nothing";

  // A broken config is refused with its name and line, and changes nothing.
  auto bad = Api("POST", "/v1/apply", json{{"config", "groups:\n  - name: web\n    min: 9\n    max: 1\n"}, {"source", "broken.yaml"}}.dump());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("broken.yaml"), std::string::npos) << bad->body;
  EXPECT_EQ(Group()["max"], 6);

  auto apply = Api("POST", "/v1/apply", json{{"config", next}, {"source", "next.yaml"}}.dump());
  ASSERT_TRUE(apply);
  ASSERT_EQ(apply->status, 200) << apply->body;
  EXPECT_EQ(Group()["max"], 3);
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    auto r = Api("GET", "/v1/groups/web-od");
                    return r && r->status == 200 && json::parse(r->body)["in_service"] == 1;
                  },
                  60s))
      << Log();
  EXPECT_EQ(InService(), 2) << "the kept group carried on";
  auto again = Api("POST", "/v1/plan", json{{"config", next}, {"source", "next.yaml"}}.dump());
  ASSERT_TRUE(again);
  EXPECT_TRUE(json::parse(again->body)["changes"].empty()) << again->body;
}

// The file given to `serve` wins over the last apply, but never silently: a
// restart whose file undoes an apply logs what changes, like a plan.
TEST_F(DaemonTest, ARestartWhoseFileUndoesAnApplyLogsTheDifference) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  std::string next = Config(2);
  next.replace(next.find("max: 6"), 6, "max: 3");
  auto apply = Api("POST", "/v1/apply", json{{"config", next}, {"source", "next.yaml"}}.dump());
  ASSERT_TRUE(apply);
  ASSERT_EQ(apply->status, 200) << apply->body;
  StopDaemon(SIGTERM);
  StartDaemon();  // with cluster.yaml, which still says max 6
  EXPECT_EQ(Group()["max"], 6);
  const std::string log = Log();
  EXPECT_NE(log.find("event=config_changed_since_last_run last_source=next.yaml"), std::string::npos) << log;
  EXPECT_NE(log.find("~ group web.max: 3 -> 6"), std::string::npos) << log;
  // Now the file is what ran last: the next restart has nothing to say.
  StopDaemon(SIGTERM);
  StartDaemon();
  const std::string again = Log();
  EXPECT_EQ(again.find("config_changed_since_last_run", log.find("config_changed_since_last_run") + 1),
            std::string::npos)
      << again;
}

// Keys the plan once left out (an apply that changed only them answered "no
// changes" and did nothing): plan names them, apply applies them, the next
// plan has nothing to say, and they are part of the config last run.
TEST_F(DaemonTest, AnApplyOfOnlyOnceMissedKeysIsAppliedAndThenPlansNothing) {
  StartDaemon();
  std::string next = Config(2);
  next.replace(next.find("spot_instance_pools: 1"), 22, "spot_instance_pools: 1\n      on_demand_weight: 2");
  const std::string spot = "{avoid_pool_after_interruption: 10m}";
  next.replace(next.find(spot), spot.size(), "{avoid_pool_after_interruption: 10m, avoid_pool_after_capacity_error: 1m}");
  next += "controller: {inventory_period: 30s}\n";
  const std::string body = json{{"config", next}, {"source", "next.yaml"}}.dump();
  auto plan = Api("POST", "/v1/plan", body);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->status, 200) << plan->body;
  EXPECT_EQ(json::parse(plan->body)["changes"],
            json::array({"~ group web.capacity.on_demand_weight: 1.0 -> 2.0",
                         "~ group web.spot.avoid_pool_after_capacity_error: 600 -> 60",
                         "~ controller.inventory_period: 60 -> 30"}))
      << plan->body;
  auto apply = Api("POST", "/v1/apply", body);
  ASSERT_TRUE(apply);
  ASSERT_EQ(apply->status, 200) << apply->body;
  EXPECT_TRUE(json::parse(apply->body)["applied"].get<bool>()) << apply->body;
  auto again = Api("POST", "/v1/plan", body);
  ASSERT_TRUE(again);
  EXPECT_TRUE(json::parse(again->body)["changes"].empty()) << again->body;
  StopDaemon(SIGTERM);
  StartDaemon();  // with the file, which undoes the apply: the log says so, key by key
  const std::string log = Log();
  EXPECT_NE(log.find("~ group web.capacity.on_demand_weight: 2.0 -> 1.0"), std::string::npos) << log;
  EXPECT_NE(log.find("~ group web.spot.avoid_pool_after_capacity_error: 60 -> 600"), std::string::npos) << log;
  EXPECT_NE(log.find("~ controller.inventory_period: 30 -> 60"), std::string::npos) << log;
}

// A last-run config that no longer parses (written by another version, say)
// is named in the log and does not stop the daemon: the file runs.
TEST_F(DaemonTest, ALastRunConfigThatNoLongerParsesIsReportedAndTheFileRuns) {
  StartDaemon();
  StopDaemon(SIGTERM);
  {
    Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir_ + "/data/shoal.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->SaveLastConfig({"old.yaml", "groups:\n  - name: web\n    min: 9\n    max: 1\n", 1}).ok());
  }
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  const std::string log = Log();
  EXPECT_NE(log.find("event=config_changed_since_last_run last_source=old.yaml note=\"the last run config no longer "
                     "parses: old.yaml"),
            std::string::npos)
      << log;
}

TEST_F(DaemonTest, DownStopsTheDaemonItsInstancesAndHaproxy) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  ASSERT_EQ(ServicePids().size(), 2u);
  const std::string log = dir_ + "/down.log";
  const pid_t down = Spawn({SHOAL_BINARY, "down", "--data-dir", dir_ + "/data"}, log);
  int status = 0;
  waitpid(down, &status, 0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_NE(text.find("terminated 2 instance(s)"), std::string::npos) << text;
  // The daemon exited on its SIGTERM (reap it: it is our child).
  EXPECT_TRUE(WaitUntil([&] { return waitpid(daemon_, &status, WNOHANG) == daemon_; }, 20s));
  daemon_ = -1;
  EXPECT_TRUE(WaitUntil([&] { return ServicePids().empty(); }, 20s));
  EXPECT_TRUE(WaitUntil([&] { return HttpGet(web_port_, "/") == 0; }, 20s)) << "HAProxy stopped listening";
  // down waited for the stops to finish: every record is final.
  int records = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/data/instances", ec_)) {
    std::ifstream record(entry.path() / "instance.json");
    const json j = json::parse(record, nullptr, false);
    if (j.is_discarded()) continue;
    ++records;
    EXPECT_EQ(j["state"], "terminated") << entry.path();
  }
  EXPECT_EQ(records, 2);
}

TEST_F(DaemonTest, ABadConfigIsRefusedWithAClearError) {
  std::ofstream(config_) << "groups:\n  - name: web\n    min: 3\n    max: 1\n";
  const std::string log = dir_ + "/bad.log";
  const pid_t pid = Spawn({SHOAL_BINARY, "serve", "--config", config_, "--data-dir", dir_ + "/data", "--api",
                           "127.0.0.1:" + std::to_string(api_port_)},
                          log);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("cluster.yaml"), std::string::npos) << text;
}

}  // namespace
}  // namespace shoal
