// The API's connection reader on real loopback sockets, with short limits:
// slow and silent clients hold no worker and are cut with a 408, a body above
// the limit is refused from its Content-Length, the caps cut the oldest
// incomplete connection, and a new one is refused only when every connection
// is a request being served.
#include "api/guarded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

namespace shoal {
namespace {

using namespace std::chrono_literals;

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  bool Send(const std::string& bytes) {
    return fd_ >= 0 && send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // What arrives until the peer closes or `timeout` passes.
  std::string Read(std::chrono::milliseconds timeout) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return out;
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  bool connected() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A blocking gate for a handler: requests wait in it until Open().
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitForWaiting(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

class GuardedServerTest : public ::testing::Test {
 protected:
  void Start(const ConnectionLimits& limits) {
    server_ = std::make_unique<GuardedServer>(limits, nullptr);
    server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    server_->Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()) + ":" + req.body, "text/plain");
    });
    server_->Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(600ms);
      res.set_content("late", "text/plain");
    });
    server_->Get("/gate", [this](const httplib::Request&, httplib::Response& res) {
      gate_.Wait();
      res.set_content("through", "text/plain");
    });
    port_ = server_->Bind("127.0.0.1", 0);
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_->is_running(); ++i) std::this_thread::sleep_for(1ms);
  }
  void TearDown() override {
    gate_.Open();
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    if (server_) server_->Shutdown();
  }
  int Get(const std::string& path) {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(5);
    auto r = c.Get(path.c_str());
    return r ? r->status : 0;
  }
  static ConnectionLimits Short() {
    ConnectionLimits l;
    l.request_deadline = 1500ms;
    l.read_timeout = 800ms;
    l.write_timeout = 1s;
    l.linger = 200ms;
    l.framing = {/*max_head_bytes=*/1024, /*max_body_bytes=*/1000};
    l.max_connections = 32;
    l.max_connections_per_client = 32;
    l.workers = 2;
    return l;
  }

  std::unique_ptr<GuardedServer> server_;
  std::thread thread_;
  int port_ = 0;
  Gate gate_;
};

TEST_F(GuardedServerTest, ACompleteRequestIsServedWithItsBody) {
  Start(Short());
  Connection c(port_);
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  const std::string answer = c.Read(5s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("5:hello"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
}

// The write timeout bounds writing the answer, not the handler's work (which
// may wait for the daemon's lock).
TEST_F(GuardedServerTest, AHandlerSlowerThanTheWriteTimeoutStillAnswers) {
  ConnectionLimits l = Short();
  l.write_timeout = 200ms;
  Start(l);
  EXPECT_EQ(Get("/slow"), 200);
}

// Before: httplib gave each connection a worker from accept on, so clients
// trickling their headers held every worker and /healthz waited behind them.
TEST_F(GuardedServerTest, TricklingClientsHoldNoWorkerAndAreCutWith408) {
  Start(Short());
  std::vector<std::unique_ptr<Connection>> slow;
  for (int i = 0; i < 10; ++i) {
    slow.push_back(std::make_unique<Connection>(port_));
    ASSERT_TRUE(slow.back()->Send("GET /healthz HTTP/1.1\r\n"));
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (int i = 0; i < 100 && !stop; ++i) {
      for (auto& c : slow) c->Send("X");
      std::this_thread::sleep_for(50ms);
    }
  });
  EXPECT_EQ(Get("/healthz"), 200) << "with 10 slow clients and 2 workers";
  const std::string cut = slow[0]->Read(5s);
  stop = true;
  trickle.join();
  EXPECT_EQ(cut.rfind("HTTP/1.1 408", 0), 0u) << cut;
  EXPECT_NE(cut.find("not complete within"), std::string::npos) << cut;
  EXPECT_GE(server_->counters().timed_out, 10u);
}

TEST_F(GuardedServerTest, ASilentClientIsCutAfterTheReadTimeout) {
  Start(Short());
  Connection c(port_);
  ASSERT_TRUE(c.Send("GET /heal"));
  const std::string cut = c.Read(5s);
  EXPECT_EQ(cut.rfind("HTTP/1.1 408", 0), 0u) << cut;
  EXPECT_NE(cut.find("nothing was received for 800 ms"), std::string::npos) << cut;
}

TEST_F(GuardedServerTest, ABodyAboveTheLimitIsRefusedBeforeItIsSent) {
  Start(Short());
  Connection c(port_);
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 31457280\r\n\r\n"));
  const std::string answer = c.Read(5s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("at most 1000"), std::string::npos) << answer;
  // Exactly the limit is accepted.
  Connection ok(port_);
  ASSERT_TRUE(ok.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b')));
  EXPECT_EQ(ok.Read(5s).rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(GuardedServerTest, ChunkedBodiesAndHugeHeadsAreRefused) {
  Start(Short());
  Connection chunked(port_);
  ASSERT_TRUE(chunked.Send("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  EXPECT_EQ(chunked.Read(5s).rfind("HTTP/1.1 411", 0), 0u);
  Connection head(port_);
  ASSERT_TRUE(head.Send("GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(2000, 'a')));
  EXPECT_EQ(head.Read(5s).rfind("HTTP/1.1 431", 0), 0u);
}

TEST_F(GuardedServerTest, ExpectContinueGetsOneContinueThenTheAnswer) {
  Start(Short());
  Connection c(port_);
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  const std::string go = c.Read(300ms);
  EXPECT_EQ(go, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.Send("abc"));
  const std::string answer = c.Read(5s);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
}

// At the per-client cap the oldest connection still sending its request is
// cut for the new one, so idle connections cannot lock anyone out.
TEST_F(GuardedServerTest, AtTheCapTheOldestIncompleteConnectionIsCut) {
  ConnectionLimits l = Short();
  l.max_connections_per_client = 4;
  l.request_deadline = 20s;
  l.read_timeout = 20s;
  Start(l);
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Connection>(port_));
    ASSERT_TRUE(idle.back()->Send("GET"));
    std::this_thread::sleep_for(50ms);  // an order of arrival
  }
  EXPECT_EQ(Get("/healthz"), 200);
  const std::string cut = idle[0]->Read(2s);
  EXPECT_EQ(cut.rfind("HTTP/1.1 503", 0), 0u) << cut;
  EXPECT_NE(cut.find("make room"), std::string::npos) << cut;
  EXPECT_EQ(idle[1]->Read(200ms), "") << "only the oldest is cut";
  EXPECT_EQ(server_->counters().evicted, 1u);
}

// When every connection holds a complete request (being served or queued for
// a worker), there is nothing to cut: a new connection is refused with 503.
TEST_F(GuardedServerTest, WhenEveryConnectionIsBeingServedANewOneIsRefused) {
  ConnectionLimits l = Short();
  l.workers = 1;
  l.max_connections = 2;
  l.max_connections_per_client = 2;
  l.write_timeout = 10s;
  Start(l);
  Connection first(port_), second(port_);
  ASSERT_TRUE(first.Send("GET /gate HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(gate_.WaitForWaiting(1));
  ASSERT_TRUE(second.Send("GET /gate HTTP/1.1\r\nHost: x\r\n\r\n"));  // queued behind the one worker
  std::this_thread::sleep_for(200ms);
  Connection third(port_);
  const std::string refused = third.Read(2s);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After"), std::string::npos) << refused;
  gate_.Open();
  EXPECT_NE(first.Read(5s).find("through"), std::string::npos);
  EXPECT_NE(second.Read(5s).find("through"), std::string::npos);
  EXPECT_EQ(Get("/healthz"), 200) << "room again once they were answered";
}

TEST_F(GuardedServerTest, ShutdownClosesHeldConnectionsAndABoundServerThatNeverListened) {
  Start(Short());
  Connection held(port_);
  ASSERT_TRUE(held.Send("GET"));
  server_->stop();
  thread_.join();
  server_->Shutdown();
  EXPECT_EQ(held.Read(2s), "") << "closed without an answer";
  GuardedServer never(Short(), nullptr);
  const int port = never.Bind("127.0.0.1", 0);
  ASSERT_GT(port, 0);
  never.Shutdown();
  Connection refused(port);
  EXPECT_FALSE(refused.connected()) << "the listening socket was closed";
}

}  // namespace
}  // namespace shoal
