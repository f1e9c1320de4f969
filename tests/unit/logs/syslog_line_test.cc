#include "core/syslog_line.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(SyslogLineTest, FormatsAGoldenLine) {
  SyslogMessage m;
  m.facility = 16;
  m.severity = 6;
  m.time_us = 1796290125123456;  // 2026-12-03T09:28:45.123456Z
  m.hostname = "00000000000000a3";
  m.app_name = "web";
  m.proc_id = "00000000000000a3";
  m.msg_id = "stdout";
  m.structured_data.push_back({"shoal@32473", {{"group", "web"}, {"release", "3"}, {"offset", "1024"}}});
  m.msg = "GET / 200";
  EXPECT_EQ(FormatSyslog(m),
            "<134>1 2026-12-03T09:28:45.123456Z 00000000000000a3 web 00000000000000a3 stdout "
            "[shoal@32473 group=\"web\" release=\"3\" offset=\"1024\"] GET / 200");
}

TEST(SyslogLineTest, EscapesQuoteBackslashAndBracketInParamValues) {
  EXPECT_EQ(EscapeSdValue(R"(a"b\c]d[e)"), R"(a\"b\\c\]d[e)");
  SyslogMessage m;
  m.time_us = 0;
  m.structured_data.push_back({"x@1", {{"v", R"(say "hi" \ ])"}}});
  const std::string line = FormatSyslog(m);
  EXPECT_EQ(line, R"(<134>1 1970-01-01T00:00:00.000000Z - - - - [x@1 v="say \"hi\" \\ \]"])");
  std::string error;
  const std::optional<SyslogMessage> back = ParseSyslog(line, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->Param("x@1", "v"), std::optional<std::string>(R"(say "hi" \ ])"));
  EXPECT_TRUE(back->msg.empty());
}

TEST(SyslogLineTest, RoundTripsEveryField) {
  SyslogMessage m;
  m.facility = 16;
  m.severity = 3;
  m.time_us = 1796290125000001;
  m.hostname = "h";
  m.app_name = "api";
  m.proc_id = "42";
  m.msg_id = "stderr";
  m.structured_data.push_back({"shoal@32473", {{"pool", "spot-a"}, {"stream", "stderr"}}});
  m.structured_data.push_back({"meta@1", {}});
  m.msg = "panic: [boom] \"quoted\" \\ and ] unescaped in MSG";
  const std::optional<SyslogMessage> back = ParseSyslog(FormatSyslog(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->facility, 16);
  EXPECT_EQ(back->severity, 3);
  EXPECT_EQ(back->time_us, m.time_us);
  EXPECT_EQ(back->hostname, "h");
  EXPECT_EQ(back->app_name, "api");
  EXPECT_EQ(back->proc_id, "42");
  EXPECT_EQ(back->msg_id, "stderr");
  ASSERT_EQ(back->structured_data.size(), 2u);
  EXPECT_EQ(back->Param("shoal@32473", "pool"), std::optional<std::string>("spot-a"));
  EXPECT_EQ(back->structured_data[1].id, "meta@1");
  EXPECT_EQ(back->msg, m.msg);
}

TEST(SyslogLineTest, HeaderFieldsAreMadeValid) {
  SyslogMessage m;
  m.app_name = "has space and é";
  m.msg_id = std::string(40, 'm');
  const std::optional<SyslogMessage> back = ParseSyslog(FormatSyslog(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->app_name.find(' '), std::string::npos);
  EXPECT_EQ(back->msg_id.size(), 32u);
}

TEST(SyslogLineTest, ParsesRfcExamples) {
  // RFC 5424 §6.5 example 3 (without the BOM) and example 2's header.
  const std::optional<SyslogMessage> a = ParseSyslog(
      R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...)");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->facility, 20);
  EXPECT_EQ(a->severity, 5);
  EXPECT_EQ(a->proc_id, "");
  EXPECT_EQ(a->Param("exampleSDID@32473", "eventID"), std::optional<std::string>("1011"));
  EXPECT_EQ(a->msg, "An application event log entry...");
  const std::optional<SyslogMessage> b =
      ParseSyslog("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->time_us, *ParseRfc3339Micros("2003-08-24T12:14:15.000003Z"));
  EXPECT_TRUE(b->structured_data.empty());
}

TEST(SyslogLineTest, RefusesMalformedLines) {
  for (const char* bad : {"", "134>1 - - - - - -", "<134>2 - - - - - -", "<999>1 - - - - - -",
                          "<134>1 yesterday - - - - -", "<134>1 - - - - [x@1 v=\"open] msg",
                          "<134>1 - - - - [x@1 v=\"a]b\"]", "<134>1 - - - -", "<134>1 - - - - [x@1"}) {
    std::string error;
    EXPECT_FALSE(ParseSyslog(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(SyslogLineTest, TimesRoundTrip) {
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{951782400000000} /* 2000-02-29 */, std::int64_t{1796290125123456}}) {
    EXPECT_EQ(ParseRfc3339Micros(FormatRfc3339Micros(t)), std::optional<std::int64_t>(t));
  }
  EXPECT_EQ(FormatRfc3339Micros(951782400000000), "2000-02-29T00:00:00.000000Z");
  EXPECT_FALSE(ParseRfc3339Micros("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339Micros("2026-12-01T00:00:00"));
}

}  // namespace
}  // namespace shoal
