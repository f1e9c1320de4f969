// The documents an operator needs for the spot notices' queue mode: the
// EventBridge rule's pattern, the queue policy and the reader's IAM policy.
#include "adapters/aws/spot_event_setup.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace shoal::aws {
namespace {

using nlohmann::json;

constexpr const char* kQueue = "arn:aws:sqs:us-east-1:123456789012:shoal-spot";
constexpr const char* kRule = "arn:aws:events:us-east-1:123456789012:rule/shoal-spot";

json Parsed(const Result<std::string>& text) {
  EXPECT_TRUE(text.ok()) << text.status().message();
  return text.ok() ? json::parse(*text) : json();
}

TEST(SpotEventSetupTest, RulePatternRoutesTheThreeDetailTypesOfEc2) {
  const json expected = {{"source", {"aws.ec2"}},
                         {"detail-type", {"EC2 Spot Instance Interruption Warning",
                                          "EC2 Instance Rebalance Recommendation",
                                          "EC2 Instance State-change Notification"}}};
  EXPECT_EQ(Parsed(SpotEventRulePattern({})), expected);
}

TEST(SpotEventSetupTest, RulePatternWithoutStateChanges) {
  SpotEventRuleOptions options;
  options.state_changes = false;
  const json expected = {
      {"source", {"aws.ec2"}},
      {"detail-type", {"EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"}}};
  EXPECT_EQ(Parsed(SpotEventRulePattern(options)), expected);
}

TEST(SpotEventSetupTest, RulePatternFiltersStateChangesByStateThroughAnOr) {
  SpotEventRuleOptions options;
  options.states = {"shutting-down", "terminated"};
  const json expected = {
      {"source", {"aws.ec2"}},
      {"$or",
       {{{"detail-type", {"EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"}}},
        {{"detail-type", {"EC2 Instance State-change Notification"}},
         {"detail", {{"state", {"shutting-down", "terminated"}}}}}}}};
  EXPECT_EQ(Parsed(SpotEventRulePattern(options)), expected);
}

TEST(SpotEventSetupTest, RulePatternRefusesUnknownStatesAndStatesWithoutStateChanges) {
  SpotEventRuleOptions options;
  options.states = {"terminated", "gone"};
  auto bad = SpotEventRulePattern(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("state 'gone' is not an EC2 instance state"), std::string::npos);
  options.states = {"terminated"};
  options.state_changes = false;
  bad = SpotEventRulePattern(options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("state changes are not routed"), std::string::npos);
}

TEST(SpotEventSetupTest, QueuePolicyLetsOnlyTheRuleSend) {
  const json policy = Parsed(SpotEventQueuePolicy(kQueue, kRule));
  ASSERT_EQ(policy["Version"], "2012-10-17");
  ASSERT_EQ(policy["Statement"].size(), 1u);
  const json& s = policy["Statement"][0];
  EXPECT_EQ(s["Effect"], "Allow");
  EXPECT_EQ(s["Principal"], json({{"Service", "events.amazonaws.com"}}));
  EXPECT_EQ(s["Action"], "sqs:SendMessage");
  EXPECT_EQ(s["Resource"], kQueue);
  EXPECT_EQ(s["Condition"], json({{"ArnEquals", {{"aws:SourceArn", kRule}}}}));
}

TEST(SpotEventSetupTest, QueuePolicyTakesFifoQueuesOtherPartitionsAndCustomBuses) {
  EXPECT_TRUE(SpotEventQueuePolicy("arn:aws:sqs:us-east-1:123456789012:shoal-spot.fifo", kRule).ok());
  EXPECT_TRUE(SpotEventQueuePolicy("arn:aws-cn:sqs:cn-north-1:123456789012:q",
                                   "arn:aws-cn:events:cn-north-1:123456789012:rule/r").ok());
  EXPECT_TRUE(SpotEventQueuePolicy(kQueue, "arn:aws:events:us-east-1:123456789012:rule/my-bus/shoal.spot_1").ok());
}

TEST(SpotEventSetupTest, QueuePolicyRefusesWhatIsNotAQueueOrARule) {
  const std::pair<std::string, std::string> cases[] = {
      {"", kRule},
      {"https://sqs.us-east-1.amazonaws.com/123456789012/shoal-spot", kRule},
      {"arn:aws:sqs:us-east-1:12345:shoal-spot", kRule},                    // account
      {"arn:aws:sns:us-east-1:123456789012:shoal-spot", kRule},             // service
      {"arn:aws:sqs:us-east-1:123456789012:shoal spot", kRule},             // queue name
      {"arn:aws:sqs:us-east-1:123456789012:" + std::string(81, 'q'), kRule},
      {"arn:aws:sqs:us-east-1:123456789012:\"}],\"x\":\"", kRule},           // quotes
      {kQueue, "arn:aws:events:us-east-1:123456789012:event-bus/default"},
      {kQueue, "arn:aws:events:us-east-1:123456789012:rule/"},
      {kQueue, "arn:aws:sqs:us-east-1:123456789012:rule/x"},
      {kQueue, "arn:aws:events::123456789012:rule/x"},                      // region
  };
  for (const auto& [queue, rule] : cases) {
    auto policy = SpotEventQueuePolicy(queue, rule);
    EXPECT_FALSE(policy.ok()) << queue << " " << rule;
    EXPECT_EQ(policy.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(policy.status().message().find("ARN"), std::string::npos) << policy.status().message();
  }
}

TEST(SpotEventSetupTest, ReaderPolicyAllowsReceiveAndDeleteOnTheQueue) {
  const json policy = Parsed(SpotEventReaderPolicy(kQueue));
  ASSERT_EQ(policy["Statement"].size(), 1u);
  const json& s = policy["Statement"][0];
  EXPECT_EQ(s["Effect"], "Allow");
  EXPECT_EQ(s["Action"], json::array({"sqs:ReceiveMessage", "sqs:DeleteMessage"}));
  EXPECT_EQ(s["Resource"], kQueue);
  EXPECT_FALSE(SpotEventReaderPolicy("shoal-spot").ok());
}

}  // namespace
}  // namespace shoal::aws
