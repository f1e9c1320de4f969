#include "api/log_shipper.h"

#include <chrono>

namespace shoal {
namespace {

constexpr auto kCollectPeriod = std::chrono::seconds(1);
constexpr int kPrunePasses = 60;  // prune every this many collect passes

}  // namespace

std::int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::unique_ptr<LogShipper>> LogShipper::Open(const std::string& data_dir, Logger* log,
                                                     std::function<LogRetention()> retention, const LogsSpec& spec) {
  Result<std::unique_ptr<SqliteLogStore>> store = SqliteLogStore::Open(data_dir + "/logs.db");
  if (!store.ok()) return store.status();
  std::unique_ptr<LogShipper> s(new LogShipper());
  s->store_ = std::move(*store);
  LogStore* collect_into = s->store_.get();
  if (!spec.kafka_brokers.empty()) {
    KafkaLogOptions k;
    k.brokers = spec.kafka_brokers;
    k.topic = spec.kafka_topic;
    // A pass waits for its delivery reports: short enough that the thread
    // stays responsive in an outage (the lines are read again next pass).
    k.message_timeout_ms = 10000;
    Result<std::unique_ptr<KafkaLogProducer>> producer = KafkaLogProducer::Open(k, s->store_.get());
    if (!producer.ok()) return producer.status();
    s->producer_ = std::move(*producer);
    Result<std::unique_ptr<KafkaLogIndexer>> indexer = KafkaLogIndexer::Open(k, s->store_.get());
    if (!indexer.ok()) return indexer.status();
    s->indexer_ = std::move(*indexer);
    collect_into = s->producer_.get();
  }
  LogCollectorOptions options;
  options.instances_dir = data_dir + "/instances";
  s->collector_ = std::make_unique<LogCollector>(collect_into, options);
  s->log_ = log;
  s->retention_ = std::move(retention);
  return s;
}

LogShipper::~LogShipper() { Stop(); }

void LogShipper::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void LogShipper::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogShipper::Loop() {
  int pass = 0;
  bool failing = false;
  bool indexing_failing = false;
  for (;;) {
    Result<CollectStats> done = collector_->Pass(NowMicros());
    // Logged once per outage, not once a second.
    if (!done.ok() && !failing) LogWarn(log_, "logs_not_collected").With("error", done.status().message());
    if (done.ok() && failing) LogInfo(log_, "logs_collected_again");
    failing = !done.ok();
    if (done.ok() && done->stored == 0) {
      // Idle: the trigram index catches up now (it otherwise follows in
      // batches of SqliteLogStore::kIndexBatch lines).
      Result<std::int64_t> indexed = store_->IndexPending(SqliteLogStore::kIndexBatch);
      if (!indexed.ok()) LogWarn(log_, "logs_not_indexed").With("error", indexed.status().message());
    }
    if (indexer_ != nullptr) {
      // While the topic has more: fetches arrive a batch at a time, so each
      // poll waits a little for the next (at most ~10 s per pass).
      for (int poll = 0; poll < 50; ++poll) {
        Result<KafkaLogIndexer::Polled> got = indexer_->PollOnce(5000, 200);
        if (!got.ok() && !indexing_failing) LogWarn(log_, "logs_not_indexed").With("error", got.status().message());
        if (got.ok() && indexing_failing) LogInfo(log_, "logs_indexed_again");
        indexing_failing = !got.ok();
        if (!got.ok() || got->messages == 0) break;
      }
    }
    if (pass++ % kPrunePasses == 0) {
      Result<std::int64_t> pruned = store_->Prune(retention_(), NowMicros());
      if (!pruned.ok()) {
        LogWarn(log_, "logs_not_pruned").With("error", pruned.status().message());
      } else if (*pruned > 0) {
        LogInfo(log_, "logs_pruned").With("lines", *pruned);
      }
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_for(lock, kCollectPeriod, [this] { return stopping_; })) return;
  }
}

}  // namespace shoal
