// The Kafka log destination against a real Kafka protocol endpoint on
// loopback: librdkafka's mock cluster (`test.mock.num.brokers`), which
// speaks the wire protocol on 127.0.0.1 ports. collector -> producer ->
// topic -> indexer -> store, with a broker outage and an indexer that dies
// between its store write and its offset commit: nothing lost, nothing
// stored twice.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "adapters/kafka/kafka_logs.h"
#include "adapters/local/log_collector.h"
#include "adapters/sqlite/sqlite_log_store.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;

class KafkaLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shoal-kafka-logs-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(int from, int to) {
    std::ofstream out((dir_ / "stdout.log").string(), std::ios::app);
    for (int i = from; i < to; ++i) out << "request " << i << " done\n";
  }

  // Polls until the store holds `want` lines (or 60 s pass); the polls' totals.
  KafkaLogIndexer::Polled IndexUntil(KafkaLogIndexer& indexer, SqliteLogStore& store, std::int64_t want,
                                     bool commit = true) {
    KafkaLogIndexer::Polled total;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (*store.Count() < want && std::chrono::steady_clock::now() < end) {
      Result<KafkaLogIndexer::Polled> p = indexer.PollOnce(5000, 500, commit);
      EXPECT_TRUE(p.ok()) << p.status().message();
      if (!p.ok()) break;
      total.messages += p->messages;
      total.stored += p->stored;
      total.unreadable += p->unreadable;
    }
    return total;
  }

  fs::path dir_;
};

TEST_F(KafkaLogsTest, ABrokerOutageAndAnIndexerCrashLoseAndDoubleNothing) {
  Result<std::unique_ptr<SqliteLogStore>> store = SqliteLogStore::Open((dir_ / "logs.db").string());
  ASSERT_TRUE(store.ok()) << store.status().message();
  KafkaLogOptions o;
  o.topic = "shoal-logs-test";
  o.message_timeout_ms = 2000;
  o.extra = {{"test.mock.num.brokers", "1"}, {"reconnect.backoff.max.ms", "500"}};
  Result<std::unique_ptr<KafkaLogProducer>> producer = KafkaLogProducer::Open(o, store->get());
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  rd_kafka_mock_cluster_t* mock = rd_kafka_handle_mock_cluster((*producer)->handle());
  ASSERT_NE(mock, nullptr);
  ASSERT_EQ(rd_kafka_mock_topic_create(mock, o.topic.c_str(), 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  KafkaLogOptions c = o;
  c.brokers = rd_kafka_mock_cluster_bootstraps(mock);  // 127.0.0.1:PORT
  c.extra = {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};  // a dead member is dropped soon
  ASSERT_EQ(c.brokers.rfind("127.0.0.1:", 0), 0u) << c.brokers;

  LogCollectorOptions co;
  co.instances_dir = dir_.string();
  LogCollector collector(producer->get(), co);
  const LogLabels labels{"web", "i-00000000000000a1", "spot-a", "3"};
  const std::string file = (dir_ / "stdout.log").string();
  const std::string source = "i-00000000000000a1/stdout";

  // 1. 20,000 lines through the broker into the store.
  Write(0, 20000);
  Result<CollectStats> s = collector.CollectFile(file, "stdout", labels, false, 1000);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->read, 20000);
  {
    Result<std::unique_ptr<KafkaLogIndexer>> indexer = KafkaLogIndexer::Open(c, store->get());
    ASSERT_TRUE(indexer.ok()) << indexer.status().message();
    const KafkaLogIndexer::Polled p = IndexUntil(**indexer, **store, 20000);
    EXPECT_EQ(p.stored, 20000);
    EXPECT_EQ(p.unreadable, 0);
  }
  ASSERT_EQ(*(*store)->Count(), 20000);
  Result<LogPage> one = (*store)->Search({"web", 0, "request 12345 done", 0, 10});
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->lines.size(), 1u);
  EXPECT_EQ(one->lines[0].record.instance, "i-00000000000000a1");
  EXPECT_EQ(one->lines[0].record.pool, "spot-a");
  EXPECT_EQ(one->lines[0].record.release, "3");
  const std::int64_t cursor_before = (*(*store)->Cursor(source))->position;

  // 2. The broker goes down: the next lines are not acknowledged, the
  //    collector's pass fails and its cursor stays where it was.
  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  Write(20000, 30000);
  Result<CollectStats> down = collector.CollectFile(file, "stdout", labels, false, 2000);
  EXPECT_FALSE(down.ok());
  EXPECT_EQ((*(*store)->Cursor(source))->position, cursor_before);

  // 3. Back up: the next pass reads the same lines again and ships them.
  ASSERT_EQ(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  // (As the daemon's log thread does: a pass a second until one succeeds;
  // the producer reconnects within reconnect.backoff.max.ms.)
  Result<CollectStats> up = Status::Unavailable("no pass yet");
  for (int pass = 0; pass < 10 && !up.ok(); ++pass) {
    up = collector.CollectFile(file, "stdout", labels, false, 3000 + pass);
    if (!up.ok()) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  ASSERT_TRUE(up.ok()) << up.status().message();
  EXPECT_EQ(up->read, 10000);
  EXPECT_GT((*(*store)->Cursor(source))->position, cursor_before);

  // 4. An indexer stores them and dies before committing its offsets; the
  //    next one (same group) reads them again and stores nothing twice.
  {
    Result<std::unique_ptr<KafkaLogIndexer>> indexer = KafkaLogIndexer::Open(c, store->get());
    ASSERT_TRUE(indexer.ok()) << indexer.status().message();
    const KafkaLogIndexer::Polled p = IndexUntil(**indexer, **store, 30000, /*commit=*/false);
    EXPECT_GE(p.messages, 10000);
  }
  ASSERT_EQ(*(*store)->Count(), 30000);
  {
    Result<std::unique_ptr<KafkaLogIndexer>> indexer = KafkaLogIndexer::Open(c, store->get());
    ASSERT_TRUE(indexer.ok()) << indexer.status().message();
    KafkaLogIndexer::Polled again;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (again.messages < 10000 && std::chrono::steady_clock::now() < end) {
      Result<KafkaLogIndexer::Polled> p = (*indexer)->PollOnce(5000, 500);
      ASSERT_TRUE(p.ok()) << p.status().message();
      again.messages += p->messages;
      again.stored += p->stored;
    }
    EXPECT_GE(again.messages, 10000);  // re-read: the offsets were never committed
    EXPECT_EQ(again.stored, 0);        // and stored once
  }
  EXPECT_EQ(*(*store)->Count(), 30000);
  // Every line 0..29999 is there exactly once (the key is UNIQUE, so the
  // count and each line's presence say it).
  for (int i : {0, 19999, 20000, 25000, 29999}) {
    Result<LogPage> p = (*store)->Search({"", 0, "request " + std::to_string(i) + " done", 0, 10});
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->lines.size(), 1u) << i;
  }
}

TEST(KafkaLogRecord, TheSyslogFormReadsBackToTheSameRecord) {
  LogRecord r;
  r.time_us = 1764755000123456;
  r.group = "web";
  r.instance = "i-1";
  r.pool = "m4.large/us-east-1a";
  r.release = "7";
  r.stream = "stderr";
  r.source = "i-1/stderr";
  r.offset = 4242;
  r.text = "a \"quoted\" ] line \\ here";
  std::optional<LogRecord> back = LogRecordOfSyslog(FormatSyslog(SyslogOf(r)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->time_us, r.time_us);
  EXPECT_EQ(back->group, r.group);
  EXPECT_EQ(back->instance, r.instance);
  EXPECT_EQ(back->pool, r.pool);
  EXPECT_EQ(back->release, r.release);
  EXPECT_EQ(back->stream, r.stream);
  EXPECT_EQ(back->source, r.source);
  EXPECT_EQ(back->offset, r.offset);
  EXPECT_EQ(back->text, r.text);
  EXPECT_FALSE(LogRecordOfSyslog("not syslog"));
}

}  // namespace
}  // namespace shoal
