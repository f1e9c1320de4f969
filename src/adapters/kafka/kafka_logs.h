// The Kafka destination of the central logs (issue 11 §1), through
// librdkafka:
//
//   collector -> KafkaLogProducer -> topic -> KafkaLogIndexer -> LogStore
//
// The producer is a LogStore for the collector: Append sends each line
// (key "<source>@<offset>", the dedup key; value its RFC 5424 form) and
// waits for every delivery report; only when all lines were acknowledged
// (acks=all) does it commit the collector's cursors to the local store. A
// line that never reached the broker (an outage longer than
// `message_timeout_ms`) fails the Append, the cursor stays, and the
// collector reads the line again on its next pass.
//
// The indexer consumes the topic (no auto commit), stores what it read in
// one Append, and commits the consumer offsets only after that store write
// succeeded. An indexer that dies between the two reads the messages again;
// the store's (source, offset) key stores them once.
//
// So: at least once from file to store, each line once in the store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ports/log_store.h"

typedef struct rd_kafka_s rd_kafka_t;

namespace shoal {

struct KafkaLogOptions {
  std::string brokers;                       // bootstrap.servers
  std::string topic = "shoal-logs";
  std::string group_id = "shoal-log-indexer";  // the indexer's consumer group
  int message_timeout_ms = 30000;            // a line not acknowledged by then fails its Append
  std::map<std::string, std::string> extra;  // more librdkafka properties
};

class KafkaLogProducer final : public LogStore {
 public:
  // `local` keeps the collector's cursors and answers searches (the
  // indexer fills it); it must outlive the producer.
  static Result<std::unique_ptr<KafkaLogProducer>> Open(const KafkaLogOptions& options, LogStore* local);
  ~KafkaLogProducer() override;
  KafkaLogProducer(const KafkaLogProducer&) = delete;
  KafkaLogProducer& operator=(const KafkaLogProducer&) = delete;

  // Returns how many lines were acknowledged.
  Result<std::int64_t> Append(const std::vector<LogRecord>& lines, const std::vector<LogCursor>& cursors) override;
  Result<std::optional<LogCursor>> Cursor(const std::string& source) override { return local_->Cursor(source); }
  Result<LogPage> Search(const LogQuery& query) override { return local_->Search(query); }
  Result<std::int64_t> Prune(const LogRetention& r, std::int64_t now_us) override { return local_->Prune(r, now_us); }

  rd_kafka_t* handle() { return rk_; }

 private:
  KafkaLogProducer(KafkaLogOptions options, LogStore* local, rd_kafka_t* rk)
      : options_(std::move(options)), local_(local), rk_(rk) {}
  KafkaLogOptions options_;
  LogStore* local_;
  rd_kafka_t* rk_;
};

class KafkaLogIndexer {
 public:
  static Result<std::unique_ptr<KafkaLogIndexer>> Open(const KafkaLogOptions& options, LogStore* store);
  ~KafkaLogIndexer();
  KafkaLogIndexer(const KafkaLogIndexer&) = delete;
  KafkaLogIndexer& operator=(const KafkaLogIndexer&) = delete;

  struct Polled {
    std::int64_t messages = 0;  // read from the topic
    std::int64_t stored = 0;    // new to the store
    std::int64_t unreadable = 0;  // not an RFC 5424 line of ours (skipped, committed)
  };
  // Reads up to `max_messages` (waiting at most `timeout_ms` for the
  // first), stores them, then commits their offsets. `commit` false: a
  // test's indexer that dies between the store write and the commit.
  Result<Polled> PollOnce(int max_messages, int timeout_ms, bool commit = true);

 private:
  KafkaLogIndexer(LogStore* store, rd_kafka_t* rk) : store_(store), rk_(rk) {}
  LogStore* store_;
  rd_kafka_t* rk_;
};

// The record a Kafka message of ours holds (the inverse of the producer).
// The source is "<instance>/<stream>" unless the structured data names one
// (rsyslog's lines: "<instance>/syslog/<run>"), which must lie under the
// instance's. nullopt: not a line of ours (a label missing, a bad offset).
std::optional<LogRecord> LogRecordOfSyslog(const std::string& line);

}  // namespace shoal
