// Central logs against a real `shoal serve`: local instances print lines,
// the daemon's collector ships them into DATA/logs.db, and
// - `shoal logs web --grep X --json` returns them with their labels;
// - a daemon SIGKILLed mid-ingest, then restarted, has every line once
//   (at least once + the (source, offset) dedup key);
// - the instances' stdout.log files are freed once shipped (hole punching);
// - retention by size, then by age, prunes at the next daemon start;
// - what an instance's programs send to syslog ($SHOAL_SYSLOG_SOCKET) is
//   stored too, through a daemon restart, each message once.
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "adapters/blob/file_io.h"
#include "adapters/kafka/kafka_logs.h"
#include "adapters/sqlite/sqlite_log_store.h"
#include "daemon_fixture.h"
#include "kafka_mock.h"
#include "test_util.h"

namespace shoal::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kLinesPerInstance = 100000;
// The mock broker keeps only the newest part of a partition, like a short
// retention (with 2 x 20,000 lines, the indexer, joining its group a few
// seconds late, found only the newest 16,204): stay well below that.
constexpr int kKafkaLinesPerInstance = 5000;

// Runs `command` through the shell; its exit code, stdout in `out`.
int RunShell(const std::string& command, std::string* out) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class DaemonLogsTest : public DaemonTest {
 protected:
  // Each instance prints "line N MARK" for N = 1..100000, then serves.
  std::string LogsConfig(const std::string& logs_section, int lines = kLinesPerInstance) const {
    const std::string command = "      command: [\"/bin/sh\", \"-c\", \"seq 1 " + std::to_string(lines) +
                                " | sed 's/^/line /; s/$/ MARK/'; exec " + WebBinary() +
                                " --port {port} --dir {dir} --cpu-ms 1\"]\n";
    std::string c = std::regex_replace(Config(2), std::regex("      command: \\[[^\\n]*\\n"), command);
    return c + logs_section;
  }

  // Per instance: (lines with MARK, distinct MARK texts), read from the
  // store directly (WAL: a reader beside the daemon's writer is fine).
  std::map<std::string, std::pair<int, int>> MarkCounts(const std::string& like = "line % MARK") {
    std::map<std::string, std::pair<int, int>> out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2((dir_ + "/data/logs.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return out;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT b.instance, count(*), count(DISTINCT l.msg) FROM log_lines l JOIN log_labels b ON b.id = l.lab "
                           "WHERE l.msg LIKE ? GROUP BY b.instance",
                           -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, like.c_str(), -1, SQLITE_TRANSIENT) == SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) {
        out[reinterpret_cast<const char*>(sqlite3_column_text(s, 0))] = {sqlite3_column_int(s, 1),
                                                                          sqlite3_column_int(s, 2)};
      }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
  }

  // The store's used pages in bytes (what logs.max_size bounds); -1 if unreadable.
  std::int64_t UsedBytes() {
    sqlite3* db = nullptr;
    std::int64_t used = -1;
    if (sqlite3_open_v2((dir_ + "/data/logs.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v2(db,
                             "SELECT ((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM "
                             "pragma_freelist_count())) * (SELECT page_size FROM pragma_page_size())",
                             -1, &s, nullptr) == SQLITE_OK &&
          sqlite3_step(s) == SQLITE_ROW) {
        used = sqlite3_column_int64(s, 0);
      }
      sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return used;
  }

  int MarkTotal() {
    int n = 0;
    for (const auto& [id, c] : MarkCounts()) n += c.first;
    return n;
  }

  // `shoal logs ARGS --json`: one JSON object per printed line.
  std::vector<json> CliLogs(const std::string& args) {
    std::string out;
    const int rc = RunShell(std::string(SHOAL_BINARY) + " logs " + args + " --json --api http://127.0.0.1:" +
                                std::to_string(api_port_) + " --data-dir " + dir_ + "/data 2>&1",
                            &out);
    EXPECT_EQ(rc, 0) << out;
    std::vector<json> lines;
    std::size_t start = 0;
    while (start < out.size()) {
      const std::size_t end = out.find('\n', start);
      const std::string line = out.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!line.empty()) lines.push_back(json::parse(line, nullptr, false));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return lines;
  }
};

TEST_F(DaemonLogsTest, LabelsKillMidIngestRotationAndRetention) {
  std::ofstream(config_) << LogsConfig("");
  StartDaemon();
  // The first batch is in: kill the daemon while the rest is being read.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto r = Api("GET", "/v1/logs?grep=MARK&limit=1");
        return r && r->status == 200 && !json::parse(r->body)["lines"].empty();
      },
      60s))
      << Log();
  StopDaemon(SIGKILL);
  const int at_kill = MarkTotal();
  EXPECT_GT(at_kill, 0);
  ASSERT_LT(at_kill, 2 * kLinesPerInstance) << "the kill came after the ingest ended; nothing was tested";

  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return MarkTotal() >= 2 * kLinesPerInstance; }, 120s)) << MarkTotal() << "\n" << Log();
  std::this_thread::sleep_for(3s);  // more passes: nothing more may come
  const std::map<std::string, std::pair<int, int>> counts = MarkCounts();
  ASSERT_GE(counts.size(), 2u);
  for (const auto& [id, c] : counts) {
    EXPECT_EQ(c.first, kLinesPerInstance) << id;   // nothing lost, nothing twice
    EXPECT_EQ(c.second, kLinesPerInstance) << id;  // every line 1..N
  }

  // The CLI: exactly this line, once per instance, with its labels.
  const std::vector<json> found = CliLogs("web --grep 'line 77 MARK'");
  ASSERT_EQ(found.size(), counts.size());
  std::set<std::string> instances;
  for (const json& l : found) {
    ASSERT_FALSE(l.is_discarded());
    EXPECT_EQ(l["text"], "line 77 MARK");
    EXPECT_EQ(l["group"], "web");
    EXPECT_TRUE(counts.count(l["instance"].get<std::string>())) << l.dump();
    EXPECT_FALSE(l["pool"].get<std::string>().empty()) << l.dump();
    EXPECT_TRUE(l.contains("release")) << l.dump();  // "" here: the group names no release
    EXPECT_EQ(l["stream"], "stdout");
    EXPECT_NE(l["syslog"].get<std::string>().find("group=\"web\""), std::string::npos) << l.dump();
    instances.insert(l["instance"].get<std::string>());
  }
  EXPECT_EQ(instances.size(), counts.size());
  // By instance too, and --since in the future finds nothing.
  EXPECT_EQ(CliLogs(*instances.begin() + " --grep 'line 77 MARK'").size(), 1u);
  EXPECT_EQ(CliLogs("web --grep MARK --since 2099-01-01T00:00:00Z").size(), 0u);

  // Rotation: each shipped stdout.log keeps its apparent size but not its
  // blocks (freed with PUNCH_HOLE in 1 MiB steps).
  std::size_t shipped_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/data/instances")) {
    struct stat st {};
    if (::stat((entry.path() / "stdout.log").c_str(), &st) != 0 || st.st_size < (1 << 20)) continue;
    ++shipped_files;
    EXPECT_LT(static_cast<std::int64_t>(st.st_blocks) * 512, st.st_size / 2) << entry.path() << ": holes not punched";
  }
  EXPECT_EQ(shipped_files, counts.size());

  // Retention by size: the next start prunes the oldest lines down to 90%
  // of 1 MiB; the newest lines stay.
  StopDaemon(SIGTERM);
  std::ofstream(config_) << LogsConfig("logs: {max_size: 1MiB, retention: 0}\n");
  StartDaemon();
  // (Pruning goes in chunks of 20,000 lines, one transaction each: wait
  // for the last one.)
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::int64_t used = UsedBytes();
        return used >= 0 && used <= (1 << 20);
      },
      120s))
      << UsedBytes() << "\n" << Log();
  EXPECT_GT(MarkTotal(), 0);
  // The newest stay (the instance shipped last keeps its last line; the
  // collector reads one file after the other, so the other's may be gone).
  EXPECT_GE(CliLogs("web --grep 'line 100000 MARK'").size(), 1u);
  EXPECT_EQ(CliLogs("web --grep 'line 1 MARK'").size(), 0u);                 // the oldest went

  // Retention by age: lines read more than 1 s ago go at the next start.
  StopDaemon(SIGTERM);
  std::this_thread::sleep_for(2s);
  std::ofstream(config_) << LogsConfig("logs: {retention: 1s}\n");
  StartDaemon();
  EXPECT_TRUE(WaitUntil([&] { return MarkTotal() == 0; }, 60s)) << MarkTotal() << "\n" << Log();
}

// Programs inside an instance log to syslog through the socket its relay
// holds (real util-linux `logger`, RFC 3164 datagrams): every message is
// searchable with the instance's labels as stream "syslog", and one sent
// while the daemon is SIGKILLed and restarted is there too, exactly once
// (the relay lives with the instance, not with the daemon).
TEST_F(DaemonLogsTest, WhatAnInstanceSendsToSyslogIsStoredOnceThroughADaemonRestart) {
  constexpr int kMessages = 150;  // one every 0.1 s or so
  const std::string command = "      command: [\"/bin/sh\", \"-c\", \"(i=1; while [ $i -le " +
                              std::to_string(kMessages) +
                              " ]; do logger -d -u $SHOAL_SYSLOG_SOCKET -t shop -p user.err line $i SYSMARK; "
                              "i=$((i+1)); sleep 0.1; done) & exec " + WebBinary() +
                              " --port {port} --dir {dir} --cpu-ms 1\"]\n";
  std::string format;  // '$' is special in a regex_replace format: "$$" is one
  for (char c : command) format += c == '$' ? std::string("$$") : std::string(1, c);
  std::ofstream(config_) << std::regex_replace(Config(2), std::regex("      command: \\[[^\\n]*\\n"), format);
  const std::string like = "%line % SYSMARK";
  auto total = [&] {
    int n = 0;
    for (const auto& [id, c] : MarkCounts(like)) n += c.first;
    return n;
  };
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return total() > 0; }, 60s)) << Log();

  // What a person sees: the message as the program sent it, its labels, the
  // stream, and the sender's severity (user.err) in the RFC 5424 form.
  const std::vector<json> found = CliLogs("web --grep 'line 1 SYSMARK'");
  ASSERT_GE(found.size(), 1u);
  for (const json& l : found) {
    ASSERT_FALSE(l.is_discarded());
    EXPECT_EQ(l["stream"], "syslog") << l.dump();
    EXPECT_EQ(l["group"], "web") << l.dump();
    EXPECT_FALSE(l["pool"].get<std::string>().empty()) << l.dump();
    EXPECT_NE(l["text"].get<std::string>().find("shop"), std::string::npos) << l.dump();  // logger's tag
    EXPECT_EQ(l["syslog"].get<std::string>().rfind("<131>1 ", 0), 0u) << l.dump();     // local0, severity 3
  }

  StopDaemon(SIGKILL);
  const int at_kill = total();
  std::this_thread::sleep_for(3s);  // the instances go on logging meanwhile
  StartDaemon();
  EXPECT_LT(at_kill, 2 * kMessages) << "the messages ended before the daemon was killed; nothing was tested";
  ASSERT_TRUE(WaitUntil([&] { return total() >= 2 * kMessages; }, 120s)) << total() << "\n" << Log();
  std::this_thread::sleep_for(2s);  // more passes: nothing more may come
  const std::map<std::string, std::pair<int, int>> counts = MarkCounts(like);
  ASSERT_EQ(counts.size(), 2u);
  for (const auto& [id, c] : counts) {
    EXPECT_EQ(c.first, kMessages) << id;   // nothing lost, nothing twice
    EXPECT_EQ(c.second, kMessages) << id;  // every message 1..N
  }
  StopDaemon(SIGTERM);
}

// logs.kafka_brokers: the collector ships through a Kafka topic (a real
// Kafka protocol endpoint on loopback: librdkafka's mock cluster, run in
// this process) and the daemon's indexer fills the store from it.
TEST_F(DaemonLogsTest, ThroughKafkaTheLinesReachTheStoreAndTheTopic) {
  testing::KafkaMockCluster kafka;
  ASSERT_EQ(kafka.Start("shoal-logs-it"), "");
  const std::string brokers = kafka.brokers();

  std::ofstream(config_) << LogsConfig("logs: {kafka_brokers: \"" + brokers + "\", kafka_topic: shoal-logs-it}\n",
                                       kKafkaLinesPerInstance);
  StartDaemon();
  EXPECT_TRUE(WaitUntil([&] { return MarkTotal() >= 2 * kKafkaLinesPerInstance; }, 120s)) << MarkTotal() << "\n" << Log();
  std::this_thread::sleep_for(2s);
  for (const auto& [id, c] : MarkCounts()) {
    EXPECT_EQ(c.first, kKafkaLinesPerInstance) << id;
    EXPECT_EQ(c.second, kKafkaLinesPerInstance) << id;
  }
  const std::vector<json> found = CliLogs("web --grep 'line 777 MARK'");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0]["group"], "web");

  // `shoal logs rsyslog-config INSTANCE` takes the instance's labels from
  // the daemon (as its lines carry them) and the brokers from the config.
  {
    const std::string id = found[0]["instance"].get<std::string>();
    const std::string command = std::string(SHOAL_BINARY) + " logs rsyslog-config " + id + " --config " + config_ +
                                " --api http://127.0.0.1:" + std::to_string(api_port_) + " --data-dir " + dir_ +
                                "/data";
    std::string out;
    ASSERT_EQ(RunShell(command + " 2>&1", &out), 0) << out;
    EXPECT_NE(out.find("[shoal@32473 group=\\\"web\\\" instance=\\\"" + id + "\\\" pool=\\\"" +
                       found[0]["pool"].get<std::string>() + "\\\" release=\\\"\\\" stream=\\\"syslog\\\""),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("broker=[\"" + brokers + "\"] topic=\"shoal-logs-it\""), std::string::npos) << out;
    // -o writes the same text to the file; a bad argument is refused, named,
    // and writes nothing.
    std::string written;
    ASSERT_EQ(RunShell(command + " -o " + dir_ + "/shoal-kafka.conf 2>&1", &written), 0) << written;
    Result<std::string> file = ReadSmallFile(dir_ + "/shoal-kafka.conf", 1 << 20);
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_EQ(*file, out);
    std::string refused;
    EXPECT_NE(RunShell(command + " --queue-max-disk lots -o " + dir_ + "/refused.conf 2>&1", &refused), 0);
    EXPECT_NE(refused.find("--queue-max-disk"), std::string::npos) << refused;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/refused.conf"));
  }

  // The topic holds them: a reader of our own (another consumer group).
  {
    Result<std::unique_ptr<SqliteLogStore>> mine = SqliteLogStore::Open(dir_ + "/topic-copy.db");
    ASSERT_TRUE(mine.ok()) << mine.status().message();
    KafkaLogOptions o;
    o.brokers = brokers;
    o.topic = "shoal-logs-it";
    o.group_id = "test-reader";
    Result<std::unique_ptr<KafkaLogIndexer>> reader = KafkaLogIndexer::Open(o, mine->get());
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    const auto end = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < end) {
      Result<LogPage> last = (*mine)->Search({"web", 0, "line " + std::to_string(kKafkaLinesPerInstance) + " MARK", 0, 10});
      if (last.ok() && last->lines.size() == 2) break;
      ASSERT_TRUE((*reader)->PollOnce(5000, 500).ok());
    }
    EXPECT_GE(*(*mine)->Count(), 2 * kKafkaLinesPerInstance);
    EXPECT_EQ((*mine)->Search({"web", 0, "line 777 MARK", 0, 10})->lines.size(), 2u);
  }
  StopDaemon(SIGTERM);
}

// A broker outage under a running daemon: the instances keep printing, the
// broker goes away, the daemon is SIGKILLed and started again in the
// outage, the broker comes back. Every line reaches the store exactly once.
TEST_F(DaemonLogsTest, ThroughKafkaABrokerOutageAndADaemonRestartLoseAndDoubleNothing) {
  testing::KafkaMockCluster kafka;
  ASSERT_EQ(kafka.Start("shoal-logs-outage"), "");
  const std::string brokers = kafka.brokers();

  // Each instance prints "line N MARK" for N = 1..3000, 20 lines every
  // 0.1 s (about 15 s), in the background while it serves.
  constexpr int kLines = 3000;
  const std::string command = "      command: [\"/bin/sh\", \"-c\", \"(i=1; while [ $i -le " + std::to_string(kLines) +
                              " ]; do echo line $i MARK; i=$((i+1)); if [ $((i % 20)) -eq 0 ]; then sleep 0.1; fi; "
                              "done) & exec " + WebBinary() + " --port {port} --dir {dir} --cpu-ms 1\"]\n";
  std::string format;  // '$' is special in a regex_replace format: "$$" is one
  for (char c : command) format += c == '$' ? std::string("$$") : std::string(1, c);
  const std::string config =
      std::regex_replace(Config(2), std::regex("      command: \\[[^\\n]*\\n"), format) +
      "logs: {kafka_brokers: \"" + brokers + "\", kafka_topic: shoal-logs-outage}\n";
  std::ofstream(config_) << config;
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return MarkTotal() > 0; }, 60s)) << Log();

  // The broker goes down while the instances print.
  ASSERT_TRUE(kafka.SetBrokerUp(false));
  const auto down_at = std::chrono::steady_clock::now();
  const int at_down = MarkTotal();
  std::this_thread::sleep_for(3s);
  StopDaemon(SIGKILL);
  StartDaemon();
  std::this_thread::sleep_for(3s);
  const int at_up = MarkTotal();
  ASSERT_TRUE(kafka.SetBrokerUp(true));
  const double outage = std::chrono::duration<double>(std::chrono::steady_clock::now() - down_at).count();
  // Nothing got through while the broker was away (lines a pass had
  // produced just before may have been indexed in the first moment).
  EXPECT_LT(at_up, 2 * kLines) << "the instances stopped printing before the outage; nothing was tested";

  const auto up_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil([&] { return MarkTotal() >= 2 * kLines; }, 120s)) << MarkTotal() << "\n" << Log();
  const double caught_up = std::chrono::duration<double>(std::chrono::steady_clock::now() - up_at).count();
  std::this_thread::sleep_for(3s);  // more passes: nothing more may come
  const std::map<std::string, std::pair<int, int>> counts = MarkCounts();
  ASSERT_EQ(counts.size(), 2u);
  for (const auto& [id, c] : counts) {
    EXPECT_EQ(c.first, kLines) << id;   // nothing lost, nothing twice
    EXPECT_EQ(c.second, kLines) << id;  // every line 1..N
  }
  std::printf("kafka outage: broker down %.1f s (daemon SIGKILLed and restarted in it); %d lines stored before, %d "
              "when the broker came back, all %d %.1f s later, each once\n",
              outage, at_down, at_up, 2 * kLines, caught_up);
  StopDaemon(SIGTERM);
}

}  // namespace
}  // namespace shoal::testing
