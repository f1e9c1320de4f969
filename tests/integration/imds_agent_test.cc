// The spot agent against a real ImdsServer and a fake daemon on loopback: a
// notice set on the IMDS reaches the daemon as one POST with the right JSON
// and bearer token; failed reports are retried; IMDSv2 and v1 endpoints both
// work; the real `shoal agent --once` binary does the same.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/local/agent.h"
#include "adapters/local/imds_server.h"
#include "test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

using namespace std::chrono_literals;
using shoal::testing::FreePort;
using shoal::testing::MakeTempDir;
using shoal::testing::WaitUntil;

const InstanceId kId = Id(0x5eed);
constexpr std::int64_t kTerminate = 1795674600;  // 2026-11-26T06:30:00Z
constexpr std::int64_t kRebalanceAt = 1795674480;
constexpr const char* kApiToken = "s3cret-token";
constexpr auto kWait = 20s;

struct Post {
  std::string authorization;
  std::string content_type;
  nlohmann::json body;
};

// An httplib server on a free loopback port, run on its own thread.
class LoopbackServer {
 public:
  httplib::Server& server() { return server_; }
  int Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
    return port_;
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// The daemon's /v1/agent/events, recording each POST; answers `failures`
// times with 503 before accepting.
class FakeDaemon {
 public:
  explicit FakeDaemon(int failures = 0) : failures_(failures) {
    server_.server().Post("/v1/agent/events", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      posts_.push_back({req.get_header_value("Authorization"), req.get_header_value("Content-Type"),
                        nlohmann::json::parse(req.body, nullptr, false)});
      res.status = failures_-- > 0 ? 503 : 200;
      res.set_content(R"({"accepted":true})", "application/json");
    });
    server_.Start();
  }
  ~FakeDaemon() { server_.Stop(); }
  std::vector<Post> posts() {
    std::lock_guard<std::mutex> lock(mu_);
    return posts_;
  }
  std::size_t count() { return posts().size(); }
  std::string url() const { return server_.url(); }

 private:
  LoopbackServer server_;
  std::mutex mu_;
  int failures_;
  std::vector<Post> posts_;
};

class ImdsAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("shoal-imds-agent");
    token_file_ = dir_ + "/api-token";
    std::ofstream(token_file_) << kApiToken << "\n";
    Result<int> port = imds_.Serve({kId, "m5.large", "us-east-1a", true}, FreePort());
    ASSERT_TRUE(port.ok()) << port.status().message();
    imds_url_ = "http://127.0.0.1:" + std::to_string(*port);
  }
  void TearDown() override {
    StopAgent();
    imds_.StopAll();
    std::filesystem::remove_all(dir_);
  }

  AgentOptions Options(const std::string& report_url) const {
    AgentOptions o;
    o.imds_url = imds_url_;
    o.report_url = report_url;
    o.token_file = token_file_;
    o.interval = 50ms;
    o.log = [](const std::string& line) { std::fprintf(stderr, "agent: %s\n", line.c_str()); };
    return o;
  }
  void StartAgent(SpotAgent& agent) {
    agent_ = &agent;
    thread_ = std::thread([&agent] { agent.Run(); });
  }
  void StopAgent() {
    if (agent_ != nullptr) agent_->Stop();
    if (thread_.joinable()) thread_.join();
    agent_ = nullptr;
  }

  std::string dir_;
  std::string token_file_;
  std::string imds_url_;
  ImdsServer imds_;
  SpotAgent* agent_ = nullptr;
  std::thread thread_;
};

TEST_F(ImdsAgentTest, InterruptionThenRebalanceReachTheDaemonOnceEach) {
  FakeDaemon daemon;
  SpotAgent agent(Options(daemon.url()));  // no --instance: read from IMDS
  agent.PollOnce();
  EXPECT_EQ(agent.instance(), kId.str());
  EXPECT_EQ(daemon.count(), 0u);  // no notice yet, nothing to say

  StartAgent(agent);
  imds_.SetInstanceAction(kId, kTerminate);
  ASSERT_TRUE(WaitUntil([&] { return daemon.count() >= 1; }, kWait));
  imds_.SetRebalanceRecommendation(kId, kRebalanceAt);
  ASSERT_TRUE(WaitUntil([&] { return daemon.count() >= 2; }, kWait));
  StopAgent();
  for (int i = 0; i < 3; ++i) agent.PollOnce();  // both acknowledged: nothing more

  const std::vector<Post> posts = daemon.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].authorization, std::string("Bearer ") + kApiToken);
  EXPECT_EQ(posts[0].content_type, "application/json");
  EXPECT_EQ(posts[0].body, (nlohmann::json{{"instance", kId.str()},
                                            {"event", "spot-interruption"},
                                            {"time", "2026-11-26T06:30:00Z"}}));
  EXPECT_EQ(posts[1].authorization, std::string("Bearer ") + kApiToken);
  EXPECT_EQ(posts[1].body, (nlohmann::json{{"instance", kId.str()},
                                            {"event", "rebalance-recommendation"},
                                            {"time", "2026-11-26T06:28:00Z"}}));
  EXPECT_TRUE(agent.progress().interruption_reported);
  EXPECT_TRUE(agent.progress().rebalance_reported);
}

TEST_F(ImdsAgentTest, FailedReportIsRetriedUntilAccepted) {
  FakeDaemon daemon(/*failures=*/2);
  AgentOptions o = Options(daemon.url());
  o.instance = "i-given";  // --instance wins over IMDS
  SpotAgent agent(o);
  imds_.SetInstanceAction(kId, kTerminate);
  agent.PollOnce();
  agent.PollOnce();
  EXPECT_FALSE(agent.progress().interruption_reported);
  agent.PollOnce();
  EXPECT_TRUE(agent.progress().interruption_reported);
  agent.PollOnce();
  const std::vector<Post> posts = daemon.posts();
  ASSERT_EQ(posts.size(), 3u);
  for (const Post& p : posts) EXPECT_EQ(p.body["instance"], "i-given");
}

TEST_F(ImdsAgentTest, UnreachableDaemonAndMissingTokenAreRetried) {
  const int port = FreePort();  // nobody listens here yet
  std::filesystem::remove(token_file_);
  SpotAgent agent(Options("http://127.0.0.1:" + std::to_string(port)));
  imds_.SetInstanceAction(kId, kTerminate);
  agent.PollOnce();  // no token file
  std::ofstream(token_file_) << kApiToken;
  agent.PollOnce();  // token, but no daemon
  EXPECT_FALSE(agent.progress().interruption_reported);
  LoopbackServer late;
  std::string auth;
  late.server().Post("/v1/agent/events", [&](const httplib::Request& req, httplib::Response& res) {
    auth = req.get_header_value("Authorization");
    res.status = 202;
  });
  ASSERT_TRUE(late.server().bind_to_port("127.0.0.1", port));
  std::thread t([&] { late.server().listen_after_bind(); });
  agent.PollOnce();
  late.server().stop();
  t.join();
  EXPECT_TRUE(agent.progress().interruption_reported);
  EXPECT_EQ(auth, std::string("Bearer ") + kApiToken);
}

// A fake IMDS: `v2_only` refuses tokenless GETs (EC2's "required" mode);
// otherwise it refuses the token PUT (an IMDSv1-only endpoint).
class FakeImds {
 public:
  explicit FakeImds(bool v2_only, int failed_puts = 0) : failed_puts_(failed_puts) {
    auto& s = server_.server();
    s.Put("/latest/api/token", [this, v2_only](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++puts_;
      if (failed_puts_-- > 0) {
        res.status = 500;
      } else if (v2_only) {
        res.set_content("tok", "text/plain");
      } else {
        res.status = 403;
      }
    });
    s.Get("/latest/meta-data/spot/instance-action", [this, v2_only](const httplib::Request& req,
                                                                    httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const bool has_token = req.get_header_value("X-aws-ec2-metadata-token") == "tok";
      if (v2_only && !has_token) {
        res.status = 401;
        return;
      }
      saw_token_ = saw_token_ || has_token;
      res.set_content(R"({"action":"terminate","time":"2026-11-26T06:30:00Z"})", "text/plain");
    });
    server_.Start();
  }
  ~FakeImds() { server_.Stop(); }
  std::string url() const { return server_.url(); }
  bool saw_token() {
    std::lock_guard<std::mutex> lock(mu_);
    return saw_token_;
  }
  int puts() {
    std::lock_guard<std::mutex> lock(mu_);
    return puts_;
  }

 private:
  LoopbackServer server_;
  std::mutex mu_;
  int failed_puts_;
  bool saw_token_ = false;
  int puts_ = 0;
};

TEST_F(ImdsAgentTest, UsesV2TokenWhenTheEndpointRequiresIt) {
  FakeImds fake(/*v2_only=*/true);
  FakeDaemon daemon;
  AgentOptions o = Options(daemon.url());
  o.imds_url = fake.url();
  o.instance = "i-v2";
  SpotAgent agent(o);
  agent.PollOnce();
  agent.PollOnce();
  EXPECT_TRUE(fake.saw_token());
  EXPECT_EQ(fake.puts(), 1);  // the token is reused, not asked for per poll
  ASSERT_EQ(daemon.count(), 1u);
  EXPECT_EQ(daemon.posts()[0].body["event"], "spot-interruption");
}

TEST_F(ImdsAgentTest, AsksForATokenAgainWhenAV1GetIsRefused) {
  FakeImds fake(/*v2_only=*/true, /*failed_puts=*/1);
  FakeDaemon daemon;
  AgentOptions o = Options(daemon.url());
  o.imds_url = fake.url();
  o.instance = "i-v2";
  SpotAgent agent(o);
  agent.PollOnce();  // PUT fails, the v1 GET gets 401, a second PUT works
  EXPECT_EQ(fake.puts(), 2);
  EXPECT_TRUE(fake.saw_token());
  EXPECT_EQ(daemon.count(), 1u);
}

TEST_F(ImdsAgentTest, NewTokenAfterTheImdsServerRestarts) {
  FakeDaemon daemon;
  SpotAgent agent(Options(daemon.url()));
  agent.PollOnce();  // holds a token of the first server
  const int port = std::stoi(imds_url_.substr(imds_url_.rfind(':') + 1));
  imds_.Stop(kId);
  ASSERT_TRUE(imds_.Serve({kId, "m5.large", "us-east-1a", true}, port).ok());
  imds_.SetInstanceAction(kId, kTerminate);
  agent.PollOnce();  // the old token is refused (401); a new one is fetched
  ASSERT_EQ(daemon.count(), 1u);
  EXPECT_EQ(daemon.posts()[0].body["event"], "spot-interruption");
}

TEST_F(ImdsAgentTest, FallsBackToV1WhenTheTokenPutFails) {
  FakeImds fake(/*v2_only=*/false);
  FakeDaemon daemon;
  AgentOptions o = Options(daemon.url());
  o.imds_url = fake.url();
  o.instance = "i-v1";
  SpotAgent agent(o);
  agent.PollOnce();
  EXPECT_FALSE(fake.saw_token());
  ASSERT_EQ(daemon.count(), 1u);
  EXPECT_EQ(daemon.posts()[0].body["instance"], "i-v1");
}

TEST_F(ImdsAgentTest, ShoalAgentBinaryOnceReportsTheNotice) {
  FakeDaemon daemon;
  imds_.SetInstanceAction(kId, kTerminate);
  const std::string cmd = std::string(SHOAL_BINARY) + " agent --imds " + imds_url_ + " --report " + daemon.url() +
                          " --instance " + kId.str() + " --token-file " + token_file_ +
                          " --interval 1 --once";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ASSERT_EQ(daemon.count(), 1u);
  const Post p = daemon.posts()[0];
  EXPECT_EQ(p.authorization, std::string("Bearer ") + kApiToken);
  EXPECT_EQ(p.body, (nlohmann::json{{"instance", kId.str()},
                                     {"event", "spot-interruption"},
                                     {"time", "2026-11-26T06:30:00Z"}}));
}

TEST_F(ImdsAgentTest, ShoalAgentBinaryStopsOnSigterm) {
  FakeDaemon daemon;
  const std::string pid_file = dir_ + "/agent.pid";
  // Background the agent, remember its pid, then TERM it and wait for its exit status.
  const std::string cmd = "sh -c '" + std::string(SHOAL_BINARY) + " agent --imds " + imds_url_ + " --report " +
                          daemon.url() + " --token-file " + token_file_ + " --interval 0.1 & echo $! > " + pid_file +
                          "; wait $!'";
  int status = -1;
  std::thread runner([&] { status = std::system(cmd.c_str()); });
  std::string pid;
  ASSERT_TRUE(WaitUntil([&] {
    std::ifstream in(pid_file);
    return static_cast<bool>(in >> pid);
  }, kWait));
  imds_.SetInstanceAction(kId, kTerminate);
  ASSERT_TRUE(WaitUntil([&] { return daemon.count() >= 1; }, kWait));  // it runs and reports
  ASSERT_EQ(std::system(("kill -TERM " + pid).c_str()), 0);
  runner.join();
  EXPECT_EQ(status, 0);  // a clean exit, not death by signal
}

}  // namespace
}  // namespace shoal
