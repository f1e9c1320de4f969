// The rsyslog + omkafka config generator (the text; tests/integration/
// rsyslog_kafka_test.cc runs it in real rsyslogd) and the indexer's reading
// of the lines such a config sends.
#include "adapters/kafka/rsyslog_config.h"

#include <gtest/gtest.h>

#include "adapters/kafka/kafka_logs.h"

namespace shoal {
namespace {

RsyslogKafkaSpec Spec() {
  RsyslogKafkaSpec s;
  s.group = "web";
  s.instance = "i-0123456789abcdef0";
  s.pool = "m5.large/us-east-1a";
  s.release = "7";
  s.brokers = "10.0.0.5:9092,kafka-2.internal:9093";
  s.topic = "logs-prod";
  return s;
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(RsyslogConfigTest, ADropInLabelsKeysAndQueuesWhatTheSystemSocketGets) {
  Result<std::string> c = RsyslogKafkaConfig(Spec());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // A drop-in: the main rsyslog.conf owns imuxsock and the work directory.
  EXPECT_FALSE(Has(*c, "module(load=\"imuxsock\""));
  EXPECT_FALSE(Has(*c, "global("));
  EXPECT_TRUE(Has(*c, "module(load=\"omkafka\")"));
  EXPECT_TRUE(Has(*c, "module(load=\"mmsequence\")"));
  EXPECT_TRUE(Has(*c, "if $inputname == \"imuxsock\" then call shoal-i-0123456789abcdef0\n"));
  // Labels in the structured data, escaped twice (RFC 5424 inside RainerScript).
  EXPECT_TRUE(Has(*c, R"(set $!shoal!sd = "[shoal@32473 group=\"web\" instance=\"i-0123456789abcdef0\" )"
                      R"(pool=\"m5.large/us-east-1a\" release=\"7\" stream=\"syslog\" source=\"" & $!shoal!source)"));
  // The key: source and offset, fixed before the queue.
  EXPECT_TRUE(Has(*c, "set $!shoal!source = \"i-0123456789abcdef0/syslog/\" & $/shoal_run;"));
  EXPECT_TRUE(Has(*c, "if $/shoal_run == \"\" then set $/shoal_run = $uuid;"));
  EXPECT_TRUE(Has(*c, "action(type=\"mmsequence\" mode=\"instance\" var=\"$!shoal!offset\")"));
  EXPECT_TRUE(Has(*c, "key=\"shoal-key-i-0123456789abcdef0\" dynaKey=\"on\""));
  // Where it goes, and how it survives an outage.
  EXPECT_TRUE(Has(*c, "broker=[\"10.0.0.5:9092\", \"kafka-2.internal:9093\"] topic=\"logs-prod\""));
  EXPECT_TRUE(Has(*c, "confParam=[\"acks=all\""));
  EXPECT_TRUE(Has(*c, "resubmitOnFailure=\"on\" keepFailedMessages=\"on\""));
  EXPECT_TRUE(Has(*c, "queue.type=\"LinkedList\""));
  EXPECT_TRUE(Has(*c, "queue.filename=\"shoal-kafka-i-0123456789abcdef0\""));
  EXPECT_TRUE(Has(*c, "queue.spoolDirectory=\"/var/spool/rsyslog\" queue.maxDiskSpace=\"1073741824\""));
  EXPECT_TRUE(Has(*c, "queue.saveOnShutdown=\"on\""));
  EXPECT_TRUE(Has(*c, "action.resumeRetryCount=\"-1\""));
  // The same spec, the same text.
  EXPECT_EQ(*RsyslogKafkaConfig(Spec()), *c);
}

TEST(RsyslogConfigTest, StandaloneHasItsOwnSocketAndWorkDirectory) {
  RsyslogKafkaSpec s = Spec();
  s.standalone = true;
  s.socket = "/run/shoal/i-1.sock";
  s.queue_dir = "/var/lib/shoal-rsyslog";
  s.release = "";
  Result<std::string> c = RsyslogKafkaConfig(s);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(Has(*c, "global(workDirectory=\"/var/lib/shoal-rsyslog\")"));
  EXPECT_TRUE(Has(*c, "module(load=\"imuxsock\" SysSock.Use=\"off\")"));
  EXPECT_TRUE(Has(*c, "input(type=\"imuxsock\" Socket=\"/run/shoal/i-1.sock\""));
  EXPECT_TRUE(Has(*c, "Ruleset=\"shoal-i-0123456789abcdef0\""));
  EXPECT_TRUE(Has(*c, R"(release=\"\" stream=\"syslog\")"));
  EXPECT_FALSE(Has(*c, "$inputname"));

  s.socket = "";
  Result<std::string> no_socket = RsyslogKafkaConfig(s);
  ASSERT_FALSE(no_socket.ok());
  EXPECT_TRUE(Has(no_socket.status().message(), "socket")) << no_socket.status().message();
}

TEST(RsyslogConfigTest, RefusesValuesThatCouldChangeTheConfig) {
  const auto refused = [](void (*change)(RsyslogKafkaSpec&), const std::string& names) {
    RsyslogKafkaSpec s = Spec();
    change(s);
    Result<std::string> c = RsyslogKafkaConfig(s);
    EXPECT_FALSE(c.ok()) << names;
    if (!c.ok()) {
      EXPECT_TRUE(Has(c.status().message(), names)) << c.status().message();
    }
  };
  refused([](RsyslogKafkaSpec& s) { s.group = "web\")\n*.* /tmp/x\n#"; }, "group");
  refused([](RsyslogKafkaSpec& s) { s.group = "Web"; }, "group");
  refused([](RsyslogKafkaSpec& s) { s.group = ""; }, "group");
  refused([](RsyslogKafkaSpec& s) { s.instance = "i-1\"] x=\"y"; }, "instance");
  refused([](RsyslogKafkaSpec& s) { s.pool = "a\"b"; }, "pool");
  refused([](RsyslogKafkaSpec& s) { s.pool = "a]b"; }, "pool");
  refused([](RsyslogKafkaSpec& s) { s.release = "3\\"; }, "release");
  refused([](RsyslogKafkaSpec& s) { s.release = "3 4"; }, "release");
  refused([](RsyslogKafkaSpec& s) { s.brokers = "a:1\"] x=[\"b:2"; }, "brokers");
  refused([](RsyslogKafkaSpec& s) { s.brokers = ""; }, "brokers");
  refused([](RsyslogKafkaSpec& s) { s.topic = "logs\""; }, "topic");
  refused([](RsyslogKafkaSpec& s) { s.socket = "relative.sock"; }, "socket");
  refused([](RsyslogKafkaSpec& s) { s.socket = "/run/x\".sock"; }, "socket");
  refused([](RsyslogKafkaSpec& s) { s.queue_dir = "/var/$spool"; }, "queue directory");
  refused([](RsyslogKafkaSpec& s) { s.queue_max_disk = 1000; }, "at least 1MiB");
}

TEST(RsyslogConfigTest, RainerStringsEscapeQuotesBackslashesAndNewlines) {
  EXPECT_EQ(RainerString("plain"), "\"plain\"");
  EXPECT_EQ(RainerString("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
}

// A line as rsyslogd 8.2302 renders the config's template (taken from the
// integration test's run).
constexpr const char* kRsyslogLine =
    "<13>1 2026-12-03T16:42:36.796416+00:00 i-0123456789abcdef0 web i-0123456789abcdef0 syslog "
    "[shoal@32473 group=\"web\" instance=\"i-0123456789abcdef0\" pool=\"m5.large/us-east-1a\" release=\"7\" "
    "stream=\"syslog\" source=\"i-0123456789abcdef0/syslog/2EA469FD0E0F481B851D29D09E39D259\" offset=\"41\"] "
    "myapp[812]: hello \"x\" ] there";

TEST(RsyslogConfigTest, TheIndexerReadsRsyslogsLinesWithTheirLabelsAndKey) {
  std::optional<LogRecord> r = LogRecordOfSyslog(kRsyslogLine);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->group, "web");
  EXPECT_EQ(r->instance, "i-0123456789abcdef0");
  EXPECT_EQ(r->pool, "m5.large/us-east-1a");
  EXPECT_EQ(r->release, "7");
  EXPECT_EQ(r->stream, "syslog");
  EXPECT_EQ(r->source, "i-0123456789abcdef0/syslog/2EA469FD0E0F481B851D29D09E39D259");
  EXPECT_EQ(r->offset, 41);
  EXPECT_EQ(r->text, "myapp[812]: hello \"x\" ] there");
  EXPECT_EQ(r->time_us, 1796316156796416);  // 2026-12-03T16:42:36.796416Z

  const auto with = [](const std::string& from, const std::string& to) {
    std::string line = kRsyslogLine;
    line.replace(line.find(from), from.size(), to);
    return line;
  };
  // A source outside the instance's own, or a bad offset: not ours.
  EXPECT_FALSE(LogRecordOfSyslog(with("source=\"i-0123456789abcdef0/", "source=\"i-other/")));
  EXPECT_FALSE(LogRecordOfSyslog(with("source=\"i-0123456789abcdef0/syslog/2EA469FD0E0F481B851D29D09E39D259\"",
                                      "source=\"i-0123456789abcdef0/\"")));
  EXPECT_FALSE(LogRecordOfSyslog(with("offset=\"41\"", "offset=\"41x\"")));
  EXPECT_FALSE(LogRecordOfSyslog(with("offset=\"41\"", "offset=\"-1\"")));
  EXPECT_FALSE(LogRecordOfSyslog(with("offset=\"41\"", "offset=\"\"")));
  EXPECT_FALSE(LogRecordOfSyslog(with(" group=\"web\"", "")));
}

}  // namespace
}  // namespace shoal
