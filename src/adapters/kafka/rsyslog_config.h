// An rsyslog configuration (RainerScript, Debian's rsyslog + rsyslog-kafka)
// that ships what an instance's programs send to syslog into the Kafka topic
// the daemon's KafkaLogIndexer reads (docs/LOGS.md, "rsyslog"). Pure text
// generation: no I/O.
//
// Each message read from the instance's socket is labelled as Shoal labels
// its lines (RFC 5424, SD-ID shoal@32473: group, instance, pool, release,
// stream="syslog", source, offset) and handed to one omkafka action behind a
// disk-assisted queue that keeps messages through a broker outage and a
// restart of rsyslogd.
//
// Dedup key. A syslog message has no file offset, so the key is
//   source = "<instance>/syslog/<run>", offset = <n>
// where <run> is a random id drawn ($uuid) by the first message an rsyslogd
// process handles and <n> counts the messages of that process (mmsequence).
// Both are set on the message before it enters the action queue, so a
// message sent again (a librdkafka retry, a resubmit after a failed
// delivery, a queue replayed after a restart) carries the same key and is
// stored once. A new rsyslogd process never reuses a key.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace shoal {

struct RsyslogKafkaSpec {
  // Labels, as the daemon's collector sets them.
  std::string group;     // a group name: lowercase letters, digits, '-'
  std::string instance;  // an instance id (InstanceId's rule)
  std::string pool;      // "" or up to 128 of [A-Za-z0-9._:/@+-]
  std::string release;   // same; "" = none
  // Where the lines go (logs.kafka_brokers / logs.kafka_topic).
  std::string brokers;  // host:port[,host:port...]
  std::string topic = "shoal-logs";
  // The socket the instance's programs write to: "" = the host's system
  // socket (/dev/log, owned by the main rsyslog.conf; a drop-in only).
  std::string socket;
  // true: a whole rsyslogd configuration (loads imuxsock with no system
  // socket and sets the work directory); false: a drop-in for
  // /etc/rsyslog.d/ next to Debian's rsyslog.conf.
  bool standalone = false;
  std::string queue_dir = "/var/spool/rsyslog";  // the disk queue and failed-message file
  std::int64_t queue_max_disk = std::int64_t{1} << 30;  // bytes the disk queue may hold
};

// The configuration text, or InvalidArgument naming the bad value. Every
// value is checked against its rule and then escaped for RainerScript (and,
// for labels, for RFC 5424 structured data), so no value can add a
// statement.
Result<std::string> RsyslogKafkaConfig(const RsyslogKafkaSpec& spec);

// RainerScript's double-quoted string: '\' and '"' escaped. Callers pass
// only checked values; this is the second line of defence.
std::string RainerString(const std::string& value);

}  // namespace shoal
