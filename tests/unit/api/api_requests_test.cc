// Every API request body and query string: what is accepted, and that each
// wrong type, out-of-range integer, unknown or repeated field is refused with
// a message naming the field.
#include "api/api_requests.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal {
namespace {

// The parse fails and its message holds every one of `words`.
template <typename T>
void ExpectRefused(const Result<T>& r, const std::vector<std::string>& words, const std::string& input) {
  ASSERT_FALSE(r.ok()) << input;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << input;
  for (const std::string& w : words) EXPECT_NE(r.status().message().find(w), std::string::npos) << input << ": " << r.status().message();
}

TEST(ParseScaleRequest, AcceptsAnIntegerInRange) {
  for (const auto& [body, want] : std::vector<std::pair<std::string, int>>{
           {R"({"desired": 3})", 3}, {R"({"desired": 0})", 0}, {R"({"desired": 2147483647})", 2147483647},
           {R"( {"desired":5} )", 5}}) {
    Result<ScaleRequest> r = ParseScaleRequest(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.status().message();
    EXPECT_EQ(r->desired, want) << body;
  }
}

TEST(ParseScaleRequest, RefusesOutOfRangeInsteadOfTruncating) {
  // 4294967299 used to set 3: the low 32 bits.
  for (const std::string n : {"4294967299", "2147483648", "-1", "-9223372036854775808", "18446744073709551615",
                              "18446744073709551616", "1e3", "3.0", "3.5"}) {
    ExpectRefused(ParseScaleRequest(R"({"desired": )" + n + "}"), {"\"desired\"", "0 to 2147483647"}, n);
  }
}

TEST(ParseScaleRequest, RefusesWrongTypesNamingTheField) {
  ExpectRefused(ParseScaleRequest(R"({"desired": "3"})"), {"\"desired\"", "a string", "\"3\""}, "string");
  ExpectRefused(ParseScaleRequest(R"({"desired": null})"), {"\"desired\"", "null"}, "null");
  ExpectRefused(ParseScaleRequest(R"({"desired": true})"), {"\"desired\"", "a boolean"}, "bool");
  ExpectRefused(ParseScaleRequest(R"({"desired": [3]})"), {"\"desired\"", "an array"}, "array");
  ExpectRefused(ParseScaleRequest(R"({"desired": {"n": 3}})"), {"\"desired\"", "an object"}, "object");
  ExpectRefused(ParseScaleRequest(R"({})"), {"needs \"desired\""}, "missing");
  ExpectRefused(ParseScaleRequest(R"({"desired": 3, "force": true})"), {"unknown field \"force\"", "\"desired\""},
                "unknown field");
}

TEST(ParseScaleRequest, RefusesBodiesThatAreNotAnObject) {
  for (const std::string body : {"", "not json", "3", "[1]", "\"x\"", "{\"desired\": 3", "{\"desired\": 3}}",
                                 "{\"desired\": \"\xff\"}"}) {
    ExpectRefused(ParseScaleRequest(body), {"body"}, body);
  }
}

TEST(ParseInterruptRequest, ExactlyOneOfInstanceOrPool) {
  Result<InterruptRequest> one = ParseInterruptRequest(R"({"instance": "i-000000000000002a"})");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->instance, "i-000000000000002a");
  EXPECT_EQ(one->pool, "");
  Result<InterruptRequest> pool = ParseInterruptRequest(R"({"pool": "m4.large/us-east-1a"})");
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ(pool->pool, "m4.large/us-east-1a");
  ExpectRefused(ParseInterruptRequest(R"({"instance": "i-1", "pool": "a/b"})"), {"one of"}, "both");
  ExpectRefused(ParseInterruptRequest(R"({})"), {"one of"}, "neither");
  ExpectRefused(ParseInterruptRequest(R"({"instance": ["i-1"]})"), {"\"instance\"", "a string", "an array"}, "array");
  ExpectRefused(ParseInterruptRequest(R"({"pool": ""})"), {"\"pool\"", "empty"}, "empty");
  ExpectRefused(ParseInterruptRequest(R"({"pool": ")" + std::string(300, 'p') + "\"}"), {"\"pool\"", "at most 256"},
                "long");
}

TEST(ParseShortageRequest, PoolAndWholeSecondsInRange) {
  Result<ShortageRequest> r = ParseShortageRequest(R"({"pool": "c5.large/us-east-1b", "seconds": 600})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->pool, "c5.large/us-east-1b");
  EXPECT_EQ(r->seconds, 600);
  ExpectRefused(ParseShortageRequest(R"({"pool": "a/b", "seconds": 1.5})"), {"\"seconds\"", "fraction"}, "1.5");
  ExpectRefused(ParseShortageRequest(R"({"pool": "a/b", "seconds": 0})"), {"\"seconds\"", "1 to 604800"}, "0");
  ExpectRefused(ParseShortageRequest(R"({"pool": "a/b", "seconds": 604801})"), {"\"seconds\""}, "above a week");
  ExpectRefused(ParseShortageRequest(R"({"pool": "a/b", "seconds": 9223372036854775808})"), {"\"seconds\""},
                "above int64");
  ExpectRefused(ParseShortageRequest(R"({"pool": 5, "seconds": 60})"), {"\"pool\"", "an integer"}, "pool number");
  ExpectRefused(ParseShortageRequest(R"({"seconds": 60})"), {"needs \"pool\""}, "no pool");
  ExpectRefused(ParseShortageRequest(R"({"pool": "a/b"})"), {"needs \"seconds\""}, "no seconds");
}

TEST(ParseConfigRequest, ConfigAndOptionalSource) {
  Result<ConfigRequest> r = ParseConfigRequest(R"({"config": "groups: []\n", "source": "next.yaml"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config, "groups: []\n");
  EXPECT_EQ(r->source, "next.yaml");
  Result<ConfigRequest> unnamed = ParseConfigRequest(R"({"config": "groups: []\n"})");
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->source, "request");
  // A numeric source used to throw inside the handler: a 500.
  ExpectRefused(ParseConfigRequest(R"({"config": "x", "source": 5})"), {"\"source\"", "a string", "an integer"},
                "source number");
  ExpectRefused(ParseConfigRequest(R"({"config": 5})"), {"\"config\""}, "config number");
  ExpectRefused(ParseConfigRequest(R"({"source": "a.yaml"})"), {"needs \"config\""}, "no config");
}

TEST(ParseAgentEventRequest, InstanceEventAndOptionalTime) {
  Result<AgentEventRequest> r =
      ParseAgentEventRequest(R"({"instance": "i-1", "event": "spot-interruption", "time": "2026-01-01T00:00:00Z"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->instance, "i-1");
  EXPECT_EQ(r->event, "spot-interruption");
  EXPECT_EQ(r->time, "2026-01-01T00:00:00Z");
  EXPECT_TRUE(ParseAgentEventRequest(R"({"instance": "i-1", "event": "rebalance-recommendation"})").ok());
  ExpectRefused(ParseAgentEventRequest(R"({"instance": 5, "event": "x"})"), {"\"instance\""}, "instance number");
  ExpectRefused(ParseAgentEventRequest(R"({"instance": "i-1", "event": "x", "time": 7})"), {"\"time\""}, "time number");
  ExpectRefused(ParseAgentEventRequest(R"({"instance": "i-1"})"), {"needs \"event\""}, "no event");
}

TEST(AgentEventKind, EachAgentEventIsAnInstanceFact) {
  Result<InstanceEvent> notice = AgentEventKind("spot-interruption");
  ASSERT_TRUE(notice.ok());
  EXPECT_EQ(*notice, InstanceEvent::kNotice);
  Result<InstanceEvent> recommendation = AgentEventKind("rebalance-recommendation");
  ASSERT_TRUE(recommendation.ok()) << "delivered to the group, no longer dropped";
  EXPECT_EQ(*recommendation, InstanceEvent::kRebalanceRecommended);
  Result<InstanceEvent> provisioned = AgentEventKind("provisioned");
  ASSERT_TRUE(provisioned.ok()) << "a warm-pool instance's agent says its service answers";
  EXPECT_EQ(*provisioned, InstanceEvent::kProvisioned);
  Result<InstanceEvent> other = AgentEventKind("reboot");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("'reboot'"), std::string::npos);
}

TEST(ParseActivitiesQuery, DefaultsToTheNewestHundred) {
  Result<ActivitiesQuery> q = ParseActivitiesQuery({});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->group, "");
  EXPECT_FALSE(q->after || q->before || q->since);
  EXPECT_EQ(q->limit, 100);
}

TEST(ParseActivitiesQuery, ReadsEveryParameter) {
  Result<ActivitiesQuery> back =
      ParseActivitiesQuery({{"group", "web"}, {"before", "40"}, {"since", "1700000000"}, {"limit", "10000"}});
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->group, "web");
  EXPECT_EQ(back->before, 40);
  EXPECT_EQ(back->since, 1700000000);
  EXPECT_EQ(back->limit, 10000);
  Result<ActivitiesQuery> follow = ParseActivitiesQuery({{"after", "0"}, {"limit", "1"}});
  ASSERT_TRUE(follow.ok());
  EXPECT_EQ(follow->after, 0);
}

TEST(ParseActivitiesQuery, RefusesWhatIsNotAWholeNumberInRange) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"limit", "0"}, {"limit", "10001"}, {"limit", "abc"}, {"limit", "99999999999999999999"}, {"limit", ""},
           {"after", "-1"}, {"after", "12abc"}, {"after", " 12"}, {"after", "+3"}, {"before", "0"}, {"since", "-5"},
           {"since", "1.5"}}) {
    ExpectRefused(ParseActivitiesQuery({{name, value}}), {name}, name + "=" + value);
  }
}

TEST(ParseActivitiesQuery, RefusesUnknownRepeatedAndContradictoryParameters) {
  ExpectRefused(ParseActivitiesQuery({{"grop", "web"}}), {"unknown query parameter 'grop'", "group"}, "typo");
  ExpectRefused(ParseActivitiesQuery({{"limit", "5"}, {"limit", "6"}}), {"'limit'", "more than once"}, "repeated");
  ExpectRefused(ParseActivitiesQuery({{"after", "5"}, {"before", "9"}}), {"after", "before"}, "after and before");
  ExpectRefused(ParseActivitiesQuery({{"after", "5"}, {"since", "9"}}), {"after", "since"}, "after and since");
  ExpectRefused(ParseActivitiesQuery({{"group", ""}}), {"group"}, "empty group");
}

TEST(ParseInstancesQuery, GroupOnly) {
  Result<InstancesQuery> q = ParseInstancesQuery({{"group", "web"}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->group, "web");
  EXPECT_TRUE(ParseInstancesQuery({}).ok());
  ExpectRefused(ParseInstancesQuery({{"state", "x"}}), {"'state'"}, "unknown");
}

TEST(BearerToken, TheSchemeIsCaseInsensitive) {
  for (const std::string header : {"Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc", "Bearer   abc", "Bearer abc "}) {
    const std::optional<std::string_view> token = BearerToken(header);
    ASSERT_TRUE(token.has_value()) << header;
    EXPECT_EQ(*token, "abc") << header;
  }
}

TEST(BearerToken, RefusesOtherSchemesAndEmptyTokens) {
  for (const std::string header : {"", "Bearer", "Bearer ", "Bearerabc", "Basic abc", "Token abc", "Bearer a b",
                                   "Bearer\tabc", " Bearer abc"}) {
    EXPECT_FALSE(BearerToken(header).has_value()) << "'" << header << "'";
  }
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(ParseDeployRequest, TakesTheReleaseAndOptionalOverrides) {
  Result<DeployApiRequest> r = ParseDeployRequest(
      R"({"release": "latest", "batch": "25%", "min_healthy": "90%", "instance": "i-0000000000000003", "analysis_seconds": 60})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->release, "latest");
  EXPECT_EQ(r->batch, "25%");
  EXPECT_EQ(r->min_healthy, "90%");
  EXPECT_EQ(r->instance, "i-0000000000000003");
  EXPECT_EQ(r->analysis_seconds, 60);
  Result<DeployApiRequest> n = ParseDeployRequest(R"({"release": "7", "batch": 2})");
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->batch, "2");
  EXPECT_FALSE(n->min_healthy);
  EXPECT_FALSE(n->analysis_seconds);
}

TEST(ParseDeployRequest, RefusesWhatItCannotUseNamingTheField) {
  auto message = [](const char* body) {
    Result<DeployApiRequest> r = ParseDeployRequest(body);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(message(R"({})").find("\"release\""), std::string::npos);
  EXPECT_NE(message(R"({"release": 7})").find("\"release\""), std::string::npos);
  EXPECT_NE(message(R"({"release": "7", "batch": [1]})").find("\"batch\""), std::string::npos);
  EXPECT_NE(message(R"({"release": "7", "batch": "xxxxxxxxxxxxxxxxxxxxxxxx"})").find("\"batch\""), std::string::npos);
  EXPECT_NE(message(R"({"release": "7", "analysis_seconds": 100000})").find("analysis_seconds"), std::string::npos);
  EXPECT_NE(message(R"({"release": "7", "bach": "25%"})").find("bach"), std::string::npos);
  EXPECT_NE(message(R"({"release": "7", "strategy": "purple"})").find("\"strategy\""), std::string::npos);
  EXPECT_NE(message(R"({"release": "7", "keep_old_seconds": -1})").find("keep_old_seconds"), std::string::npos);
}

TEST(ParseDeployRequest, TakesABlueGreenStrategyAndKeepOld) {
  Result<DeployApiRequest> r =
      ParseDeployRequest(R"({"release": "7", "strategy": "blue-green", "keep_old_seconds": 120})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->strategy, DeployStrategy::kBlueGreen);
  EXPECT_EQ(r->keep_old_seconds, 120);
  Result<DeployApiRequest> n = ParseDeployRequest(R"({"release": "7"})");
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->strategy);
  EXPECT_FALSE(n->keep_old_seconds);
}

TEST(DeploySettingsText, BatchAndPercentParseOrSayWhatIsWrong) {
  DeploySettings s;
  ASSERT_TRUE(ParseBatch("25%", &s).ok());
  EXPECT_DOUBLE_EQ(s.batch_percent, 25);
  EXPECT_EQ(s.batch_count, 0);
  ASSERT_TRUE(ParseBatch("3", &s).ok());
  EXPECT_EQ(s.batch_count, 3);
  for (const char* bad : {"0", "0%", "101%", "-1", "1.5", "abc", "", "25 %", "10001"}) {
    const Status st = ParseBatch(bad, &s);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("batch"), std::string::npos) << st.message();
  }
  EXPECT_EQ(FormatBatch(s), "3");
  ASSERT_TRUE(ParseBatch("12.5%", &s).ok());
  EXPECT_EQ(FormatBatch(s), "12.5%") << "what is parsed prints back the same";
  EXPECT_EQ(FormatPercent(90), "90%");
  double p = 0;
  ASSERT_TRUE(ParsePercent("min_healthy", "90%", &p).ok());
  EXPECT_DOUBLE_EQ(p, 90);
  ASSERT_TRUE(ParsePercent("min_healthy", "12.5", &p).ok());
  EXPECT_DOUBLE_EQ(p, 12.5);
  for (const char* bad : {"101%", "-5%", "ninety", "", "1e2"}) {
    EXPECT_FALSE(ParsePercent("min_healthy", bad, &p).ok()) << bad;
  }
}

TEST(ParseHistoryQuery, MinutesFromOneToADay) {
  Result<HistoryQuery> q = ParseHistoryQuery({});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->minutes, kDefaultHistoryMinutes);
  q = ParseHistoryQuery({{"minutes", "1440"}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->minutes, 1440);
  for (const std::string bad : {"0", "1441", "-5", "ten", "5 "}) {
    ExpectRefused(ParseHistoryQuery({{"minutes", bad}}), {"minutes"}, bad);
  }
  ExpectRefused(ParseHistoryQuery({{"limit", "5"}}), {"'limit'"}, "unknown");
}

}  // namespace
}  // namespace shoal
