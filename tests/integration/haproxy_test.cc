// Real HAProxy 2.6 on loopback in front of two in-process HTTP backends.
// Every wait is WaitUntil with a generous deadline; nothing asserts time.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "adapters/haproxy/haproxy.h"
#include "core/instance.h"
#include "test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using shoal::testing::FreePort;
using shoal::testing::HttpGet;
using shoal::testing::MakeTempDir;
using shoal::testing::WaitUntil;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";
constexpr const char* kGroup = "web";
const InstanceId kA = Id(0xa1);
const InstanceId kB = Id(0xb2);
constexpr auto kDeadline = 20s;

// Exited; a zombie counts as gone (this container's init does not reap).
bool Gone(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return stat.empty() || (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// An HTTP server answering "/" with its name and "/health" with 200 (or 503
// once made sick), on a loopback port of its own, in its own thread.
class Backend {
 public:
  explicit Backend(std::string name) : name_(std::move(name)) {
    server_.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      res.status = sick_ ? 503 : 200;
      res.set_content("ok", "text/plain");
    });
    server_.Get("/", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(name_, "text/plain");
    });
    // Held open until Release() while holding: an in-flight request.
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      ++in_flight_;
      while (holding_ && !released_) std::this_thread::sleep_for(10ms);
      --in_flight_;
      res.set_content(name_ + "-slow", "text/plain");
    });
    // Bound before the thread starts, so the port answers once this returns.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);  // a stop() before it would be lost
  }
  ~Backend() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  void SetSick(bool sick) { sick_ = sick; }
  void Hold() { holding_ = true; }
  void Release() { released_ = true; }
  int in_flight() const { return in_flight_; }

 private:
  std::string name_;
  int port_ = 0;
  std::atomic<bool> sick_{false};
  std::atomic<bool> holding_{false};
  std::atomic<bool> released_{false};
  std::atomic<int> in_flight_{0};
  httplib::Server server_;
  std::thread thread_;
};

class HaproxyIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kHaproxy, X_OK), 0) << kHaproxy << " is not installed (scripts/install-deps.sh installs it)";
    dir_ = MakeTempDir("shoal-haproxy");
    a_ = std::make_unique<Backend>("a");
    b_ = std::make_unique<Backend>("b");
    service_.name = kGroup;
    service_.listen_port = FreePort();
    service_.check_interval_ms = 200;
    service_.rise = 2;
    service_.fall = 3;
    HaproxyOptions options;
    options.haproxy_binary = kHaproxy;
    options.run_dir = dir_;
    options.backends = {service_};
    process_ = std::make_unique<HaproxyProcess>(options);
    ASSERT_TRUE(process_->Start().ok());
    runtime_ = std::make_unique<HaproxyRuntime>(process_->socket_path());
    addresses_ = {{kA, {"127.0.0.1", a_->port()}}, {kB, {"127.0.0.1", b_->port()}}};
    traffic_ = std::make_unique<HaproxyTraffic>(runtime_.get(), std::map<std::string, HaproxyBackend>{{kGroup, service_}});
  }

  void TearDown() override {
    if (process_) {
      EXPECT_TRUE(process_->Stop().ok());
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Polls until `id` is reported with `event` (events of other instances are kept).
  bool WaitForEvent(InstanceId id, InstanceEvent event) {
    return WaitUntil(
        [&] {
          for (const GroupInstanceEvent& e : traffic_->Poll()) seen_.insert({e.observation.id, e.observation.event});
          return seen_.count({id, event}) != 0;
        },
        kDeadline);
  }

  std::string Get() {
    std::string body;
    const int status = HttpGet(service_.listen_port, "/", &body);
    return status == 200 ? body : "status " + std::to_string(status);
  }

  // Which backends answer `n` requests through the frontend.
  std::map<std::string, int> Spread(int n) {
    std::map<std::string, int> count;
    for (int i = 0; i < n; ++i) ++count[Get()];
    return count;
  }

  const ServerStat* StatOf(const std::vector<ServerStat>& stats, InstanceId id) {
    for (const ServerStat& s : stats) {
      if (s.backend == BackendProxyName(kGroup) && s.server == id.str()) return &s;
    }
    return nullptr;
  }

  // The server's status in `show stat` ("" when absent).
  std::string StatusOf(InstanceId id) {
    auto stats = runtime_->ShowStat();
    const ServerStat* s = stats.ok() ? StatOf(*stats, id) : nullptr;
    return s == nullptr ? "" : s->status;
  }

  HaproxyOptions OptionsWith(std::vector<HaproxyBackend> backends) const {
    HaproxyOptions options;
    options.haproxy_binary = kHaproxy;
    options.run_dir = dir_;
    options.backends = std::move(backends);
    return options;
  }

  static HaproxyBackend AnotherService() {
    HaproxyBackend api;
    api.name = "api";
    api.listen_port = FreePort();
    return api;
  }

  bool InShowStat(InstanceId id) {
    auto stats = runtime_->ShowStat();
    return stats.ok() && StatOf(*stats, id) != nullptr;
  }

  Status Register(InstanceId id) { return traffic_->Register(kGroup, id, addresses_.at(id)); }

  void RegisterBothAndWaitHealthy() {
    ASSERT_TRUE(Register(kA).ok());
    ASSERT_TRUE(Register(kB).ok());
    ASSERT_TRUE(WaitForEvent(kA, InstanceEvent::kHealthy));
    ASSERT_TRUE(WaitForEvent(kB, InstanceEvent::kHealthy));
  }

  std::string dir_;
  HaproxyBackend service_;
  std::unique_ptr<Backend> a_;
  std::unique_ptr<Backend> b_;
  std::unique_ptr<HaproxyProcess> process_;
  std::unique_ptr<HaproxyRuntime> runtime_;
  std::unique_ptr<HaproxyTraffic> traffic_;
  std::map<InstanceId, InstanceAddress> addresses_;
  std::set<std::pair<InstanceId, InstanceEvent>> seen_;
};

TEST_F(HaproxyIntegration, StartsWithTheGeneratedConfigAndAdoptsARunningOne) {
  EXPECT_TRUE(process_->Running());
  const int pid = process_->Pid();
  auto info = runtime_->Command("show info");
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->find("Pid: " + std::to_string(pid)), std::string::npos);
  // The frontend answers (503: no server yet) before any registration.
  EXPECT_EQ(HttpGet(service_.listen_port, "/"), 503);
  // A second Start with the same config adopts the running process.
  ASSERT_TRUE(process_->Start().ok());
  EXPECT_EQ(process_->Pid(), pid);
}

// A new service replaces the process: the new one starts with the servers of
// the old one, in their states, before it takes its first request.
TEST_F(HaproxyIntegration, ANewServiceKeepsTheServersAndTheirStates) {
  ASSERT_TRUE(Register(kA).ok());
  ASSERT_TRUE(WaitForEvent(kA, InstanceEvent::kHealthy));
  b_->SetSick(true);
  ASSERT_TRUE(Register(kB).ok());  // held DOWN until its checks pass
  const int old_pid = process_->Pid();
  const std::string old_config = ReadText(process_->config_path());
  const HaproxyBackend api = AnotherService();
  HaproxyProcess replaced(OptionsWith({service_, api}));
  const Status started = replaced.Start(traffic_->Servers());
  ASSERT_TRUE(started.ok()) << started.message();
  EXPECT_NE(replaced.Pid(), old_pid);
  // No Poll yet: what serves now is what the new process was started with.
  EXPECT_EQ(StatusOf(kA), "UP");
  EXPECT_EQ(StatusOf(kB), "DOWN") << "a server waiting for its checks does not come up with the reload";
  EXPECT_EQ(Spread(10), (std::map<std::string, int>{{"a", 10}}));
  EXPECT_NE(ReadText(process_->config_path()), old_config) << "the new config is in place";
  EXPECT_FALSE(std::filesystem::exists(process_->state_path())) << "the state file is read once";
  EXPECT_TRUE(WaitUntil([&] { return Gone(old_pid); }, kDeadline)) << "the old process finishes and exits (-sf)";
  EXPECT_EQ(HttpGet(api.listen_port, "/"), 503) << "the new frontend listens (no server yet)";
  b_->SetSick(false);
  ASSERT_TRUE(WaitForEvent(kB, InstanceEvent::kHealthy));
  EXPECT_TRUE(WaitUntil([&] { const auto s = Spread(6); return s.count("a") && s.count("b"); }, kDeadline));
}

TEST_F(HaproxyIntegration, ANewServiceKeepsADrainingServerDraining) {
  RegisterBothAndWaitHealthy();
  ASSERT_TRUE(traffic_->Drain(kGroup, kA).ok());
  HaproxyProcess replaced(OptionsWith({service_, AnotherService()}));
  const Status started = replaced.Start(traffic_->Servers());
  ASSERT_TRUE(started.ok()) << started.message();
  EXPECT_EQ(StatusOf(kA), "DRAIN");
  EXPECT_EQ(Spread(10), (std::map<std::string, int>{{"b", 10}}));
}

// A new service whose port is taken: the start fails, and the running
// process keeps its socket, its servers and its config file.
TEST_F(HaproxyIntegration, AFailedReplacementChangesNothing) {
  RegisterBothAndWaitHealthy();
  const int old_pid = process_->Pid();
  const std::string old_config = ReadText(process_->config_path());
  Backend taken("taken");
  HaproxyBackend api = AnotherService();
  api.listen_port = taken.port();
  HaproxyProcess replaced(OptionsWith({service_, api}));
  const Status s = replaced.Start(traffic_->Servers());
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.message();
  EXPECT_NE(s.message().find("listen_port " + std::to_string(taken.port()) + " of service 'api' is in use"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(process_->Pid(), old_pid);
  auto info = runtime_->Command("show info");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_NE(info->find("Pid: " + std::to_string(old_pid)), std::string::npos) << "the socket is still the old one's";
  EXPECT_EQ(StatusOf(kA), "UP");
  EXPECT_EQ(StatusOf(kB), "UP");
  EXPECT_EQ(ReadText(process_->config_path()), old_config);
  EXPECT_FALSE(std::filesystem::exists(process_->config_path() + ".next"));
  EXPECT_FALSE(std::filesystem::exists(process_->state_path()));
  // And the Runtime API still works: a server can still leave and join.
  ASSERT_TRUE(traffic_->Deregister(kGroup, kB).ok());
  EXPECT_FALSE(InShowStat(kB));
  ASSERT_TRUE(Register(kB).ok());
  EXPECT_TRUE(InShowStat(kB));
}

// After a SIGKILL nothing can be carried from the dead process: the adapter's
// servers are written into the config, those it saw serving start UP, the
// others in MAINT until Poll readies them behind their checks.
TEST_F(HaproxyIntegration, ARestartAfterSigkillStartsWithTheKnownServers) {
  ASSERT_TRUE(Register(kA).ok());
  ASSERT_TRUE(WaitForEvent(kA, InstanceEvent::kHealthy));
  b_->SetSick(true);
  ASSERT_TRUE(Register(kB).ok());
  const int pid = process_->Pid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] { return !process_->Running(); }, kDeadline));
  ASSERT_TRUE(process_->Start(traffic_->Servers()).ok());
  EXPECT_NE(process_->Pid(), pid);
  // Written in the config it starts UP at check health `rise` ("UP 1/3"),
  // reaching plain "UP" after two more passing checks: either is in service.
  EXPECT_EQ(StatusOf(kA).substr(0, 2), "UP") << StatusOf(kA);
  EXPECT_EQ(StatusOf(kB), "MAINT");
  EXPECT_EQ(Spread(6), (std::map<std::string, int>{{"a", 6}}));
  traffic_->Poll();
  EXPECT_EQ(StatusOf(kB), "DOWN") << "readied behind its checks, which fail";
  seen_.clear();
  b_->SetSick(false);
  ASSERT_TRUE(WaitForEvent(kB, InstanceEvent::kHealthy));
  EXPECT_EQ(seen_.count({kA, InstanceEvent::kHealthy}), 0u) << "a was never reported down, nor up again";
}

TEST_F(HaproxyIntegration, RegisteredServersBecomeHealthyAndShareTraffic) {
  RegisterBothAndWaitHealthy();
  EXPECT_TRUE(WaitUntil([&] { const auto s = Spread(10); return s.count("a") && s.count("b"); }, kDeadline));
  const auto spread = Spread(20);
  EXPECT_EQ(spread.size(), 2u) << "only a and b answer";
  EXPECT_GE(spread.count("a") ? spread.at("a") : 0, 5);
  EXPECT_GE(spread.count("b") ? spread.at("b") : 0, 5);
  // Registering again changes nothing.
  EXPECT_TRUE(Register(kA).ok());
}

// The group's request rate (what the local provider reports as requests per
// target, and what a predictive policy sizes a saturated group from) counts
// each request once. Here b stops listening while HAProxy still has it up:
// requests sent to it are refused, retried and redispatched to a, and
// HAProxy's count of sessions on b grows by every connect it tried, while
// the backend's grows by one per request.
TEST_F(HaproxyIntegration, TheGroupsRequestRateCountsEachRequestOnceWhateverTheRetries) {
  RegisterBothAndWaitHealthy();
  traffic_->Poll();
  traffic_->Poll();
  const auto before = runtime_->ShowStat();
  ASSERT_TRUE(before.ok());
  const ServerStat* b_before = StatOf(*before, kB);
  ASSERT_NE(b_before, nullptr);
  const std::int64_t b_sessions_before = b_before->total_sessions;
  b_.reset();  // b's port now refuses connections; its checks take 3 x 200 ms to notice
  const auto outer_start = std::chrono::steady_clock::now();
  traffic_->Poll();
  const auto inner_start = std::chrono::steady_clock::now();
  constexpr int kRequests = 20;
  EXPECT_EQ(Spread(kRequests), (std::map<std::string, int>{{"a", kRequests}})) << "every request answered, by a";
  const auto inner_end = std::chrono::steady_clock::now();
  traffic_->Poll();
  const auto outer_end = std::chrono::steady_clock::now();
  const auto seconds = [](auto from, auto to) { return std::chrono::duration<double>(to - from).count(); };
  const double rate = traffic_->BackendRequestRate(kGroup);
  EXPECT_GE(rate, kRequests / seconds(outer_start, outer_end) - 1e-9);
  EXPECT_LE(rate, kRequests / seconds(inner_start, inner_end) + 1e-9);
  const auto after = runtime_->ShowStat();
  ASSERT_TRUE(after.ok());
  if (const ServerStat* b_after = StatOf(*after, kB)) {
    // What a sum of the servers' session rates would have counted extra.
    std::cout << "sessions counted on b for " << kRequests << " requests: "
              << b_after->total_sessions - b_sessions_before << "\n";
  }
}

TEST_F(HaproxyIntegration, DrainStopsNewRequestsWithoutErrorsAndReportsDrained) {
  RegisterBothAndWaitHealthy();
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::atomic<int> requests{0};
  std::thread load([&] {
    constexpr int kMaxRequests = 2000;  // bounded even if the test fails early
    while (!stop && requests < kMaxRequests) {
      const std::string body = Get();
      ++requests;
      if (body != "a" && body != "b") ++errors;
    }
  });
  EXPECT_TRUE(WaitUntil([&] { return requests > 20; }, kDeadline));
  ASSERT_TRUE(traffic_->Drain(kGroup, kA).ok());
  EXPECT_TRUE(WaitForEvent(kA, InstanceEvent::kDrained));
  const int before = requests;
  EXPECT_TRUE(WaitUntil([&] { return requests > before + 20; }, kDeadline));
  stop = true;
  load.join();
  EXPECT_EQ(errors, 0);
  const auto spread = Spread(10);
  EXPECT_EQ(spread.size(), 1u);
  EXPECT_EQ(spread.count("b"), 1u);
  auto stats = runtime_->ShowStat();
  ASSERT_TRUE(stats.ok());
  ASSERT_NE(StatOf(*stats, kA), nullptr);
  EXPECT_EQ(StatOf(*stats, kA)->status, "DRAIN");
  EXPECT_EQ(StatOf(*stats, kA)->http_responses_5xx, 0);
}

// A drained server finishes what it is serving: kDrained (after which the
// controller terminates it) comes only once its in-flight request answered.
TEST_F(HaproxyIntegration, DrainedIsReportedOnlyAfterTheInFlightRequestsFinish) {
  RegisterBothAndWaitHealthy();
  a_->Hold();  // a's /slow requests stay in flight until released; b answers at once
  std::vector<std::thread> clients;
  std::vector<std::string> answers(8);  // read only after the clients are joined
  std::atomic<int> answered{0};
  for (std::size_t i = 0; i < answers.size() && a_->in_flight() == 0; ++i) {
    clients.emplace_back([this, &answers, &answered, i] {
      std::string body;
      const int status = HttpGet(service_.listen_port, "/slow", &body);
      answers[i] = status == 200 ? body : "status " + std::to_string(status);
      ++answered;
    });
    WaitUntil([&] { return a_->in_flight() > 0 || answered > static_cast<int>(i); }, kDeadline);
  }
  ASSERT_GT(a_->in_flight(), 0) << "round robin sends one of the requests to a";
  ASSERT_TRUE(traffic_->Drain(kGroup, kA).ok());
  // While the request is held, polls report no kDrained (a bounded look, not
  // an assertion on time: whatever the machine's speed, it must not come).
  for (int i = 0; i < 10; ++i) {
    for (const GroupInstanceEvent& e : traffic_->Poll()) seen_.insert({e.observation.id, e.observation.event});
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(seen_.count({kA, InstanceEvent::kDrained}), 0u) << "a still serves a request";
  EXPECT_EQ(Get(), "b") << "no new request goes to a draining server";
  a_->Release();
  EXPECT_TRUE(WaitForEvent(kA, InstanceEvent::kDrained));
  for (std::thread& t : clients) t.join();
  int from_a = 0;
  for (const std::string& answer : answers) {
    if (answer.empty()) continue;
    EXPECT_TRUE(answer == "a-slow" || answer == "b-slow") << answer;
    from_a += answer == "a-slow" ? 1 : 0;
  }
  EXPECT_EQ(from_a, 1) << "the in-flight request was answered, not cut";
}

TEST_F(HaproxyIntegration, FailingHealthChecksReportUnhealthyAndRecovery) {
  RegisterBothAndWaitHealthy();
  b_->SetSick(true);
  ASSERT_TRUE(WaitForEvent(kB, InstanceEvent::kUnhealthy));
  EXPECT_EQ(seen_.count({kA, InstanceEvent::kUnhealthy}), 0u);
  const auto spread = Spread(10);
  EXPECT_EQ(spread.size(), 1u);
  EXPECT_EQ(spread.count("a"), 1u);
  seen_.clear();
  b_->SetSick(false);
  EXPECT_TRUE(WaitForEvent(kB, InstanceEvent::kHealthy));
}

TEST_F(HaproxyIntegration, ANewServerGetsNoTrafficBeforeItsChecksPass) {
  b_->SetSick(true);
  ASSERT_TRUE(Register(kA).ok());
  ASSERT_TRUE(Register(kB).ok());
  ASSERT_TRUE(WaitForEvent(kA, InstanceEvent::kHealthy));
  // b's checks never passed: it must not have been UP even for a moment.
  for (int i = 0; i < 10; ++i) traffic_->Poll();
  EXPECT_EQ(seen_.count({kB, InstanceEvent::kHealthy}), 0u);
  const auto spread = Spread(10);
  EXPECT_EQ(spread.count("b"), 0u);
}

TEST_F(HaproxyIntegration, DeregisterRemovesTheServerAndIsIdempotent) {
  RegisterBothAndWaitHealthy();
  ASSERT_TRUE(traffic_->Deregister(kGroup, kA).ok());
  EXPECT_FALSE(InShowStat(kA));
  EXPECT_TRUE(InShowStat(kB));
  EXPECT_TRUE(traffic_->Deregister(kGroup, kA).ok());
  // Poll must not bring it back.
  traffic_->Poll();
  EXPECT_FALSE(InShowStat(kA));
  const auto spread = Spread(6);
  EXPECT_EQ(spread.size(), 1u);
  EXPECT_EQ(spread.count("b"), 1u);
}

TEST_F(HaproxyIntegration, DrainingAnAbsentServerIsDrainedAtOnce) {
  ASSERT_TRUE(traffic_->Drain(kGroup, kA).ok());
  EXPECT_TRUE(WaitForEvent(kA, InstanceEvent::kDrained));
}

TEST_F(HaproxyIntegration, RestartedHaproxyGetsItsServersBack) {
  RegisterBothAndWaitHealthy();
  const int pid = process_->Pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(WaitUntil([&] { return !process_->Running(); }, kDeadline));
  ASSERT_TRUE(process_->Start().ok());
  EXPECT_NE(process_->Pid(), pid);
  EXPECT_FALSE(InShowStat(kA)) << "runtime servers do not survive a restart";
  ASSERT_TRUE(traffic_->Restore().ok());
  EXPECT_TRUE(InShowStat(kA));
  EXPECT_TRUE(InShowStat(kB));
  EXPECT_TRUE(WaitUntil([&] { const auto s = Spread(10); return s.count("a") && s.count("b"); }, kDeadline));
  // Servers that were healthy before are not reported healthy twice.
  seen_.clear();
  for (int i = 0; i < 5; ++i) traffic_->Poll();
  EXPECT_TRUE(seen_.empty());
}

TEST_F(HaproxyIntegration, PollAloneRestoresLostServers) {
  RegisterBothAndWaitHealthy();
  ASSERT_TRUE(process_->Stop().ok());
  ASSERT_TRUE(process_->Start().ok());
  EXPECT_TRUE(WaitUntil(
      [&] {
        traffic_->Poll();
        return InShowStat(kA) && InShowStat(kB);
      },
      kDeadline));
  EXPECT_TRUE(traffic_->LastPollStatus().ok()) << traffic_->LastPollStatus().message();
  EXPECT_TRUE(WaitUntil([&] { return Get() == "a" || Get() == "b"; }, kDeadline));
}

TEST_F(HaproxyIntegration, PollReportsASocketErrorWhenHaproxyIsDown) {
  RegisterBothAndWaitHealthy();
  traffic_->Poll();
  Spread(10);
  traffic_->Poll();
  ASSERT_GT(traffic_->BackendRequestRate(kGroup), 0);
  ASSERT_TRUE(process_->Stop().ok());
  EXPECT_FALSE(process_->Running());
  EXPECT_TRUE(traffic_->Poll().empty());
  EXPECT_EQ(traffic_->LastPollStatus().code(), StatusCode::kIoError);
  EXPECT_EQ(traffic_->BackendRequestRate(kGroup), 0) << "no rate from before it went down";
  EXPECT_FALSE(traffic_->Register(kGroup, Id(0xc3), {"127.0.0.1", a_->port()}).ok());
}

TEST(HaproxyProcessErrors, MissingBinarySaysToInstallHaproxy) {
  HaproxyOptions options;
  options.haproxy_binary = "/nonexistent/haproxy";
  options.run_dir = MakeTempDir("shoal-haproxy-missing");
  HaproxyProcess process(options);
  const Status s = process.Start();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("install the haproxy package"), std::string::npos) << s.message();
  std::filesystem::remove_all(options.run_dir);
}

TEST(HaproxyProcessErrors, InvalidConfigCarriesHaproxysMessage) {
  ASSERT_EQ(access(kHaproxy, X_OK), 0) << kHaproxy << " is not installed (scripts/install-deps.sh installs it)";
  // A run_dir so deep that the stats socket path exceeds what HAProxy
  // accepts: the config renders, `haproxy -c` refuses it.
  const std::string root = MakeTempDir("shoal-haproxy-bad");
  HaproxyOptions options;
  options.run_dir = root + "/" + std::string(110, 'x');
  HaproxyBackend b;
  b.name = "web";
  b.listen_port = FreePort();
  options.backends = {b};
  HaproxyProcess process(options);
  const Status s = process.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'stats socket'"), std::string::npos) << s.message();
  EXPECT_FALSE(process.Running());
  std::filesystem::remove_all(root);
}

TEST(HaproxyProcessErrors, PortInUseIsReported) {
  ASSERT_EQ(access(kHaproxy, X_OK), 0) << kHaproxy << " is not installed (scripts/install-deps.sh installs it)";
  Backend taken("x");
  HaproxyOptions options;
  options.run_dir = MakeTempDir("shoal-haproxy-port");
  HaproxyBackend b;
  b.name = "web";
  b.listen_port = taken.port();
  options.backends = {b};
  HaproxyProcess process(options);
  const Status s = process.Start();
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.message();
  EXPECT_NE(s.message().find("did not start"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("cannot bind"), std::string::npos) << s.message();
  EXPECT_FALSE(process.Running());
  (void)process.Stop();
  std::filesystem::remove_all(options.run_dir);
}

}  // namespace
}  // namespace shoal
