// `shoal serve` and `shoal down` refuse what they must before they change
// anything: a bad or busy --api address before HAProxy starts, a service port
// equal to the API port (at serve and at apply), a data dir typo for down, a
// pid file naming a process that is not the daemon. A serve that fails leaves
// an existing data dir's mode alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/local/proc_stat.h"
#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::DaemonTest;
using shoal::testing::HttpGet;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

// A socket listening on 127.0.0.1:port, closed by the destructor.
class PortHolder {
 public:
  explicit PortHolder(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd_, 4) == 0;
  }
  ~PortHolder() { close(fd_); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

class ServeChecksTest : public DaemonTest {
 protected:
  // Runs `shoal ARGS...` to its end: exit code and output.
  std::pair<int, std::string> Run(std::vector<std::string> args) {
    args.insert(args.begin(), SHOAL_BINARY);
    const std::string log = dir_ + "/run.log";
    std::filesystem::remove(log, ec_);
    const pid_t pid = Spawn(args, log);
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(log);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
  }

  std::pair<int, std::string> Serve(const std::string& api) {
    return Run({"serve", "--config", config_, "--data-dir", dir_ + "/data", "--api", api});
  }

  // Nothing of a cluster was started: no HAProxy answers the service port
  // and none was recorded in the data dir.
  void ExpectNothingStarted() {
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/data/haproxy/haproxy.pid")) << "HAProxy was started";
    EXPECT_EQ(HttpGet(web_port_, "/"), 0) << "something answers the service port";
  }
};

TEST_F(ServeChecksTest, AnApiPortOutOfRangeIsRefusedBeforeAnythingStarts) {
  const auto [code, out] = Serve("127.0.0.1:99999");
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("65535"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data")) << "the data dir was created";
  ExpectNothingStarted();
}

TEST_F(ServeChecksTest, APublicApiAddressIsRefusedBeforeAnythingStarts) {
  const auto [code, out] = Serve("8.8.8.8:" + std::to_string(api_port_));
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("loopback or private"), std::string::npos) << out;
  ExpectNothingStarted();
}

TEST_F(ServeChecksTest, ABusyApiPortIsRefusedBeforeHaproxyStarts) {
  PortHolder busy(api_port_);
  ASSERT_TRUE(busy.ok());
  const auto [code, out] = Serve("127.0.0.1:" + std::to_string(api_port_));
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find(std::to_string(api_port_)), std::string::npos) << out;
  ExpectNothingStarted();
}

TEST_F(ServeChecksTest, AListenPortEqualToTheApiPortIsRefusedAtServeAndAtApply) {
  std::string clash = Config(2);
  clash.replace(clash.find("listen_port: " + std::to_string(web_port_)), 13 + std::to_string(web_port_).size(),
                "listen_port: " + std::to_string(api_port_));
  std::ofstream(config_) << clash;
  const auto [code, out] = Serve("127.0.0.1:" + std::to_string(api_port_));
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("API"), std::string::npos) << out;
  ExpectNothingStarted();

  std::ofstream(config_) << Config(1);
  StartDaemon();
  auto r = Api("POST", "/v1/apply", json{{"config", clash}, {"source", "clash.yaml"}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("clash.yaml"), std::string::npos) << r->body;
  EXPECT_EQ(Group()["listen_port"], web_port_) << "nothing changed";
}

TEST_F(ServeChecksTest, AServeThatFailsLeavesAnExistingDataDirModeAlone) {
  std::filesystem::create_directories(dir_ + "/data");
  ASSERT_EQ(chmod((dir_ + "/data").c_str(), 0755), 0);
  PortHolder busy(web_port_);  // HAProxy cannot bind the service port: serve fails late
  ASSERT_TRUE(busy.ok());
  const auto [code, out] = Serve("127.0.0.1:" + std::to_string(api_port_));
  EXPECT_NE(code, 0) << out;
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u) << out;
}

TEST_F(ServeChecksTest, DownWithADataDirThatDoesNotExistCreatesNothing) {
  const std::string typo = dir_ + "/dtaa";
  const auto [code, out] = Run({"down", "--data-dir", typo});
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("no such data dir"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(typo)) << "down created the directory";
}

// A pid file that names a live process other than the daemon (a stale file
// whose pid was reused): down must not signal it, and says why.
TEST_F(ServeChecksTest, DownLeavesAnUnrelatedProcessInThePidFileAlive) {
  const pid_t sleeper = Spawn({"/bin/sleep", "60"}, dir_ + "/sleep.log");
  ASSERT_GT(sleeper, 0);
  std::filesystem::create_directories(dir_ + "/data");
  std::ofstream(dir_ + "/data/shoal.pid") << sleeper << "\n";
  const auto [code, out] = Run({"down", "--data-dir", dir_ + "/data"});
  EXPECT_NE(out.find("not signalled"), std::string::npos) << out;
  const std::optional<ProcStat> st = ReadProcStat(sleeper);
  EXPECT_TRUE(st && st->Alive()) << "down killed an unrelated process: " << out;
  kill(sleeper, SIGKILL);
  int status = 0;
  waitpid(sleeper, &status, 0);
  EXPECT_EQ(code, 0) << out;
}

}  // namespace
}  // namespace shoal
