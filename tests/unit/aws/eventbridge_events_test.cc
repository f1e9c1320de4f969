// ParseQueueEvent: each kind EC2 sends through EventBridge, and every way
// a message body can be wrong (each names what is wrong).
#include "adapters/aws/eventbridge_events.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace shoal::aws {
namespace {

using nlohmann::json;

constexpr Seconds k2026_12_02_10h = 1796205600;  // 2026-12-02T10:00:00Z

// An event as EventBridge writes it into the queue.
json Event(const std::string& detail_type, json detail) {
  return {{"version", "0"},
          {"id", "7bf73129-1428-4cd3-a780-95db273d1602"},
          {"detail-type", detail_type},
          {"source", "aws.ec2"},
          {"account", "123456789012"},
          {"time", "2026-12-02T10:00:00Z"},
          {"region", "us-east-1"},
          {"resources", {"arn:aws:ec2:us-east-1b:instance/i-1234567890abcdef0"}},
          {"detail", std::move(detail)}};
}

json Interruption() {
  return Event("EC2 Spot Instance Interruption Warning",
               {{"instance-id", "i-1234567890abcdef0"}, {"instance-action", "terminate"}});
}

// The error message of parsing `body`, which must fail as invalid.
std::string ErrorOf(const std::string& body) {
  auto parsed = ParseQueueEvent(body);
  EXPECT_FALSE(parsed.ok()) << body;
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().message();
}

TEST(EventBridgeEventsTest, InterruptionWarningHasTheDeadlineTwoMinutesAfterItsTime) {
  auto parsed = ParseQueueEvent(Interruption().dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->kind, QueueEvent::Kind::kInterruptionWarning);
  EXPECT_EQ(parsed->event_id, "7bf73129-1428-4cd3-a780-95db273d1602");
  EXPECT_EQ(parsed->instance_id.str(), "i-1234567890abcdef0");
  EXPECT_EQ(parsed->time, k2026_12_02_10h);
  EXPECT_EQ(parsed->deadline, k2026_12_02_10h + 120);
  EXPECT_EQ(parsed->action, "terminate");
  EXPECT_EQ(parsed->state, "");
}

TEST(EventBridgeEventsTest, InterruptionActionsAreTerminateStopAndHibernate) {
  for (const char* action : {"terminate", "stop", "hibernate"}) {
    json event = Interruption();
    event["detail"]["instance-action"] = action;
    auto parsed = ParseQueueEvent(event.dump());
    ASSERT_TRUE(parsed.ok()) << action << ": " << parsed.status().message();
    EXPECT_EQ(parsed->action, action);
  }
  json event = Interruption();
  event["detail"]["instance-action"] = "reboot";
  EXPECT_NE(ErrorOf(event.dump()).find("detail.instance-action \"reboot\" is not terminate, stop or hibernate"),
            std::string::npos);
}

TEST(EventBridgeEventsTest, RebalanceRecommendationHasNoDeadline) {
  auto parsed = ParseQueueEvent(
      Event("EC2 Instance Rebalance Recommendation", {{"instance-id", "i-0abcdef1234567890"}}).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->kind, QueueEvent::Kind::kRebalanceRecommendation);
  EXPECT_EQ(parsed->instance_id.str(), "i-0abcdef1234567890");
  EXPECT_EQ(parsed->time, k2026_12_02_10h);
  EXPECT_EQ(parsed->deadline, kNever);
}

TEST(EventBridgeEventsTest, StateChangeCarriesEachOfEc2sStates) {
  for (const char* state : {"pending", "running", "stopping", "stopped", "shutting-down", "terminated"}) {
    auto parsed = ParseQueueEvent(
        Event("EC2 Instance State-change Notification", {{"instance-id", "i-0abcdef1234567890"}, {"state", state}})
            .dump());
    ASSERT_TRUE(parsed.ok()) << state << ": " << parsed.status().message();
    EXPECT_EQ(parsed->kind, QueueEvent::Kind::kStateChange);
    EXPECT_EQ(parsed->state, state);
    EXPECT_EQ(parsed->deadline, kNever);
    EXPECT_TRUE(IsInstanceState(state));
  }
  EXPECT_NE(ErrorOf(Event("EC2 Instance State-change Notification",
                          {{"instance-id", "i-0abcdef1234567890"}, {"state", "rebooting"}})
                        .dump())
                .find("detail.state \"rebooting\" is not an EC2 instance state"),
            std::string::npos);
  EXPECT_FALSE(IsInstanceState("Running"));
}

TEST(EventBridgeEventsTest, KindsHaveNames) {
  EXPECT_EQ(ToString(QueueEvent::Kind::kInterruptionWarning), "interruption-warning");
  EXPECT_EQ(ToString(QueueEvent::Kind::kRebalanceRecommendation), "rebalance-recommendation");
  EXPECT_EQ(ToString(QueueEvent::Kind::kStateChange), "state-change");
}

TEST(EventBridgeEventsTest, ExtraFieldsAreIgnored) {
  json event = Interruption();
  event["detail"]["something-new"] = {1, 2, 3};
  event["replay-name"] = "x";
  EXPECT_TRUE(ParseQueueEvent(event.dump()).ok());
}

TEST(EventBridgeEventsTest, OtherDetailTypesAndSourcesAreRefused) {
  EXPECT_NE(ErrorOf(Event("EC2 Instance Launch Successful", {{"instance-id", "i-1"}}).dump())
                .find("detail-type \"EC2 Instance Launch Successful\" is not one Shoal reads"),
            std::string::npos);
  json other_source = Interruption();
  other_source["source"] = "my.app";
  EXPECT_NE(ErrorOf(other_source.dump()).find("source \"my.app\" is not aws.ec2"), std::string::npos);
}

TEST(EventBridgeEventsTest, BodiesThatAreNotAJsonObjectAreRefused) {
  EXPECT_NE(ErrorOf("").find("body is not JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("{\"id\": ").find("body is not JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("notice & more").find("body is not JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]").find("body is not a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf("\"text\"").find("body is not a JSON object"), std::string::npos);
  // Not UTF-8.
  EXPECT_NE(ErrorOf("{\"id\": \"\xff\"}").find("body is not JSON"), std::string::npos);
}

TEST(EventBridgeEventsTest, BodiesOverSqssLimitAreRefusedBeforeParsing) {
  json event = Interruption();
  event["padding"] = std::string(kMaxSqsBodyBytes, 'x');
  EXPECT_NE(ErrorOf(event.dump()).find("over SQS's 262144"), std::string::npos);
  // Up to the limit is read.
  event["padding"] = "";
  const std::string fits = event.dump();
  event["padding"] = std::string(kMaxSqsBodyBytes - fits.size(), 'x');
  ASSERT_EQ(event.dump().size(), kMaxSqsBodyBytes);
  EXPECT_TRUE(ParseQueueEvent(event.dump()).ok());
}

TEST(EventBridgeEventsTest, EachMissingFieldIsNamed) {
  for (const char* key : {"id", "source", "detail-type", "time", "detail"}) {
    json event = Interruption();
    event.erase(key);
    EXPECT_NE(ErrorOf(event.dump()).find(std::string(key) + " is missing"), std::string::npos) << key;
  }
  for (const char* key : {"instance-id", "instance-action"}) {
    json event = Interruption();
    event["detail"].erase(key);
    EXPECT_NE(ErrorOf(event.dump()).find(std::string("detail.") + key + " is missing"), std::string::npos) << key;
  }
  EXPECT_NE(ErrorOf(Event("EC2 Instance State-change Notification", {{"instance-id", "i-1"}}).dump())
                .find("detail.state is missing"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Event("EC2 Instance Rebalance Recommendation", json::object()).dump())
                .find("detail.instance-id is missing"),
            std::string::npos);
}

TEST(EventBridgeEventsTest, FieldsOfTheWrongTypeOrSizeAreNamed) {
  json event = Interruption();
  event["time"] = 1796205600;
  EXPECT_NE(ErrorOf(event.dump()).find("time is not a string"), std::string::npos);
  event = Interruption();
  event["detail"] = "i-1234567890abcdef0";
  EXPECT_NE(ErrorOf(event.dump()).find("detail is not an object"), std::string::npos);
  event = Interruption();
  event["detail"]["instance-id"] = nullptr;
  EXPECT_NE(ErrorOf(event.dump()).find("detail.instance-id is not a string"), std::string::npos);
  event = Interruption();
  event["id"] = "";
  EXPECT_NE(ErrorOf(event.dump()).find("id must be 1..128 bytes, not 0"), std::string::npos);
  event = Interruption();
  event["detail-type"] = std::string(1000, 'x');
  EXPECT_NE(ErrorOf(event.dump()).find("detail-type must be 1..128 bytes, not 1000"), std::string::npos);
}

TEST(EventBridgeEventsTest, TimesMustBeRfc3339UtcInWholeSecondsAfter1970) {
  for (const char* bad : {"2026-12-02 10:00:00Z", "2026-12-02T10:00:00+01:00", "2026-12-02T10:00:00.123Z",
                          "2026-13-02T10:00:00Z", "2026-12-02T25:00:00Z", "yesterday"}) {
    json event = Interruption();
    event["time"] = bad;
    EXPECT_NE(ErrorOf(event.dump()).find("is not RFC 3339 UTC like 2026-12-02T10:00:00Z"), std::string::npos) << bad;
  }
  json event = Interruption();
  event["time"] = "1969-12-31T23:59:59Z";  // would be kNever
  EXPECT_NE(ErrorOf(event.dump()).find("is before 1970"), std::string::npos);
}

TEST(EventBridgeEventsTest, InstanceIdsMustBeSafeAsNamesAndAreShownBounded) {
  for (const std::string& bad : {std::string("i-123 456"), std::string("-i-1"), std::string("i-1/../../etc"),
                                 std::string("i-1\nlevel=error"), std::string(64, 'a')}) {
    json event = Interruption();
    event["detail"]["instance-id"] = bad;
    const std::string error = ErrorOf(event.dump());
    EXPECT_NE(error.find("is not an instance id"), std::string::npos) << bad;
    EXPECT_EQ(error.find('\n'), std::string::npos) << "control characters are not echoed";
  }
  json event = Interruption();
  event["detail"]["instance-id"] = std::string(100, 'a');
  const std::string error = ErrorOf(event.dump());
  EXPECT_NE(error.find("\"...", 0), std::string::npos) << error;
  EXPECT_LT(error.size(), 200u);
}

}  // namespace
}  // namespace shoal::aws
