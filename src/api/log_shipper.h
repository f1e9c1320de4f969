// The daemon's log shipping: the embedded log store (DATA/logs.db) and a
// thread that runs the collector every second (and, with Kafka, the
// indexer) and the retention every minute. Owned by the daemon; nothing else starts threads for logs.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "adapters/config/config.h"
#include "adapters/kafka/kafka_logs.h"
#include "adapters/local/log_collector.h"
#include "adapters/sqlite/sqlite_log_store.h"
#include "ports/log.h"

namespace shoal {

class LogShipper {
 public:
  // `retention` is asked before each prune, so an apply changes it live.
  // With `spec.kafka_brokers`, the collector ships through Kafka and this
  // thread also runs the indexer (topic -> store); read here, at start.
  static Result<std::unique_ptr<LogShipper>> Open(const std::string& data_dir, Logger* log,
                                                  std::function<LogRetention()> retention, const LogsSpec& spec = {});
  ~LogShipper();
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;

  void Start();
  void Stop();  // joins the thread; idempotent
  LogStore* store() { return store_.get(); }

 private:
  LogShipper() = default;
  void Loop();

  std::unique_ptr<SqliteLogStore> store_;
  std::unique_ptr<KafkaLogProducer> producer_;  // with Kafka: what the collector writes to
  std::unique_ptr<KafkaLogIndexer> indexer_;    // with Kafka: topic -> store_
  std::unique_ptr<LogCollector> collector_;
  Logger* log_ = nullptr;
  std::function<LogRetention()> retention_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// Microseconds since the epoch, from the system clock.
std::int64_t NowMicros();

}  // namespace shoal
