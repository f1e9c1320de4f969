// Elbv2Traffic on a scripted HTTP client: the parameters it sends (target,
// port, the deregistration delay once per target group), the name look-up,
// errors mapped (InvalidTarget on deregister is done), and what Poll
// reports from successive DescribeTargetHealth answers.
#include "adapters/aws/elbv2_traffic.h"

#include <gtest/gtest.h>

#include <map>

#include "adapters/aws/elbv2_wire.h"
#include "aws_test_util.h"
#include "scripted_client_fixture.h"

namespace shoal::aws {
namespace {

using testing::FakeSleeper;
using testing::ManualClock;
using testing::ScriptedClientTest;
using testing::ScriptedHttp;

constexpr Seconds kNow = 1768465800;
constexpr const char* kArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/73e2d6bc24d8a067";

std::multimap<std::string, std::string> FormOf(const HttpRequest& request) {
  httplib::Params params;
  httplib::detail::parse_query_text(request.body, params);
  return {params.begin(), params.end()};
}

std::string Field(const std::multimap<std::string, std::string>& form, const std::string& key) {
  const auto it = form.find(key);
  return it == form.end() ? "<none>" : it->second;
}

struct Listed {
  Listed(std::string id_, int port_, std::string state_, std::string reason_ = "", std::string description_ = "")
      : id(std::move(id_)), port(port_), state(std::move(state_)), reason(std::move(reason_)),
        description(std::move(description_)) {}
  std::string id;
  int port;
  std::string state;
  std::string reason;
  std::string description;
};

HttpOutcome Health(const std::vector<Listed>& targets) {
  std::string members;
  for (const Listed& t : targets) {
    members += "<member><Target><Id>" + t.id + "</Id><Port>" + std::to_string(t.port) +
               "</Port></Target><HealthCheckPort>traffic-port</HealthCheckPort><TargetHealth><State>" + t.state +
               "</State>" + (t.reason.empty() ? "" : "<Reason>" + t.reason + "</Reason>") +
               (t.description.empty() ? "" : "<Description>" + t.description + "</Description>") +
               "</TargetHealth></member>";
  }
  return ScriptedHttp::Answer(200,
                              "<DescribeTargetHealthResponse><DescribeTargetHealthResult><TargetHealthDescriptions>" +
                                  members + "</TargetHealthDescriptions></DescribeTargetHealthResult>"
                                            "</DescribeTargetHealthResponse>");
}

HttpOutcome Ok(const std::string& action) {
  return ScriptedHttp::Answer(200, "<" + action + "Response><" + action + "Result/></" + action + "Response>");
}

HttpOutcome Error(long status, const std::string& code, const std::string& message) {
  return ScriptedHttp::Answer(status, "<ErrorResponse><Error><Type>Sender</Type><Code>" + code + "</Code><Message>" +
                                          message + "</Message></Error><RequestId>r1</RequestId></ErrorResponse>");
}

InstanceId Id(const char* text) { return *InstanceId::Parse(text); }

class Elbv2TrafficTest : public ScriptedClientTest {
 protected:
  Elbv2TrafficTest() : ScriptedClientTest(kNow) {}

  void SetUp() override {
    ScriptedClientTest::SetUp();
    if (HasFatalFailure()) return;
    Make({{"web", {kArn, 45}}});
  }

  void Make(std::map<std::string, Elbv2GroupOptions> groups) {
    Elbv2TrafficOptions options;
    options.groups = std::move(groups);
    traffic_ = std::make_unique<Elbv2Traffic>(std::move(options), client_.get(), &clock_, &log_);
  }

  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    for (const HttpRequest& r : http_.requests()) out.push_back(Field(FormOf(r), "Action"));
    return out;
  }

  // Register i-1 on 8080 with a fresh script; the delay is set first.
  void RegisterOne(const char* id = "i-1") {
    http_.ClearScript();
    http_.Push(Ok("ModifyTargetGroupAttributes"));
    http_.Push(Ok("RegisterTargets"));
    ASSERT_TRUE(traffic_->Register("web", Id(id), {"10.0.0.1", 8080}).ok());
  }

  // One Poll after the poll interval, on `answer`.
  std::vector<GroupInstanceEvent> PollOn(HttpOutcome answer) {
    http_.ClearScript();
    http_.Push(std::move(answer));
    clock_.Set(clock_.Now() + 10);
    return traffic_->Poll();
  }

  std::unique_ptr<Elbv2Traffic> traffic_;
};

TEST(Elbv2WireTest, ReadsTargetsWithTheirStateAndReason) {
  auto doc = XmlDocument::Parse(
      "<DescribeTargetHealthResponse><DescribeTargetHealthResult><TargetHealthDescriptions>"
      "<member><Target><Id>i-1</Id><Port>8080</Port></Target><TargetHealth><State>healthy</State></TargetHealth>"
      "</member><member><Target><Id>i-2</Id><Port>x</Port></Target><TargetHealth><State>unhealthy</State>"
      "<Reason>Target.Timeout</Reason><Description>Request timed out</Description></TargetHealth></member>"
      "<member><Target><Port>80</Port></Target></member>"
      "</TargetHealthDescriptions></DescribeTargetHealthResult></DescribeTargetHealthResponse>");
  ASSERT_TRUE(doc.ok());
  const auto targets = ParseTargetHealth(doc->Root());
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].id, "i-1");
  EXPECT_EQ(targets[0].port, 8080);
  EXPECT_EQ(targets[0].state, "healthy");
  EXPECT_EQ(DescribeTargetHealth(targets[0]), "healthy");
  EXPECT_EQ(targets[1].port, 0);
  EXPECT_EQ(DescribeTargetHealth(targets[1]), "Target.Timeout: Request timed out");
}

TEST(Elbv2WireTest, TellsArnsFromNames) {
  EXPECT_TRUE(IsTargetGroupArn(kArn));
  EXPECT_FALSE(IsTargetGroupArn("web-tg"));
  EXPECT_FALSE(IsTargetGroupArn("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/y"));
}

TEST_F(Elbv2TrafficTest, RegisterSetsTheDelayOnceThenRegistersTheInstanceOnItsPort) {
  RegisterOne();
  http_.ClearScript();
  http_.Push(Ok("RegisterTargets"));
  ASSERT_TRUE(traffic_->Register("web", Id("i-2"), {"10.0.0.2", 9090}).ok());
  ASSERT_EQ(Actions(), (std::vector<std::string>{"ModifyTargetGroupAttributes", "RegisterTargets", "RegisterTargets"}));
  const auto modify = FormOf(http_.requests()[0]);
  EXPECT_EQ(Field(modify, "TargetGroupArn"), kArn);
  EXPECT_EQ(Field(modify, "Attributes.member.1.Key"), "deregistration_delay.timeout_seconds");
  EXPECT_EQ(Field(modify, "Attributes.member.1.Value"), "45");
  const auto first = FormOf(http_.requests()[1]);
  EXPECT_EQ(Field(first, "TargetGroupArn"), kArn);
  EXPECT_EQ(Field(first, "Targets.member.1.Id"), "i-1");
  EXPECT_EQ(Field(first, "Targets.member.1.Port"), "8080");
  EXPECT_EQ(Field(first, "Targets.member.2.Id"), "<none>");
  EXPECT_EQ(Field(FormOf(http_.requests()[2]), "Targets.member.1.Port"), "9090");
}

TEST_F(Elbv2TrafficTest, ATargetGroupNamedIsLookedUpOnce) {
  Make({{"web", {"web-tg", 30}}});
  http_.Push(ScriptedHttp::Answer(200, std::string("<DescribeTargetGroupsResponse><DescribeTargetGroupsResult>"
                                                   "<TargetGroups><member><TargetGroupArn>") +
                                           kArn + "</TargetGroupArn></member></TargetGroups>"
                                                  "</DescribeTargetGroupsResult></DescribeTargetGroupsResponse>"));
  http_.Push(Ok("ModifyTargetGroupAttributes"));
  http_.Push(Ok("RegisterTargets"));
  ASSERT_TRUE(traffic_->Register("web", Id("i-1"), {"10.0.0.1", 8080}).ok());
  ASSERT_TRUE(traffic_->Register("web", Id("i-2"), {"10.0.0.2", 8080}).ok());
  auto arn = traffic_->TargetGroupArn("web");
  ASSERT_TRUE(arn.ok());
  EXPECT_EQ(*arn, kArn);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"DescribeTargetGroups", "ModifyTargetGroupAttributes",
                                                 "RegisterTargets", "RegisterTargets"}));
  EXPECT_EQ(Field(FormOf(http_.requests()[0]), "Names.member.1"), "web-tg");
  EXPECT_EQ(Field(FormOf(http_.requests()[2]), "TargetGroupArn"), kArn);
}

TEST_F(Elbv2TrafficTest, ATargetGroupThatDoesNotExistIsNotFoundNamingIt) {
  Make({{"web", {"missing-tg", 30}}});
  http_.Push(Error(400, "TargetGroupNotFound", "One or more target groups not found"));
  const Status s = traffic_->Register("web", Id("i-1"), {"10.0.0.1", 8080});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("missing-tg"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("group web"), std::string::npos) << s.message();
}

TEST_F(Elbv2TrafficTest, RegisterRefusesWhatItCannotSendWithoutACall) {
  EXPECT_EQ(traffic_->Register("web", InstanceId(), {"10.0.0.1", 8080}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(traffic_->Register("web", Id("i-1"), {"10.0.0.1", 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(traffic_->Register("web", Id("i-1"), {"10.0.0.1", 65536}).code(), StatusCode::kInvalidArgument);
  const Status unknown = traffic_->Register("api", Id("i-1"), {"10.0.0.1", 8080});
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("group api"), std::string::npos) << unknown.message();
  EXPECT_EQ(traffic_->Drain("api", Id("i-1")).code(), StatusCode::kNotFound);
  EXPECT_EQ(traffic_->Deregister("api", Id("i-1")).code(), StatusCode::kNotFound);
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(Elbv2TrafficTest, ADrainTimeBeyondElbsRangeIsRefused) {
  Make({{"web", {kArn, 4000}}});
  const Status s = traffic_->Register("web", Id("i-1"), {"10.0.0.1", 8080});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("3600"), std::string::npos) << s.message();
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(Elbv2TrafficTest, AFailedDelaySettingIsReturnedAndTriedAgainAtTheNextCall) {
  http_.Push(Error(403, "AccessDenied", "not allowed"));
  const Status s = traffic_->Register("web", Id("i-1"), {"10.0.0.1", 8080});
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ModifyTargetGroupAttributes"}));
  RegisterOne();
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ModifyTargetGroupAttributes", "ModifyTargetGroupAttributes",
                                                 "RegisterTargets"}));
}

TEST_F(Elbv2TrafficTest, AnInstanceNotRunningYetIsARetryableRefusal) {
  http_.Push(Ok("ModifyTargetGroupAttributes"));
  http_.Push(Error(400, "InvalidTarget", "The following targets are not in a running state and cannot be registered"));
  const Status s = traffic_->Register("web", Id("i-1"), {"10.0.0.1", 8080});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(IsRetryable(s.code()));
  EXPECT_NE(s.message().find("i-1"), std::string::npos) << s.message();
}

TEST_F(Elbv2TrafficTest, PollReportsHealthyOnceAndUnhealthyOnlyAfterHealthyWithElbsReason) {
  RegisterOne();
  EXPECT_TRUE(
      PollOn(Health({{"i-1", 8080, "initial", "Elb.RegistrationInProgress", "Target registration is in progress"}}))
          .empty());
  // Failing while it boots: the health-check grace decides, not this.
  EXPECT_TRUE(
      PollOn(Health({{"i-1", 8080, "unhealthy", "Target.FailedHealthChecks", "Health checks failed"}})).empty());
  auto healthy = PollOn(Health({{"i-1", 8080, "healthy"}}));
  ASSERT_EQ(healthy.size(), 1u);
  EXPECT_EQ(healthy[0].group, "web");
  EXPECT_EQ(healthy[0].observation.id, Id("i-1"));
  EXPECT_EQ(healthy[0].observation.event, InstanceEvent::kHealthy);
  EXPECT_TRUE(PollOn(Health({{"i-1", 8080, "healthy"}})).empty());
  auto unhealthy = PollOn(Health({{"i-1", 8080, "unhealthy", "Target.ResponseCodeMismatch",
                                   "Health checks failed with these codes: [502]"}}));
  ASSERT_EQ(unhealthy.size(), 1u);
  EXPECT_EQ(unhealthy[0].observation.event, InstanceEvent::kUnhealthy);
  EXPECT_EQ(unhealthy[0].observation.reason,
            "is unhealthy in its ELB target group (Target.ResponseCodeMismatch: Health checks failed with these "
            "codes: [502])");
  EXPECT_TRUE(PollOn(Health({{"i-1", 8080, "unhealthy", "Target.ResponseCodeMismatch", "again"}})).empty());
  // Back: healthy again (the controller decides what that means).
  EXPECT_EQ(PollOn(Health({{"i-1", 8080, "healthy"}})).size(), 1u);
  for (const HttpRequest& r : http_.requests()) {
    if (Field(FormOf(r), "Action") == "DescribeTargetHealth") {
      EXPECT_EQ(Field(FormOf(r), "TargetGroupArn"), kArn);
    }
  }
  int noted = 0;
  for (const LogEvent& e : log_.events()) noted += e.event == "elbv2_target_not_healthy_yet";
  EXPECT_EQ(noted, 2);  // initial, then unhealthy: each once
}

TEST_F(Elbv2TrafficTest, OnlyTargetsOfOursAreReportedAndOnlyOnTheirPort) {
  RegisterOne();
  auto events = PollOn(Health({{"i-9", 8080, "healthy"}, {"i-1", 9999, "healthy"}, {"i-1", 8080, "initial"}}));
  EXPECT_TRUE(events.empty());
}

TEST_F(Elbv2TrafficTest, PollAsksAtMostOncePerIntervalAndNotAtAllWithoutTargets) {
  EXPECT_TRUE(traffic_->Poll().empty());
  EXPECT_TRUE(http_.requests().empty());
  RegisterOne();
  http_.ClearScript();
  http_.Push(Health({{"i-1", 8080, "healthy"}}));
  EXPECT_EQ(traffic_->Poll().size(), 1u);
  clock_.Set(clock_.Now() + 4);
  EXPECT_TRUE(traffic_->Poll().empty());
  clock_.Set(clock_.Now() + 1);
  EXPECT_TRUE(traffic_->Poll().empty());
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ModifyTargetGroupAttributes", "RegisterTargets",
                                                 "DescribeTargetHealth", "DescribeTargetHealth"}));
}

TEST_F(Elbv2TrafficTest, AFailedDescribeReportsNothingAndForgetsNothing) {
  RegisterOne();
  ASSERT_EQ(PollOn(Health({{"i-1", 8080, "healthy"}})).size(), 1u);
  EXPECT_TRUE(PollOn(Error(403, "AccessDenied", "no")).empty());
  // Not held back by the interval either: the failed poll did not count.
  http_.ClearScript();
  http_.Push(Health({{"i-1", 8080, "unhealthy", "Target.Timeout", "Request timed out"}}));
  auto events = traffic_->Poll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].observation.event, InstanceEvent::kUnhealthy);
}

TEST_F(Elbv2TrafficTest, AHealthyTargetThatLeavesTheListIsUnhealthyThenForgotten) {
  RegisterOne();
  ASSERT_EQ(PollOn(Health({{"i-1", 8080, "healthy"}})).size(), 1u);
  auto gone = PollOn(Health({}));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].observation.event, InstanceEvent::kUnhealthy);
  EXPECT_EQ(gone[0].observation.reason, "is no longer registered in its ELB target group");
  clock_.Set(clock_.Now() + 600);
  EXPECT_TRUE(PollOn(Health({})).empty());
  const std::size_t asked = http_.requests().size();
  EXPECT_TRUE(PollOn(Health({})).empty());
  EXPECT_EQ(http_.requests().size(), asked);  // nothing of ours left to ask about
}

TEST_F(Elbv2TrafficTest, DrainDeregistersAndReportsDrainedWhenElbNoLongerListsIt) {
  RegisterOne();
  ASSERT_EQ(PollOn(Health({{"i-1", 8080, "healthy"}})).size(), 1u);
  http_.ClearScript();
  http_.Push(Ok("DeregisterTargets"));
  ASSERT_TRUE(traffic_->Drain("web", Id("i-1")).ok());
  const auto dereg = FormOf(http_.requests().back());
  EXPECT_EQ(Field(dereg, "Action"), "DeregisterTargets");
  EXPECT_EQ(Field(dereg, "Targets.member.1.Id"), "i-1");
  EXPECT_EQ(Field(dereg, "Targets.member.1.Port"), "8080");
  EXPECT_TRUE(PollOn(Health({{"i-1", 8080, "draining", "Target.DeregistrationInProgress", "in progress"}})).empty());
  auto drained = PollOn(Health({}));
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0].observation.event, InstanceEvent::kDrained);
  EXPECT_TRUE(PollOn(Health({})).empty());
  int modifies = 0;
  for (const std::string& a : Actions()) modifies += a == "ModifyTargetGroupAttributes";
  EXPECT_EQ(modifies, 1);
}

TEST_F(Elbv2TrafficTest, ADrainedTargetShownUnusedIsDrained) {
  RegisterOne();
  http_.ClearScript();
  http_.Push(Ok("DeregisterTargets"));
  ASSERT_TRUE(traffic_->Drain("web", Id("i-1")).ok());
  auto drained = PollOn(Health({{"i-1", 8080, "unused", "Target.NotRegistered", "not registered"}}));
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0].observation.event, InstanceEvent::kDrained);
}

TEST_F(Elbv2TrafficTest, DrainAfterARestartFindsThePortsElbHas) {
  http_.Push(Ok("ModifyTargetGroupAttributes"));
  http_.Push(Health({{"i-1", 9000, "healthy"}, {"i-2", 8080, "healthy"}}));
  http_.Push(Ok("DeregisterTargets"));
  ASSERT_TRUE(traffic_->Drain("web", Id("i-1")).ok());
  ASSERT_EQ(Actions(), (std::vector<std::string>{"ModifyTargetGroupAttributes", "DescribeTargetHealth",
                                                 "DeregisterTargets"}));
  const auto dereg = FormOf(http_.requests()[2]);
  EXPECT_EQ(Field(dereg, "Targets.member.1.Id"), "i-1");
  EXPECT_EQ(Field(dereg, "Targets.member.1.Port"), "9000");
}

TEST_F(Elbv2TrafficTest, DrainingWhatElbDoesNotHaveIsDrainedAtTheNextPoll) {
  http_.Push(Ok("ModifyTargetGroupAttributes"));
  http_.Push(Health({}));
  ASSERT_TRUE(traffic_->Drain("web", Id("i-1")).ok());
  EXPECT_EQ(Actions(), (std::vector<std::string>{"ModifyTargetGroupAttributes", "DescribeTargetHealth"}));
  auto drained = PollOn(Health({}));
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0].observation.event, InstanceEvent::kDrained);
}

TEST_F(Elbv2TrafficTest, DeregisterIsSafeToRepeat) {
  RegisterOne();
  http_.ClearScript();
  http_.Push(Ok("DeregisterTargets"));
  ASSERT_TRUE(traffic_->Deregister("web", Id("i-1")).ok());
  EXPECT_EQ(Field(FormOf(http_.requests().back()), "Targets.member.1.Port"), "8080");
  // Forgotten: ELB is asked where it is, and it is nowhere.
  http_.ClearScript();
  http_.Push(Health({}));
  ASSERT_TRUE(traffic_->Deregister("web", Id("i-1")).ok());
  EXPECT_EQ(Actions().back(), "DescribeTargetHealth");
  // ELB lists it but answers InvalidTarget (gone meanwhile): done too.
  http_.ClearScript();
  http_.Push(Health({{"i-1", 8080, "draining"}}));
  http_.Push(Error(400, "InvalidTarget", "The specified target does not exist"));
  EXPECT_TRUE(traffic_->Deregister("web", Id("i-1")).ok());
  EXPECT_EQ(Actions().back(), "DeregisterTargets");
}

TEST_F(Elbv2TrafficTest, ADeregisterThatFailsSaysSo) {
  RegisterOne();
  http_.ClearScript();
  http_.Push(Error(403, "AccessDenied", "not allowed"));
  const Status s = traffic_->Deregister("web", Id("i-1"));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("i-1"), std::string::npos) << s.message();
  // Still ours: the next poll still watches it.
  http_.ClearScript();
  http_.Push(Health({{"i-1", 8080, "healthy"}}));
  clock_.Set(clock_.Now() + 10);
  EXPECT_EQ(traffic_->Poll().size(), 1u);
}

}  // namespace
}  // namespace shoal::aws
