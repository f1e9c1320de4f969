#include "adapters/kafka/kafka_logs.h"

#include <librdkafka/rdkafka.h>

#include <charconv>
#include <chrono>

#include "adapters/local/log_collector.h"
#include "core/syslog_line.h"

namespace shoal {
namespace {

// One Append's delivery reports (the message opaque points here).
struct Deliveries {
  std::int64_t ok = 0;
  std::int64_t failed = 0;
  std::string first_error;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Deliveries*>(m->_private);
  if (d == nullptr) return;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++d->ok;
  } else {
    if (d->failed++ == 0) d->first_error = rd_kafka_err2str(m->err);
  }
}

Result<rd_kafka_conf_t*> Conf(const KafkaLogOptions& o, const std::map<std::string, std::string>& own) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  std::map<std::string, std::string> all = own;
  if (!o.brokers.empty()) all["bootstrap.servers"] = o.brokers;
  for (const auto& [k, v] : o.extra) all[k] = v;
  for (const auto& [k, v] : all) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument("kafka: " + k + "=" + v + ": " + err);
    }
  }
  return conf;
}

}  // namespace

std::optional<LogRecord> LogRecordOfSyslog(const std::string& line) {
  std::optional<SyslogMessage> m = ParseSyslog(line);
  if (!m) return std::nullopt;
  const auto get = [&](std::string_view name) { return m->Param(kShoalSdId, name); };
  std::optional<std::string> group = get("group"), instance = get("instance"), pool = get("pool"),
                             release = get("release"), stream = get("stream"), offset = get("offset");
  if (!group || !instance || !pool || !release || !stream || !offset) return std::nullopt;
  LogRecord r;
  const char* end = offset->data() + offset->size();
  const auto [stop, err] = std::from_chars(offset->data(), end, r.offset);
  if (offset->empty() || err != std::errc() || stop != end || r.offset < 0 || instance->empty()) return std::nullopt;
  r.time_us = m->time_us;
  r.group = *group;
  r.instance = *instance;
  r.pool = *pool;
  r.release = *release;
  r.stream = *stream;
  r.source = r.instance + "/" + r.stream;
  // rsyslog's lines (rsyslog_config.h) name their source: "<instance>/syslog/<run>".
  if (std::optional<std::string> source = get("source")) {
    if (source->size() <= r.instance.size() + 1 || source->compare(0, r.instance.size() + 1, r.instance + "/") != 0) {
      return std::nullopt;  // a source outside its own instance's
    }
    r.source = *source;
  }
  r.text = m->msg;
  return r;
}

Result<std::unique_ptr<KafkaLogProducer>> KafkaLogProducer::Open(const KafkaLogOptions& options, LogStore* local) {
  Result<rd_kafka_conf_t*> conf = Conf(options, {{"acks", "all"},
                                                 {"message.timeout.ms", std::to_string(options.message_timeout_ms)},
                                                 {"linger.ms", "5"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(*conf, OnDelivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return Status::InvalidArgument(std::string("kafka producer: ") + err);
  }
  return std::unique_ptr<KafkaLogProducer>(new KafkaLogProducer(options, local, rk));
}

KafkaLogProducer::~KafkaLogProducer() {
  rd_kafka_flush(rk_, 5000);
  rd_kafka_destroy(rk_);
}

Result<std::int64_t> KafkaLogProducer::Append(const std::vector<LogRecord>& lines, const std::vector<LogCursor>& cursors) {
  Deliveries d;
  for (const LogRecord& r : lines) {
    const std::string key = r.source + "@" + std::to_string(r.offset);
    const std::string value = FormatSyslog(SyslogOf(r));
    for (;;) {
      const rd_kafka_resp_err_t e = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        ++d.failed;
        if (d.first_error.empty()) d.first_error = rd_kafka_err2str(e);
        break;
      }
      rd_kafka_poll(rk_, 50);  // the local queue is full: let reports drain it
    }
    if (d.failed > 0) break;
  }
  // Every message sent gets a report by message.timeout.ms; wait a little
  // longer, then purge what is left so no report can outlive `d`.
  rd_kafka_flush(rk_, options_.message_timeout_ms + 5000);
  if (rd_kafka_outq_len(rk_) > 0) {
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    while (rd_kafka_outq_len(rk_) > 0) rd_kafka_poll(rk_, 100);
  }
  if (d.failed > 0 || d.ok != static_cast<std::int64_t>(lines.size())) {
    return Status::Unavailable("kafka: " + std::to_string(static_cast<std::int64_t>(lines.size()) - d.ok) + " of " +
                               std::to_string(lines.size()) + " log lines not delivered to " + options_.topic + ": " +
                               (d.first_error.empty() ? "no delivery report" : d.first_error));
  }
  // Every line is on the broker: now the collector may move on.
  if (!cursors.empty()) {
    Result<std::int64_t> moved = local_->Append({}, cursors);
    if (!moved.ok()) return moved.status();
  }
  return d.ok;
}

Result<std::unique_ptr<KafkaLogIndexer>> KafkaLogIndexer::Open(const KafkaLogOptions& options, LogStore* store) {
  // A crashed indexer's member holds the partitions until its session
  // times out (librdkafka's default: 45 s), so its restarted successor
  // waits that long: 10 s (brokers allow 6 s at least by default).
  Result<rd_kafka_conf_t*> conf = Conf(options, {{"group.id", options.group_id},
                                                 {"enable.auto.commit", "false"},
                                                 {"auto.offset.reset", "earliest"},
                                                 {"session.timeout.ms", "10000"},
                                                 {"heartbeat.interval.ms", "1000"}});
  if (!conf.ok()) return conf.status();
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return Status::InvalidArgument(std::string("kafka consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(rk);
    return Status::Unavailable(std::string("kafka subscribe ") + options.topic + ": " + rd_kafka_err2str(e));
  }
  return std::unique_ptr<KafkaLogIndexer>(new KafkaLogIndexer(store, rk));
}

KafkaLogIndexer::~KafkaLogIndexer() {
  rd_kafka_consumer_close(rk_);  // leaves the group; commits nothing (no auto commit)
  rd_kafka_destroy(rk_);
}

Result<KafkaLogIndexer::Polled> KafkaLogIndexer::PollOnce(int max_messages, int timeout_ms, bool commit) {
  Polled p;
  std::vector<LogRecord> lines;
  int wait = timeout_ms;
  while (p.messages < max_messages) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, wait);
    if (m == nullptr) break;
    wait = 0;  // after the first message, take only what is here already
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++p.messages;
      std::optional<LogRecord> r =
          LogRecordOfSyslog(std::string(static_cast<const char*>(m->payload), m->len));
      if (r) {
        lines.push_back(std::move(*r));
      } else {
        ++p.unreadable;
      }
    }
    rd_kafka_message_destroy(m);
  }
  if (p.messages == 0) return p;
  // The store first, then the offsets: a crash in between re-reads, never skips.
  Result<std::int64_t> stored = store_->Append(lines, {});
  if (!stored.ok()) return stored.status();
  p.stored = *stored;
  if (commit) {
    const rd_kafka_resp_err_t e = rd_kafka_commit(rk_, nullptr, 0);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(std::string("kafka commit: ") + rd_kafka_err2str(e) + " (the lines are stored; they will be read again)");
    }
  }
  return p;
}

}  // namespace shoal
