// `shoal serve` and the HAProxy it owns, under the faults of issue 7: a
// reload for a new service under load, HAProxy killed with SIGKILL, and an
// apply HAProxy cannot carry out (its new port is taken). Real daemon, real
// instances, real HAProxy, load from examples/web's shoal_load.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/haproxy/haproxy.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::DaemonTest;
using shoal::testing::FreePort;
using shoal::testing::HttpGet;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// shoal_load in the background against a port of 127.0.0.1; Wait() returns
// its JSON report.
class BackgroundLoad {
 public:
  BackgroundLoad(const std::string& dir, int port, int rate, int seconds) : out_(dir + "/load.json") {
    pid_ = Spawn({std::string(SHOAL_BUILD_DIR) + "/examples/web/shoal_load", "--url",
                  "http://127.0.0.1:" + std::to_string(port) + "/", "--rate", std::to_string(rate), "--duration",
                  std::to_string(seconds), "--concurrency", "8", "--timeout-ms", "5000", "--json"},
                 out_);
  }
  ~BackgroundLoad() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  json Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return json::parse(ReadAll(out_), nullptr, false);
  }

 private:
  std::string out_;
  pid_t pid_ = -1;
};

// A listening socket on 127.0.0.1 that holds a port (any free one, or
// `port`), with SO_REUSEADDR like HAProxy's but no SO_REUSEPORT.
class TakenPort {
 public:
  explicit TakenPort(int port = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    held_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 8) == 0;
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~TakenPort() { close(fd_); }
  bool held() const { return held_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  bool held_ = false;
};

class DaemonHaproxyTest : public DaemonTest {
 protected:
  // The fixture's config plus a group "api" (its own service) on `port`.
  std::string WithApiService(int port) const {
    return Config(2) + "  - name: api\n    listen_port: " + std::to_string(port) +
           "\n    min: 1\n    max: 2\n    desired: 1\n"
           "    capacity: {on_demand_base: 1}\n"
           "    launch:\n      command: [\"" + shoal::testing::WebBinary() +
           "\", \"--port\", \"{port}\", \"--dir\", \"{dir}\", \"--cpu-ms\", \"1\"]\n"
           "    health_check: {path: /health, interval: 1s, rise: 1, fall: 2, grace: 60s}\n";
  }

  // `shoal apply -f file` through the CLI; its exit code and output.
  int CliApply(const std::string& file, std::string* output) {
    const std::string log = dir_ + "/apply.log";
    const pid_t pid = Spawn({SHOAL_BINARY, "apply", "-f", file, "--api", "http://127.0.0.1:" + std::to_string(api_port_),
                             "--data-dir", dir_ + "/data"},
                            log);
    int status = 0;
    waitpid(pid, &status, 0);
    *output = ReadAll(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  int GroupInService(const std::string& group) {
    auto r = Api("GET", "/v1/groups/" + group);
    return r && r->status == 200 ? json::parse(r->body)["in_service"].get<int>() : -1;
  }

  int HaproxyPid() {
    int pid = 0;
    std::istringstream(ReadAll(dir_ + "/data/haproxy/haproxy.pid")) >> pid;
    return pid;
  }

  HaproxyRuntime Runtime() const { return HaproxyRuntime(dir_ + "/data/haproxy/haproxy.sock"); }

  // Servers of the web backend HAProxy shows through its socket, by status.
  std::map<std::string, std::string> WebServers() {
    std::map<std::string, std::string> out;
    auto stats = Runtime().ShowStat();
    if (!stats.ok()) return out;
    for (const ServerStat& s : *stats) {
      if (s.backend == BackendProxyName("web") && s.server != "BACKEND") out[s.server] = s.status;
    }
    return out;
  }

  // Which instances answer `n` requests through the web frontend.
  std::set<std::string> Answering(int n) {
    std::set<std::string> ids;
    for (int i = 0; i < n; ++i) {
      std::string body;
      if (HttpGet(web_port_, "/", &body) == 200) ids.insert(body.substr(0, body.rfind(' ')));
    }
    return ids;
  }

  // Whether the instances answering through HAProxy are exactly those in
  // service (each answers "ok <id> v1"); *seen says who answered.
  bool AllAndOnlyInServiceAnswer(int requests, std::string* seen) {
    const std::set<std::string> answering = Answering(requests);
    const std::set<std::string> in_service = InServiceIds();
    *seen = "answering:";
    for (const std::string& id : answering) *seen += " [" + id + "]";
    *seen += "; in service:";
    for (const std::string& id : in_service) *seen += " [" + id + "]";
    return answering == in_service;
  }

  // The causes of the group's load-balancer activities.
  std::vector<std::string> LoadBalancerCauses() {
    std::vector<std::string> out;
    auto r = Api("GET", "/v1/activities?group=web");
    if (!r || r->status != 200) return out;
    for (const json& a : json::parse(r->body)) {
      if (a["kind"] == "load-balancer") out.push_back(a["cause"]);
    }
    return out;
  }

  bool AnyContains(const std::vector<std::string>& texts, const std::string& part) {
    return std::any_of(texts.begin(), texts.end(),
                       [&](const std::string& t) { return t.find(part) != std::string::npos; });
  }

  std::set<std::string> InServiceIds() {
    std::set<std::string> ids;
    const json group = Group();
    for (const json& in : group["instances"]) {
      if (in["state"] == "in-service") ids.insert("ok " + in["id"].get<std::string>());
    }
    return ids;
  }
};

// Issue 7, section 3: a reload for a new service keeps every existing service
// answering. Before, the new HAProxy process started with empty backends and
// answered 503 until the next poll re-added the servers.
TEST_F(DaemonHaproxyTest, ApplyingANewServiceUnderLoadFailsNoRequest) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  const int api_listen = FreePort();
  const std::string next = dir_ + "/next.yaml";
  std::ofstream(next) << WithApiService(api_listen);
  const int old_haproxy = HaproxyPid();

  BackgroundLoad load(dir_, web_port_, 50, 12);
  std::this_thread::sleep_for(3s);  // the load runs before, through and after the apply
  std::string output;
  ASSERT_EQ(CliApply(next, &output), 0) << output << Log();
  EXPECT_NE(output.find("+ group api"), std::string::npos) << output;
  EXPECT_NE(HaproxyPid(), old_haproxy) << "a new service needs a new HAProxy process";
  const json report = load.Wait();
  ASSERT_FALSE(report.is_discarded());
  std::cout << "[ figures ] apply of a new service under load: sent=" << report["sent"] << " ok=" << report["ok"]
            << " failed=" << report["failed"] << " (http " << report["failed_http"] << ", connection "
            << report["failed_connection"] << ")\n";
  EXPECT_GT(report["ok"].get<int>(), 300) << report.dump();
  EXPECT_EQ(report["failed"].get<int>(), 0) << report.dump() << Log();

  // Both services answer afterwards.
  ASSERT_TRUE(WaitUntil([&] { return GroupInService("api") == 1; }, 60s)) << Log();
  EXPECT_TRUE(WaitUntil([&] { return HttpGet(api_listen, "/") == 200; }, 20s));
  EXPECT_EQ(HttpGet(web_port_, "/"), 200);
  EXPECT_EQ(InService(), 2);
}

// Issue 7, section 8: HAProxy killed with SIGKILL was never noticed. The
// daemon restarts it with the servers it had, and records an activity.
TEST_F(DaemonHaproxyTest, AKilledHaproxyIsRestartedWithItsServersAndRecorded) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  std::string seen;
  ASSERT_TRUE(WaitUntil([&] { return AllAndOnlyInServiceAnswer(10, &seen); }, 20s)) << seen;
  const int old_haproxy = HaproxyPid();
  ASSERT_GT(old_haproxy, 0);

  BackgroundLoad load(dir_, web_port_, 50, 15);
  std::this_thread::sleep_for(3s);
  ASSERT_EQ(kill(old_haproxy, SIGKILL), 0);
  const auto killed = SteadyClock::now();
  // Probes every 10 ms for the first answer after the kill (a measure, not an assertion).
  std::optional<SteadyClock::duration> recovered;
  while (!recovered && SteadyClock::now() - killed < 60s) {
    if (HttpGet(web_port_, "/") == 200) recovered = SteadyClock::now() - killed;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(recovered.has_value()) << "nothing answers after HAProxy was killed\n" << Log();
  const json report = load.Wait();
  ASSERT_FALSE(report.is_discarded());
  std::cout << "[ figures ] HAProxy SIGKILL under load: recovered after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(*recovered).count() << " ms; sent="
            << report["sent"] << " ok=" << report["ok"] << " failed=" << report["failed"] << " (http "
            << report["failed_http"] << ", connection " << report["failed_connection"] << ")\n";
  EXPECT_NE(HaproxyPid(), old_haproxy);

  // Every in-service instance is back behind it, and requests succeed again.
  EXPECT_TRUE(WaitUntil([&] { return AllAndOnlyInServiceAnswer(10, &seen); }, 20s)) << seen;
  EXPECT_EQ(InService(), 2);
  EXPECT_EQ(WebServers().size(), 2u);
  const std::vector<std::string> causes = LoadBalancerCauses();
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0], "HAProxy (pid " + std::to_string(old_haproxy) + ") was not running: restarted it (pid " +
                           std::to_string(HaproxyPid()) + ") with the 2 server(s) of the group");
  EXPECT_NE(Log().find("event=load_balancer_restarted old_pid=" + std::to_string(old_haproxy)), std::string::npos)
      << Log();
}

// A HAProxy that cannot be restarted (its port was taken meanwhile) is
// recorded and logged, and retried until it runs again.
TEST_F(DaemonHaproxyTest, AHaproxyThatCannotBeRestartedIsRetriedAndRecorded) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  ASSERT_TRUE(WaitUntil([&] { return WebServers().size() == 2; }, 20s));
  // Kill it and take its port before the next tick restarts it (if a tick
  // comes first, kill the restarted one and try again).
  std::unique_ptr<TakenPort> taken;
  for (int attempt = 0; attempt < 5 && !taken; ++attempt) {
    const int pid = HaproxyPid();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    const auto deadline = SteadyClock::now() + 2s;
    while (!taken && SteadyClock::now() < deadline) {
      auto port = std::make_unique<TakenPort>(web_port_);
      if (port->held()) taken = std::move(port);
    }
  }
  ASSERT_TRUE(taken) << "could not take the web port after killing HAProxy";
  ASSERT_TRUE(WaitUntil([&] { return AnyContains(LoadBalancerCauses(), "could not be restarted"); }, 20s))
      << Log();
  EXPECT_TRUE(AnyContains(LoadBalancerCauses(), "listen_port " + std::to_string(web_port_) + " of service 'web' is in use"));
  EXPECT_NE(Log().find("event=load_balancer_restart_failed"), std::string::npos) << Log();
  taken.reset();
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(web_port_, "/") == 200; }, 90s)) << Log();
  EXPECT_TRUE(WaitUntil([&] { return AnyContains(LoadBalancerCauses(), "was not running: restarted it"); }, 10s));
  EXPECT_EQ(WebServers().size(), 2u);
  const std::vector<std::string> causes = LoadBalancerCauses();
  EXPECT_EQ(std::count_if(causes.begin(), causes.end(),
                          [](const std::string& c) { return c.find("could not be restarted") != std::string::npos; }),
            1)
      << "only the first failure of a streak is an activity; every attempt is logged";
}

// Issue 7, section 8: an apply whose new listen port is taken left the old
// HAProxy serving without its control socket, so no instance joined it again.
// A failed apply changes nothing and says why.
TEST_F(DaemonHaproxyTest, AnApplyWhosePortIsTakenIsRefusedAndChangesNothing) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  ASSERT_TRUE(WaitUntil([&] { return WebServers().size() == 2; }, 20s));
  const int old_haproxy = HaproxyPid();
  const std::string haproxy_cfg = ReadAll(dir_ + "/data/haproxy/haproxy.cfg");
  const std::string started_with = ReadAll(config_);

  TakenPort taken;
  ASSERT_TRUE(taken.held());
  auto r = Api("POST", "/v1/apply", json{{"config", WithApiService(taken.port())}, {"source", "taken.yaml"}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_NE(r->body.find(std::to_string(taken.port())), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("in use"), std::string::npos) << r->body;

  // HAProxy as it was: same process, its socket answers, its servers kept.
  EXPECT_EQ(HaproxyPid(), old_haproxy);
  auto info = Runtime().Command("show info");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_NE(info->find("Pid: " + std::to_string(old_haproxy)), std::string::npos);
  EXPECT_EQ(WebServers().size(), 2u);
  EXPECT_EQ(ReadAll(dir_ + "/data/haproxy/haproxy.cfg"), haproxy_cfg);
  // The groups as they were.
  auto api = Api("GET", "/v1/groups/api");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 404);
  EXPECT_EQ(json::parse(Api("GET", "/v1/groups")->body).size(), 1u);
  // The port freed, plan still shows the change: nothing of it was kept.
  auto plan = Api("POST", "/v1/plan", json{{"config", WithApiService(taken.port())}, {"source", "taken.yaml"}}.dump());
  ASSERT_TRUE(plan);
  EXPECT_NE(plan->body.find("+ group api"), std::string::npos) << plan->body;

  // A later scale-out still joins HAProxy.
  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", "{\"desired\": 3}")->status, 200);
  ASSERT_TRUE(WaitUntil([&] { return InService() == 3; }, 60s)) << Log();
  EXPECT_TRUE(WaitUntil([&] { return WebServers().size() == 3; }, 20s));
  std::string seen;
  EXPECT_TRUE(WaitUntil([&] { return AllAndOnlyInServiceAnswer(15, &seen); }, 20s)) << seen;

  // The stored last config is still the one the daemon started with.
  StopDaemon(SIGTERM);
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir_ + "/data/shoal.db");
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<std::optional<ConfigRecord>> last = (*store)->LoadLastConfig();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((**last).source, config_);
  EXPECT_EQ((**last).yaml, started_with);
}

}  // namespace
}  // namespace shoal
