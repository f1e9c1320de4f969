// `shoal logs rsyslog-config` against real rsyslogd (Debian's rsyslog and
// rsyslog-kafka): the generated config passes `rsyslogd -N1`, and a line a
// program sends to syslog goes rsyslogd -> omkafka -> a Kafka protocol
// endpoint on loopback (librdkafka's mock cluster, in this process) ->
// KafkaLogIndexer -> the log store, searchable with its labels. Then the
// broker goes away while lines keep coming and rsyslogd restarts in the
// outage; once the broker is back every line is stored exactly once.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/kafka/kafka_logs.h"
#include "adapters/kafka/rsyslog_config.h"
#include "adapters/sqlite/sqlite_log_store.h"
#include "kafka_mock.h"
#include "test_util.h"

extern char** environ;

namespace shoal::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRsyslogd = "/usr/sbin/rsyslogd";
constexpr const char* kLogger = "/usr/bin/logger";
constexpr const char* kTopic = "shoal-logs-rsyslog";

// Starts argv with stdout and stderr to `log` (and stdin from `input`, if
// given); the child's pid, or -1.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log, const std::string& input = "") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!input.empty()) posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int RunTool(const std::vector<std::string>& args, const std::string& log, const std::string& input = "") {
  const pid_t pid = Spawn(args, log, input);
  if (pid < 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class RsyslogKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHOAL_REQUIRE_TOOLS({kRsyslogd, "rsyslog"}, {kLogger, "bsdutils"},
                        {"/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so", "rsyslog-kafka"});
    dir_ = MakeTempDir("shoal-rsyslog");
    fs::create_directories(dir_ + "/queue");
    ASSERT_EQ(kafka_.Start(kTopic), "");
    brokers_ = kafka_.brokers();
    ASSERT_EQ(brokers_.rfind("127.0.0.1:", 0), 0u) << brokers_;
  }

  void TearDown() override {
    StopRsyslogd();
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }

  RsyslogKafkaSpec Spec() const {
    RsyslogKafkaSpec s;
    s.group = "web";
    s.instance = "i-0000000000000abc";
    s.pool = "m5.large/us-east-1a";
    s.release = "4";
    s.brokers = brokers_;
    s.topic = kTopic;
    s.socket = dir_ + "/log.sock";
    s.standalone = true;
    s.queue_dir = dir_ + "/queue";
    return s;
  }

  // Writes the standalone config as `shoal logs rsyslog-config --standalone` prints it.
  std::string WriteConfig() {
    Result<std::string> text = RsyslogKafkaConfig(Spec());
    EXPECT_TRUE(text.ok()) << text.status().message();
    const std::string path = dir_ + "/rsyslog.conf";
    std::ofstream(path) << (text.ok() ? *text : "");
    return path;
  }

  void StartRsyslogd(const std::string& conf) {
    rsyslogd_ = Spawn({kRsyslogd, "-n", "-f", conf, "-i", dir_ + "/rsyslogd.pid"}, dir_ + "/rsyslogd.log");
    ASSERT_GT(rsyslogd_, 0);
    ASSERT_TRUE(WaitUntil([&] { return fs::exists(dir_ + "/log.sock"); }, 10s)) << ReadAll(dir_ + "/rsyslogd.log");
  }

  // SIGTERM (rsyslogd saves its queue) and wait.
  void StopRsyslogd() {
    if (rsyslogd_ <= 0) return;
    kill(rsyslogd_, SIGTERM);
    int status = 0;
    waitpid(rsyslogd_, &status, 0);
    rsyslogd_ = -1;
    fs::remove(dir_ + "/log.sock");
  }

  // Sends each line of `lines` as one message through the socket.
  void Send(const std::vector<std::string>& lines) {
    const std::string input = dir_ + "/input.txt";
    {
      std::ofstream out(input, std::ios::trunc);
      for (const std::string& l : lines) out << l << "\n";
    }
    ASSERT_EQ(RunTool({kLogger, "-u", dir_ + "/log.sock", "-t", "myapp"}, dir_ + "/logger.log", input), 0)
        << ReadAll(dir_ + "/logger.log");
  }

  // Polls the indexer until `done` holds or `timeout` passes.
  bool IndexUntil(KafkaLogIndexer& indexer, const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      Result<KafkaLogIndexer::Polled> p = indexer.PollOnce(5000, 100);
      EXPECT_TRUE(p.ok()) << p.status().message();
      if (!p.ok()) return false;
      EXPECT_EQ(p->unreadable, 0);
    }
    return true;
  }

  std::string dir_;
  testing::KafkaMockCluster kafka_;
  std::string brokers_;
  pid_t rsyslogd_ = -1;
};

TEST_F(RsyslogKafkaTest, TheGeneratedConfigPassesRsyslogdsCheck) {
  // Standalone, as it is run below.
  const std::string conf = WriteConfig();
  EXPECT_EQ(RunTool({kRsyslogd, "-N1", "-f", conf}, dir_ + "/check.log"), 0) << ReadAll(dir_ + "/check.log");
  // The drop-in, included by a main config that loads imuxsock (as
  // Debian's /etc/rsyslog.conf does).
  RsyslogKafkaSpec drop_in = Spec();
  drop_in.standalone = false;
  drop_in.socket = "";
  Result<std::string> text = RsyslogKafkaConfig(drop_in);
  ASSERT_TRUE(text.ok()) << text.status().message();
  fs::create_directories(dir_ + "/rsyslog.d");
  std::ofstream(dir_ + "/rsyslog.d/60-shoal.conf") << *text;
  std::ofstream(dir_ + "/main.conf") << "global(workDirectory=\"" << dir_ << "/queue\")\n"
                                     << "module(load=\"imuxsock\" SysSock.Name=\"" << dir_ << "/devlog\")\n"
                                     << "include(file=\"" << dir_ << "/rsyslog.d/*.conf\")\n"
                                     << "*.* " << dir_ << "/syslog\n";
  EXPECT_EQ(RunTool({kRsyslogd, "-N1", "-f", dir_ + "/main.conf"}, dir_ + "/check2.log"), 0) << ReadAll(dir_ + "/check2.log");
  // A broken one is refused (the check does check).
  std::ofstream(dir_ + "/bad.conf") << text->substr(0, text->size() / 2);
  EXPECT_NE(RunTool({kRsyslogd, "-N1", "-f", dir_ + "/bad.conf"}, dir_ + "/check3.log"), 0);
}

TEST_F(RsyslogKafkaTest, ALineThroughRealRsyslogIsSearchableOnceThroughAnOutageAndARestart) {
  Result<std::unique_ptr<SqliteLogStore>> store = SqliteLogStore::Open(dir_ + "/logs.db");
  ASSERT_TRUE(store.ok()) << store.status().message();
  KafkaLogOptions o;
  o.brokers = brokers_;
  o.topic = kTopic;
  o.extra = {{"reconnect.backoff.max.ms", "500"}};
  Result<std::unique_ptr<KafkaLogIndexer>> indexer = KafkaLogIndexer::Open(o, store->get());
  ASSERT_TRUE(indexer.ok()) << indexer.status().message();
  const std::string conf = WriteConfig();
  StartRsyslogd(conf);

  // 1. One line: rsyslogd -> Kafka -> indexer -> store, with its labels.
  const auto sent = std::chrono::steady_clock::now();
  Send({"hello from rsyslog FIRST-MARK"});
  const auto found = [&](const std::string& grep) {
    Result<LogPage> p = (*store)->Search({"web", 0, grep, 0, 1000});
    return p.ok() ? p->lines : std::vector<StoredLog>{};
  };
  ASSERT_TRUE(IndexUntil(**indexer, [&] { return !found("FIRST-MARK").empty(); }, 30s))
      << ReadAll(dir_ + "/rsyslogd.log");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  std::printf("rsyslog -> kafka -> store: the first line in %.3f s\n", seconds);
  std::vector<StoredLog> first = found("FIRST-MARK");
  ASSERT_EQ(first.size(), 1u);
  const LogRecord& r = first[0].record;
  EXPECT_EQ(r.group, "web");
  EXPECT_EQ(r.instance, "i-0000000000000abc");
  EXPECT_EQ(r.pool, "m5.large/us-east-1a");
  EXPECT_EQ(r.release, "4");
  EXPECT_EQ(r.stream, "syslog");
  EXPECT_EQ(r.text, "myapp: hello from rsyslog FIRST-MARK");
  EXPECT_EQ(r.source.rfind("i-0000000000000abc/syslog/", 0), 0u) << r.source;
  EXPECT_EQ(r.offset, 0);
  // By instance too.
  EXPECT_EQ((*store)->Search({"i-0000000000000abc", 0, "FIRST-MARK", 0, 10})->lines.size(), 1u);
  // Once the indexer has joined its group (most of the first line's time):
  // one line's trip.
  const auto again = std::chrono::steady_clock::now();
  Send({"hello again SECOND-MARK"});
  ASSERT_TRUE(IndexUntil(**indexer, [&] { return !found("SECOND-MARK").empty(); }, 30s));
  std::printf("rsyslog -> kafka -> store: the next line in %.3f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - again).count());
  EXPECT_EQ(found("SECOND-MARK")[0].record.offset, 1);  // the run's second message

  // 2. The broker goes down; lines keep coming; rsyslogd is stopped and
  //    started again in the outage; then the broker comes back.
  constexpr int kBefore = 200;
  constexpr int kAfter = 200;
  std::vector<std::string> lines;
  for (int i = 0; i < kBefore; ++i) lines.push_back("outage line " + std::to_string(i) + " OUTAGE-MARK");
  ASSERT_TRUE(kafka_.SetBrokerUp(false));
  const auto down_at = std::chrono::steady_clock::now();
  Send(lines);
  std::this_thread::sleep_for(2s);
  StopRsyslogd();
  // Where the undelivered lines wait for the next rsyslogd (shown, not asserted).
  for (const auto& f : fs::directory_iterator(dir_ + "/queue")) {
    std::printf("rsyslog: after the stop, %s (%ju bytes)\n", f.path().filename().c_str(),
                static_cast<std::uintmax_t>(fs::is_regular_file(f.path()) ? fs::file_size(f.path()) : 0));
  }
  StartRsyslogd(conf);
  lines.clear();
  for (int i = kBefore; i < kBefore + kAfter; ++i) lines.push_back("outage line " + std::to_string(i) + " OUTAGE-MARK");
  Send(lines);
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(kafka_.SetBrokerUp(true));
  const double outage = std::chrono::duration<double>(std::chrono::steady_clock::now() - down_at).count();
  ASSERT_TRUE(IndexUntil(**indexer, [&] { return found("OUTAGE-MARK").size() >= kBefore + kAfter; }, 60s))
      << found("OUTAGE-MARK").size() << "\n" << ReadAll(dir_ + "/rsyslogd.log");
  std::printf("rsyslog: broker down %.1f s with a restart of rsyslogd, %d lines carried through\n", outage,
              kBefore + kAfter);
  // Nothing more comes (a second of polls), and each line is there once.
  const auto quiet = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < quiet) ASSERT_TRUE((*indexer)->PollOnce(5000, 100).ok());
  const std::vector<StoredLog> all = found("OUTAGE-MARK");
  std::set<std::string> texts;
  for (const StoredLog& l : all) texts.insert(l.record.text);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kBefore + kAfter));
  EXPECT_EQ(texts.size(), static_cast<std::size_t>(kBefore + kAfter));
  EXPECT_EQ(found("FIRST-MARK").size(), 1u);
}

}  // namespace
}  // namespace shoal::testing
