// The local instance's syslog relay: what a datagram becomes in syslog.log,
// the severity read from "<PRI>", and the relay itself on a real socket.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/local/syslog_relay.h"

namespace shoal {
namespace {

TEST(SyslogDatagramLines, TrailingBreaksAndNulsGoAndOneNewlineEndsTheLine) {
  EXPECT_EQ(SyslogDatagramLines("<13>Dec  3 22:00:00 app: hello"), "<13>Dec  3 22:00:00 app: hello\n");
  EXPECT_EQ(SyslogDatagramLines(std::string_view("<13>hi\r\n\0", 9)), "<13>hi\n");
  EXPECT_EQ(SyslogDatagramLines("two\nlines\n"), "two\nlines\n");
  EXPECT_EQ(SyslogDatagramLines(""), "");
  EXPECT_EQ(SyslogDatagramLines("\n\r\n"), "");
}

TEST(SyslogSeverityOf, ReadsTheLeadingPriority) {
  EXPECT_EQ(SyslogSeverityOf("<11>Dec  3 app: x"), 3);   // user.err
  EXPECT_EQ(SyslogSeverityOf("<134>1 2026-12-03T00:00:00Z h a - - - x"), 6);  // local0.info
  EXPECT_EQ(SyslogSeverityOf("<0>x"), 0);
  EXPECT_EQ(SyslogSeverityOf("<191>x"), 7);
}

TEST(SyslogSeverityOf, AnythingElseIsNotAPriority) {
  for (const char* text : {"", "<", "<>x", "<13", "13>x", "<192>x", "<1234>x", "<013>x", "<1a>x", "plain text"}) {
    EXPECT_EQ(SyslogSeverityOf(text), -1) << text;
  }
}

TEST(SyslogSocketPath, TheSocketInTheInstanceDirectoryOrItsNameWhenThePathIsTooLong) {
  EXPECT_EQ(SyslogSocketPath("/var/lib/shoal/instances/00000000000000a3"),
            "/var/lib/shoal/instances/00000000000000a3/syslog.sock");
  EXPECT_EQ(SyslogSocketPath("/" + std::string(120, 'd')), "syslog.sock");
}

class SyslogRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shoal-relay-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_ + "/syslog.sock";
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    addr_ = addr;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_)), 0);
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    std::filesystem::remove_all(dir_);
  }

  void Send(std::string_view datagram) {
    const int s = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    EXPECT_EQ(::sendto(s, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&addr_),
                       sizeof(addr_)),
              static_cast<ssize_t>(datagram.size()));
    ::close(s);
  }

  std::string Out() const {
    std::ifstream in(dir_ + "/syslog.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
  sockaddr_un addr_{};
  int fd_ = -1;
};

TEST_F(SyslogRelayTest, EachDatagramBecomesALineInOrderAndAStopEndsIt) {
  std::atomic<bool> stop{false};
  Status result = Status::Internal("not run");
  std::thread relay([&] { result = RunSyslogRelay({fd_, dir_ + "/syslog.log"}, stop); });
  // Sent before and while the relay reads: the socket queues them.
  for (int i = 1; i <= 300; ++i) Send("<11>app: message " + std::to_string(i) + "\n");
  Send("");
  Send(std::string(kMaxSyslogDatagram + 100, 'x'));  // cut to the maximum
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string last = std::string(kMaxSyslogDatagram, 'x') + "\n";
  while (!Out().ends_with(last) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  relay.join();
  EXPECT_TRUE(result.ok()) << result.message();
  std::istringstream lines(Out());
  std::string line;
  for (int i = 1; i <= 300; ++i) {
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_EQ(line, "<11>app: message " + std::to_string(i));
  }
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(line, std::string(kMaxSyslogDatagram, 'x'));
  EXPECT_FALSE(std::getline(lines, line));
}

TEST_F(SyslogRelayTest, ADescriptorThatIsNotADatagramSocketIsRefused) {
  std::atomic<bool> stop{true};
  const int stream = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const Status s = RunSyslogRelay({stream, dir_ + "/syslog.log"}, stop);
  ::close(stream);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a datagram socket"), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/syslog.log"));  // nothing created
}

TEST_F(SyslogRelayTest, AFileThatCannotBeOpenedIsAnError) {
  std::atomic<bool> stop{true};
  const Status s = RunSyslogRelay({fd_, dir_ + "/no/such/dir/syslog.log"}, stop);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("no/such/dir/syslog.log"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace shoal
