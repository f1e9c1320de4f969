#include "adapters/local/agent.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <atomic>
#include <thread>
#include <future>

namespace shoal {
namespace {

const ImdsAnswer kNone{404, "<html>Not Found</html>"};
const ImdsAnswer kAction{200, R"({"action":"terminate","time":"2026-11-26T06:30:00Z"})"};
const ImdsAnswer kRebalance{200, R"({"noticeTime":"2026-11-26T06:28:00Z"})"};

TEST(SpotAgentParse, InstanceIdIsTheFirstLineOfA200) {
  EXPECT_EQ(ParseInstanceIdAnswer({200, "i-0123456789abcdef0"}), "i-0123456789abcdef0");
  EXPECT_EQ(ParseInstanceIdAnswer({200, "  i-0000000000000001 \r\nmore\n"}), "i-0000000000000001");
  EXPECT_FALSE(ParseInstanceIdAnswer({404, "i-0000000000000001"}).has_value());
  EXPECT_FALSE(ParseInstanceIdAnswer({0, ""}).has_value());      // no answer
  EXPECT_FALSE(ParseInstanceIdAnswer({200, ""}).has_value());
  EXPECT_FALSE(ParseInstanceIdAnswer({200, " \t\nid-on-the-second-line"}).has_value());
}

// Found by fuzz/imds.cc: an id with a byte that is not UTF-8 was accepted,
// and building each report's JSON then threw, so no notice was ever reported.
TEST(SpotAgentParse, InstanceIdMustBeVisibleAscii) {
  EXPECT_FALSE(ParseInstanceIdAnswer({200, "i-\xff" "01"}).has_value());
  EXPECT_FALSE(ParseInstanceIdAnswer({200, "i-\xc3\xa9"}).has_value());  // UTF-8, but no id is spelt so
  EXPECT_FALSE(ParseInstanceIdAnswer({200, "i-01 02"}).has_value());
  EXPECT_FALSE(ParseInstanceIdAnswer({200, std::string("i-0\0", 4)}).has_value());
  EXPECT_FALSE(ParseInstanceIdAnswer({200, "i-" + std::string(kMaxInstanceIdLength, '0')}).has_value());
  EXPECT_EQ(ParseInstanceIdAnswer({200, "i-" + std::string(kMaxInstanceIdLength - 2, '0')}),
            "i-" + std::string(kMaxInstanceIdLength - 2, '0'));
}

TEST(SpotAgentParse, ImdsTokenIsTheBodyOfA200) {
  EXPECT_EQ(ParseImdsToken({200, "AQAEAGo8u2Ytoken=="}), "AQAEAGo8u2Ytoken==");
  EXPECT_FALSE(ParseImdsToken({200, ""}).has_value());
  EXPECT_FALSE(ParseImdsToken({403, "AQAEAGo8u2Ytoken=="}).has_value());  // IMDSv2 refused: IMDSv1 then
  EXPECT_FALSE(ParseImdsToken({0, ""}).has_value());                      // no answer
}

// Found by fuzz/imds.cc: the body was sent back verbatim in the token header,
// so a trailing newline (or a CR LF inside) broke every metadata request.
TEST(SpotAgentParse, ImdsTokenIsTrimmedAndHoldsNoLineBreak) {
  EXPECT_EQ(ParseImdsToken({200, "AQAEAGo8u2Ytoken==\n"}), "AQAEAGo8u2Ytoken==");
  EXPECT_EQ(ParseImdsToken({200, " \tAQAE\r\n"}), "AQAE");
  EXPECT_FALSE(ParseImdsToken({200, "AQAE\r\nX-Injected: 1"}).has_value());
  EXPECT_FALSE(ParseImdsToken({200, "AQAE\nsecond"}).has_value());
  EXPECT_FALSE(ParseImdsToken({200, std::string("AQ\0AE", 5)}).has_value());
  EXPECT_FALSE(ParseImdsToken({200, " \r\n"}).has_value());
}

TEST(SpotAgentParse, InstanceAction) {
  EXPECT_EQ(ParseInstanceAction(kAction), "2026-11-26T06:30:00Z");
  EXPECT_EQ(ParseInstanceAction({200, R"({"action":"stop","time":"T"})"}), "T");
  EXPECT_EQ(ParseInstanceAction({200, R"({"action":"hibernate","time":"T"})"}), "T");
}

TEST(SpotAgentParse, InstanceActionRejects) {
  const ImdsAnswer cases[] = {
      kNone,
      {0, ""},                                                     // no answer
      {500, kAction.body},                                         // not a 200
      {200, ""},                                                   // empty
      {200, "not json"},
      {200, R"(["terminate"])"},                                   // not an object
      {200, R"({"action":"terminate"})"},                          // no time
      {200, R"({"action":"terminate","time":""})"},                // empty time
      {200, R"({"action":"terminate","time":5})"},                 // not a string
      {200, R"({"action":"reboot","time":"T"})"},                  // not a spot action
      {200, R"({"time":"T"})"},                                    // no action
      {200, kRebalance.body},                                      // the other document
  };
  for (const ImdsAnswer& a : cases) EXPECT_FALSE(ParseInstanceAction(a).has_value()) << a.status << " " << a.body;
}

TEST(SpotAgentParse, Rebalance) {
  EXPECT_EQ(ParseRebalance(kRebalance), "2026-11-26T06:28:00Z");
  EXPECT_FALSE(ParseRebalance(kNone).has_value());
  EXPECT_FALSE(ParseRebalance({200, "{}"}).has_value());
  EXPECT_FALSE(ParseRebalance({200, R"({"noticeTime":1})"}).has_value());
  EXPECT_FALSE(ParseRebalance({200, "{"}).has_value());
  EXPECT_FALSE(ParseRebalance(kAction).has_value());
}

struct DecideCase {
  const char* name;
  AgentProgress progress;
  ImdsAnswer action;
  ImdsAnswer rebalance;
  std::vector<AgentEvent> expected;
};

// A warm-pool launch's agent asks the instance's service (--ready) and says
// "provisioned" once it answers 2xx, and only once.
TEST(SpotAgentDecide, ReportsProvisionedOnceTheServiceAnswers) {
  const AgentProgress fresh;
  AgentProgress provisioned;
  provisioned.provisioned_reported = true;
  EXPECT_TRUE(DecideReports(fresh, kNone, kNone).empty()) << "no ready URL asked";
  EXPECT_TRUE(DecideReports(fresh, kNone, kNone, ImdsAnswer{}).empty()) << "nothing answers yet";
  EXPECT_TRUE(DecideReports(fresh, kNone, kNone, ImdsAnswer{503, ""}).empty()) << "up but not ready";
  const std::vector<AgentReport> got = DecideReports(fresh, kNone, kNone, ImdsAnswer{204, ""});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event, AgentEvent::kProvisioned);
  EXPECT_STREQ(AgentEventName(got[0].event), "provisioned");
  // No time to send: the key is left out (the daemon refuses an empty one).
  EXPECT_EQ(ReportJson("i-0abc", got[0]), R"({"instance":"i-0abc","event":"provisioned"})");
  EXPECT_TRUE(DecideReports(provisioned, kNone, kNone, ImdsAnswer{200, ""}).empty()) << "acknowledged";
  const std::vector<AgentReport> both = DecideReports(fresh, kAction, kNone, ImdsAnswer{200, ""});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].event, AgentEvent::kSpotInterruption);
  EXPECT_EQ(both[1].event, AgentEvent::kProvisioned);
}

TEST(SpotAgentDecide, ReportsEachEventOnceUntilAcknowledged) {
  const AgentProgress fresh;
  const AgentProgress interruption_done{true, false};
  const AgentProgress rebalance_done{false, true};
  const AgentProgress both_done{true, true};
  const DecideCase cases[] = {
      {"nothing yet", fresh, kNone, kNone, {}},
      {"imds down", fresh, {}, {}, {}},
      {"interruption", fresh, kAction, kNone, {AgentEvent::kSpotInterruption}},
      {"rebalance", fresh, kNone, kRebalance, {AgentEvent::kRebalanceRecommendation}},
      {"both", fresh, kAction, kRebalance, {AgentEvent::kSpotInterruption, AgentEvent::kRebalanceRecommendation}},
      {"interruption acknowledged", interruption_done, kAction, kNone, {}},
      {"interruption acknowledged, rebalance new", interruption_done, kAction, kRebalance,
       {AgentEvent::kRebalanceRecommendation}},
      {"rebalance acknowledged, interruption new", rebalance_done, kAction, kRebalance,
       {AgentEvent::kSpotInterruption}},
      {"all acknowledged", both_done, kAction, kRebalance, {}},
      {"garbage is not an event", fresh, {200, "oops"}, {200, "oops"}, {}},
  };
  for (const DecideCase& c : cases) {
    const std::vector<AgentReport> got = DecideReports(c.progress, c.action, c.rebalance);
    ASSERT_EQ(got.size(), c.expected.size()) << c.name;
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].event, c.expected[i]) << c.name;
  }
}

TEST(SpotAgentDecide, ReportCarriesTheImdsTime) {
  const auto got = DecideReports({}, kAction, kRebalance);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].time, "2026-11-26T06:30:00Z");
  EXPECT_EQ(got[1].time, "2026-11-26T06:28:00Z");
}

TEST(SpotAgentReport, JsonBody) {
  EXPECT_EQ(ReportJson("i-0000000000001a2b", {AgentEvent::kSpotInterruption, "2026-11-26T06:30:00Z"}),
            R"({"instance":"i-0000000000001a2b","event":"spot-interruption","time":"2026-11-26T06:30:00Z"})");
  EXPECT_EQ(ReportJson("i-1", {AgentEvent::kRebalanceRecommendation, "T"}),
            R"({"instance":"i-1","event":"rebalance-recommendation","time":"T"})");
}

TEST(SpotAgentReport, JsonBodyOfAnIdThatIsNotUtf8StillBuilds) {
  // `shoal agent --instance` takes any bytes; the report must still be sent
  // (and refused by the daemon) rather than throw on every poll.
  EXPECT_EQ(ReportJson("i-\xff", {AgentEvent::kSpotInterruption, "T"}),
            "{\"instance\":\"i-\xef\xbf\xbd\",\"event\":\"spot-interruption\",\"time\":\"T\"}");
}

TEST(SpotAgentReport, TokenFileIsTrimmedToItsFirstLine) {
  EXPECT_EQ(TrimToken("secret\n"), "secret");
  EXPECT_EQ(TrimToken("  secret \r\nsecond line\n"), "secret");
  EXPECT_EQ(TrimToken(""), "");
  EXPECT_EQ(TrimToken(" \n"), "");
}

// An IMDS stand-in on loopback that only counts what it is asked.
class CountingImds {
 public:
  CountingImds() {
    server_.Get(".*", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 404;
    });
    server_.Put(".*", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 404;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost, and the join would hang.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~CountingImds() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(SpotAgentLoop, StopBeforeRunReturnsWithoutPolling) {
  CountingImds imds;
  AgentOptions o;
  o.imds_url = imds.url();
  o.instance = "i-1";
  o.interval = std::chrono::hours(1);
  SpotAgent agent(o);
  agent.Stop();
  auto run = std::async(std::launch::async, [&] { agent.Run(); });
  ASSERT_EQ(run.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "Run ignored the stop";
  EXPECT_EQ(imds.requests(), 0) << "a stopped agent polls nothing";
}

TEST(SpotAgentLoop, StopWakesARunThatWaitsForItsNextPoll) {
  CountingImds imds;
  AgentOptions o;
  o.imds_url = imds.url();
  o.instance = "i-1";
  o.interval = std::chrono::hours(1);
  SpotAgent agent(o);
  auto run = std::async(std::launch::async, [&] { agent.Run(); });
  for (int i = 0; i < 500 && imds.requests() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(imds.requests(), 0) << "the first poll happens at once";
  agent.Stop();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "Stop must wake the hour-long wait";
}

}  // namespace
}  // namespace shoal
