// Per-release traffic from real HAProxy 2.6 in front of real shoal_web
// instances of three versions: one good, one serving 5% errors, one slow.
// Under load from shoal_load, the counters HaproxyTraffic reads from `show
// stat`, folded by LiveMetrics as the local provider does each tick, must
// show each release as it behaves. Every wait is WaitUntil with a generous
// deadline; nothing asserts time.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/haproxy/haproxy.h"
#include "adapters/local/live_metrics.h"
#include "daemon_fixture.h"
#include "test_ids.h"
#include "test_util.h"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using shoal::testing::FreePort;
using shoal::testing::HttpGet;
using shoal::testing::MakeTempDir;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";
constexpr const char* kGroup = "web";
constexpr int kGood = 1, kFailing = 2, kSlow = 3;  // release versions
constexpr int kSlowDelayMs = 80;
constexpr auto kDeadline = 60s;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One shoal_web instance running a release folder (its web.conf says how
// the build behaves), killed by the destructor.
struct WebInstance {
  InstanceId id;
  int version = 0;
  int port = 0;
  pid_t pid = -1;

  ~WebInstance() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

class ReleaseTrafficIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kHaproxy, X_OK), 0) << kHaproxy << " is not installed (scripts/install-deps.sh installs it)";
    dir_ = MakeTempDir("shoal-release-traffic");
    service_.name = kGroup;
    service_.listen_port = FreePort();
    service_.check_interval_ms = 200;
    HaproxyOptions options;
    options.haproxy_binary = kHaproxy;
    options.run_dir = dir_ + "/haproxy";
    std::filesystem::create_directories(options.run_dir);
    options.backends = {service_};
    process_ = std::make_unique<HaproxyProcess>(options);
    ASSERT_TRUE(process_->Start().ok());
    runtime_ = std::make_unique<HaproxyRuntime>(process_->socket_path());
    traffic_ = std::make_unique<HaproxyTraffic>(runtime_.get(),
                                                std::map<std::string, HaproxyBackend>{{kGroup, service_}});
  }

  void TearDown() override {
    instances_.clear();
    if (process_) {
      EXPECT_TRUE(process_->Stop().ok());
    }
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  // A release folder with `web_conf` (none when empty), served by a new
  // instance registered in HAProxy.
  void Launch(std::uint64_t n, int version, const std::string& web_conf) {
    const std::string release = dir_ + "/release-" + std::to_string(version);
    std::filesystem::create_directories(release);
    std::ofstream(release + "/health") << "ok\n";
    if (!web_conf.empty()) std::ofstream(release + "/web.conf") << web_conf;
    auto in = std::make_unique<WebInstance>();
    in->id = Id(n);
    in->version = version;
    in->port = FreePort();
    in->pid = Spawn({shoal::testing::WebBinary(), "--port", std::to_string(in->port), "--dir", release, "--cpu-ms",
                     "1", "--version", std::to_string(version)},
                    dir_ + "/web-" + std::to_string(version) + ".log");
    ASSERT_GT(in->pid, 0);
    const int port = in->port;
    ASSERT_TRUE(WaitUntil([&] { return HttpGet(port, "/health") == 200; }, kDeadline))
        << ReadText(dir_ + "/web-" + std::to_string(version) + ".log");
    ASSERT_TRUE(traffic_->Register(kGroup, in->id, {"127.0.0.1", in->port}).ok());
    instances_.push_back(std::move(in));
  }

  // One tick of the local provider: poll HAProxy, then fold every counted
  // instance's counters under its release into the minute of `now_`.
  void Tick() {
    for (const GroupInstanceEvent& e : traffic_->Poll()) {
      if (e.observation.event == InstanceEvent::kHealthy) healthy_.insert(e.observation.id);
    }
    const std::map<InstanceId, ServerCounters> counters = traffic_->Counters();
    std::vector<InstanceCounters> sample;
    for (const auto& in : instances_) {
      if (auto c = counters.find(in->id); c != counters.end()) {
        sample.push_back({in->id, in->version, c->second.responses, c->second.errors,
                          static_cast<double>(c->second.response_time_ms)});
      }
    }
    metrics_.SampleReleases(kGroup, now_, sample);
    ++now_;  // one tick a second of the provider's clock
  }

  bool AllHealthy() {
    return WaitUntil(
        [&] {
          Tick();
          return healthy_.size() == instances_.size();
        },
        kDeadline);
  }

  // shoal_load through HAProxy, ticking until it is done; its JSON report.
  nlohmann::json LoadAndTick(int rate, int seconds) {
    const std::string report = dir_ + "/load-" + std::to_string(loads_++) + ".json";
    const pid_t load = Spawn({std::string(SHOAL_BUILD_DIR) + "/examples/web/shoal_load", "--url",
                              "http://127.0.0.1:" + std::to_string(service_.listen_port) + "/", "--rate",
                              std::to_string(rate), "--duration", std::to_string(seconds), "--concurrency", "8",
                              "--json"},
                             report);
    int status = 0;
    const bool done = WaitUntil(
        [&] {
          Tick();
          return waitpid(load, &status, WNOHANG) == load;
        },
        kDeadline + std::chrono::seconds(seconds));
    if (!done) {
      kill(load, SIGKILL);
      waitpid(load, nullptr, 0);
    }
    EXPECT_TRUE(done) << "shoal_load did not finish";
    // The last answers reach `show stat` before the next poll.
    Tick();
    return nlohmann::json::parse(ReadText(report), nullptr, false);
  }

  // Every minute sampled so far, added up per release.
  std::map<int, ReleaseTraffic> Totals() {
    std::map<int, ReleaseTraffic> out;
    for (std::int64_t minute = MinuteOf(kStart); minute <= MinuteOf(now_); ++minute) {
      for (const ReleaseTraffic& r : metrics_.ReadReleases(kGroup, minute)) {
        out[r.version].version = r.version;
        out[r.version].Merge(r);
      }
    }
    return out;
  }

  static constexpr Seconds kStart = 6000;

  std::string dir_;
  HaproxyBackend service_;
  std::unique_ptr<HaproxyProcess> process_;
  std::unique_ptr<HaproxyRuntime> runtime_;
  std::unique_ptr<HaproxyTraffic> traffic_;
  std::vector<std::unique_ptr<WebInstance>> instances_;
  std::set<InstanceId> healthy_;
  LiveMetrics metrics_;
  Seconds now_ = kStart;
  int loads_ = 0;
};

double Mean(const ReleaseTraffic& r) { return r.requests > 0 ? r.response_ms_sum / r.requests : 0; }

TEST_F(ReleaseTrafficIntegration, EachReleaseShowsItsOwnErrorsAndLatency) {
  Launch(1, kGood, "");
  Launch(2, kFailing, "error_percent=5\n");
  Launch(3, kSlow, "delay_ms=" + std::to_string(kSlowDelayMs) + "\n");
  ASSERT_TRUE(AllHealthy());

  const nlohmann::json report = LoadAndTick(/*rate=*/100, /*seconds=*/9);
  ASSERT_TRUE(report.is_object());
  const double sent = report.at("sent").get<double>();
  const double failed_http = report.at("failed_http").get<double>();
  EXPECT_EQ(report.at("failed_connection").get<int>(), 0);

  const std::map<int, ReleaseTraffic> totals = Totals();
  ASSERT_EQ(totals.size(), 3u);
  const ReleaseTraffic& good = totals.at(kGood);
  const ReleaseTraffic& failing = totals.at(kFailing);
  const ReleaseTraffic& slow = totals.at(kSlow);
  std::printf("sent %.0f (failed_http %.0f); v%d: %.0f requests, %.0f errors, mean %.1f ms; v%d: %.0f, %.0f, %.1f ms; "
              "v%d: %.0f, %.0f, %.1f ms\n",
              sent, failed_http, kGood, good.requests, good.errors, Mean(good), kFailing, failing.requests,
              failing.errors, Mean(failing), kSlow, slow.requests, slow.errors, Mean(slow));

  // Every answer the load saw, and no other, is in some release's count.
  EXPECT_DOUBLE_EQ(good.requests + failing.requests + slow.requests, sent);
  EXPECT_DOUBLE_EQ(good.errors + failing.errors + slow.errors, failed_http);
  // Round robin: each took about a third.
  for (const ReleaseTraffic* r : {&good, &failing, &slow}) EXPECT_GT(r->requests, sent / 5) << r->version;
  // The failing build: exactly one in 20 of what it answered.
  EXPECT_EQ(failing.errors, std::floor(failing.requests / 20));
  EXPECT_NEAR(failing.errors / failing.requests, 0.05, 0.01);
  EXPECT_EQ(good.errors, 0);
  EXPECT_EQ(slow.errors, 0);
  // The slow build is slower by about its delay.
  EXPECT_GE(Mean(slow), kSlowDelayMs * 0.9);
  EXPECT_GT(Mean(slow), Mean(good) + kSlowDelayMs / 2.0);
  EXPECT_GT(Mean(slow), Mean(failing) + kSlowDelayMs / 2.0);
}

TEST_F(ReleaseTrafficIntegration, AHaproxyRestartIsACounterResetNotNegativeTraffic) {
  Launch(1, kGood, "");
  Launch(2, kFailing, "error_percent=5\n");
  ASSERT_TRUE(AllHealthy());
  const nlohmann::json before = LoadAndTick(/*rate=*/60, /*seconds=*/4);
  ASSERT_TRUE(before.is_object());

  // HAProxy gone and started again with the servers it had (what the local
  // provider's WatchLoadBalancer does): its counters start again at 0.
  ASSERT_TRUE(process_->Stop().ok());
  ASSERT_TRUE(process_->Start(traffic_->Servers()).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        Tick();
        // (Not probed through the frontend: a probe would be a response too.)
        return traffic_->LastPollStatus().ok() &&
               traffic_->Counters().size() == 2 && traffic_->Counters().at(Id(1)).responses == 0;
      },
      kDeadline));
  // Both serve again before the load resumes.
  ASSERT_TRUE(WaitUntil(
      [&] {
        Tick();
        const auto stats = runtime_->ShowStat();
        if (!stats.ok()) return false;
        int up = 0;
        for (const ServerStat& s : *stats) up += s.server != "BACKEND" && s.status.rfind("UP", 0) == 0;
        return up == 2;
      },
      kDeadline));
  const nlohmann::json after = LoadAndTick(/*rate=*/60, /*seconds=*/4);
  ASSERT_TRUE(after.is_object());

  const std::map<int, ReleaseTraffic> totals = Totals();
  ASSERT_EQ(totals.size(), 2u);
  const double sent = before.at("sent").get<double>() + after.at("sent").get<double>();
  const double failed = before.at("failed_http").get<double>() + after.at("failed_http").get<double>();
  std::printf("sent %.0f (failed_http %.0f); v%d: %.0f requests, %.0f errors; v%d: %.0f, %.0f\n", sent, failed,
              kGood, totals.at(kGood).requests, totals.at(kGood).errors, kFailing, totals.at(kFailing).requests,
              totals.at(kFailing).errors);
  EXPECT_DOUBLE_EQ(totals.at(kGood).requests + totals.at(kFailing).requests, sent);
  EXPECT_DOUBLE_EQ(totals.at(kFailing).errors, failed);
  EXPECT_EQ(totals.at(kGood).errors, 0);
  EXPECT_NEAR(totals.at(kFailing).errors / totals.at(kFailing).requests, 0.05, 0.015);
  // No minute holds negative traffic.
  for (std::int64_t minute = MinuteOf(kStart); minute <= MinuteOf(now_); ++minute) {
    for (const ReleaseTraffic& r : metrics_.ReadReleases(kGroup, minute)) {
      EXPECT_GE(r.requests, 0);
      EXPECT_GE(r.errors, 0);
      EXPECT_GE(r.response_ms_sum, 0);
    }
  }
}

}  // namespace
}  // namespace shoal
