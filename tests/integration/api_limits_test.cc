// The daemon's API under hostile clients, on real loopback sockets against a
// real `shoal serve`: connections that trickle their request one byte at a
// time, a body far above the limit, hundreds of idle connections. The API must
// keep answering /healthz and authenticated reads meanwhile, cut the slow
// clients off, and refuse the body without reading it. Latencies are printed
// (they are figures for the report), never asserted.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon_fixture.h"
#include "raw_http.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::DaemonTest;
using shoal::testing::OpenFds;
using shoal::testing::RawConnection;
using shoal::testing::RssKib;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

// Connections that send a request one byte every `gap`, from their own thread,
// and never finish it (the request has no end within the test).
class Tricklers {
 public:
  Tricklers(int port, int count, std::chrono::milliseconds gap) {
    for (int i = 0; i < count; ++i) connections_.push_back(std::make_unique<RawConnection>(port));
    thread_ = std::thread([this, gap] {
      const std::string request = "GET /v1/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(4000, 'a');
      for (std::size_t i = 0; i < request.size() && !stop_; ++i) {
        for (auto& c : connections_) {
          if (c->connected() && !closed_by_peer_[c.get()] && !c->Send(request.substr(i, 1))) {
            closed_by_peer_[c.get()] = true;
          }
        }
        std::this_thread::sleep_for(gap);
      }
    });
  }
  ~Tricklers() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::unique_ptr<RawConnection>>& connections() { return connections_; }

 private:
  std::vector<std::unique_ptr<RawConnection>> connections_;
  std::map<RawConnection*, bool> closed_by_peer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One GET with a 10 s read timeout: its status (0 when it got no answer) and
// how long it took.
std::pair<int, double> TimedGet(int port, const std::string& path, const std::string& token) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(10);
  c.set_read_timeout(10);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  const auto start = std::chrono::steady_clock::now();
  auto r = c.Get(path.c_str(), h);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return {r ? r->status : 0, ms};
}

class ApiLimitsTest : public DaemonTest {
 protected:
  // /healthz and an authenticated GET answer while `slow` clients trickle.
  void ExpectAnswersWhileTrickling(int slow) {
    Tricklers tricklers(api_port_, slow, 100ms);
    std::this_thread::sleep_for(1s);  // every slow client is connected and mid-request
    for (int i = 0; i < 3; ++i) {
      const auto [health, health_ms] = TimedGet(api_port_, "/healthz", "");
      const auto [groups, groups_ms] = TimedGet(api_port_, "/v1/groups", token_);
      std::printf("[ figures ] %d slow clients: /healthz %d in %.1f ms, GET /v1/groups %d in %.1f ms\n", slow, health,
                  health_ms, groups, groups_ms);
      EXPECT_EQ(health, 200) << slow << " slow clients";
      EXPECT_EQ(groups, 200) << slow << " slow clients";
    }
    tricklers.Stop();
  }
};

TEST_F(ApiLimitsTest, EightSlowClientsDoNotBlockHealthzOrAuthenticatedReads) {
  StartDaemon();
  ExpectAnswersWhileTrickling(8);
}

TEST_F(ApiLimitsTest, FiftySlowClientsDoNotBlockHealthzOrAuthenticatedReads) {
  StartDaemon();
  ExpectAnswersWhileTrickling(50);
}

// A client that never finishes its request is cut off at the request deadline
// with a 408, however steadily it trickles.
TEST_F(ApiLimitsTest, ASlowClientIsCutOffWithRequestTimeout) {
  StartDaemon();
  Tricklers tricklers(api_port_, 3, 100ms);
  const auto start = std::chrono::steady_clock::now();
  std::string answer;
  ASSERT_TRUE(WaitUntil(
      [&] {
        answer = tricklers.connections()[0]->ReadUntilClosed(500ms);
        return !answer.empty();
      },
      60s));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ figures ] a trickling client was answered after %.1f s: %s\n", s,
              answer.substr(0, answer.find('\r')).c_str());
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_NE(answer.find("\"error\""), std::string::npos) << answer;
}

// A 30 MB body is refused with 413 as soon as its Content-Length is read: the
// answer comes before any of the body is sent, and sending it anyway does not
// grow the daemon.
TEST_F(ApiLimitsTest, AHugeBodyIsRefusedWith413BeforeItIsRead) {
  StartDaemon();
  const long rss_before = RssKib(daemon_);
  const std::size_t size = 30u << 20;
  const std::string head = "POST /v1/apply HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token_ +
                           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
  {
    RawConnection c(api_port_);
    ASSERT_TRUE(c.Send(head));
    const std::string answer = c.ReadUntilClosed(10s);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
    EXPECT_NE(answer.find("\"error\""), std::string::npos) << answer;
  }
  for (int i = 0; i < 3; ++i) {
    RawConnection c(api_port_);
    ASSERT_TRUE(c.Send(head));
    const std::string chunk(1 << 20, '{');
    for (std::size_t sent = 0; sent < size && c.Send(chunk); sent += chunk.size()) {
    }
    const std::string answer = c.ReadUntilClosed(10s);
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  }
  const long rss_after = RssKib(daemon_);
  std::printf("[ figures ] daemon RSS %ld KiB before, %ld KiB after three 30 MB bodies\n", rss_before, rss_after);
  EXPECT_LT(rss_after - rss_before, 32 * 1024) << "the daemon grew by reading a refused body";
  EXPECT_EQ(TimedGet(api_port_, "/healthz", "").first, 200);
}

// Hundreds of connections that send nothing hold no worker and a bounded
// number of descriptors; /healthz still answers.
TEST_F(ApiLimitsTest, ManyIdleConnectionsAreBoundedAndHealthzStillAnswers) {
  StartDaemon();
  const int fds_before = OpenFds(daemon_);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(std::make_unique<RawConnection>(api_port_));
  std::this_thread::sleep_for(1s);
  const int fds_during = OpenFds(daemon_);
  const auto [health, health_ms] = TimedGet(api_port_, "/healthz", "");
  const auto [groups, groups_ms] = TimedGet(api_port_, "/v1/groups", token_);
  std::printf("[ figures ] 300 idle connections: daemon fds %d -> %d, /healthz %d in %.1f ms, /v1/groups %d in %.1f ms\n",
              fds_before, fds_during, health, health_ms, groups, groups_ms);
  EXPECT_EQ(health, 200);
  EXPECT_EQ(groups, 200);
  EXPECT_LE(fds_during - fds_before, 200) << "connections beyond the cap are closed";
}

}  // namespace
}  // namespace shoal
