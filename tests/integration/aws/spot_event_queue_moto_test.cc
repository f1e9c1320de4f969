// SpotEventQueue against a real moto_server on a free loopback port:
// EventBridge-shaped bodies sent to a queue are received as events, a
// malformed one is deleted, Ack empties the queue, a message not acked
// comes back after its visibility timeout (1 s), and the rule pattern of
// spot_event_setup.h routes EC2's events into the queue through moto's
// EventBridge (driven by boto3, as an operator's tooling would).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "adapters/aws/client.h"
#include "adapters/aws/spot_event_queue.h"
#include "adapters/aws/spot_event_setup.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"

namespace shoal::aws {
namespace {

using nlohmann::json;

std::string Event(const std::string& id, const std::string& detail_type, json detail) {
  return json{{"version", "0"},     {"id", id},
              {"detail-type", detail_type}, {"source", "aws.ec2"},
              {"account", "123456789012"}, {"time", "2026-12-02T10:00:00Z"},
              {"region", "us-east-1"},   {"resources", json::array()},
              {"detail", std::move(detail)}}
      .dump();
}

class SpotEventQueueMotoTest : public testing::MotoClientSuite {
 protected:
  void SetUp() override {
    MotoClientSuite::SetUp();
    if (HasFatalFailure()) return;
    // One queue per test: the suite shares one moto.
    const std::string name = std::string("spot-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto created = client_->Json(Service::kSqs, "CreateQueue", {{"QueueName", name}});
    ASSERT_TRUE(created.ok()) << created.status().message();
    queue_url_ = (*created)["QueueUrl"];
  }

  std::unique_ptr<SpotEventQueue> Reader(int visibility_timeout_seconds = 30) {
    SpotEventQueueOptions options;
    options.queue_url = queue_url_;
    options.visibility_timeout_seconds = visibility_timeout_seconds;
    auto queue = SpotEventQueue::Create(options, client_.get(), &log_);
    EXPECT_TRUE(queue.ok()) << queue.status().message();
    return queue.ok() ? std::move(*queue) : nullptr;
  }

  void Send(const std::string& body) {
    auto sent = client_->Json(Service::kSqs, "SendMessage", {{"QueueUrl", queue_url_}, {"MessageBody", body}});
    ASSERT_TRUE(sent.ok()) << sent.status().message();
  }

  // A queue attribute as SQS reports it.
  std::string Attribute(const std::string& name) {
    auto answer = client_->Json(Service::kSqs, "GetQueueAttributes",
                                {{"QueueUrl", queue_url_}, {"AttributeNames", json::array({name})}});
    EXPECT_TRUE(answer.ok()) << answer.status().message();
    if (!answer.ok() || !answer->contains("Attributes")) return "?";
    return (*answer)["Attributes"].value(name, std::string("?"));
  }

  // Every message left in the queue, visible or not.
  int MessagesLeft() {
    return std::stoi(Attribute("ApproximateNumberOfMessages")) +
           std::stoi(Attribute("ApproximateNumberOfMessagesNotVisible"));
  }

  // Receives until `count` events came or `timeout` passed.
  static std::vector<ReceivedEvent> ReceiveUntil(SpotEventQueue& reader, std::size_t count,
                                                 std::chrono::milliseconds timeout) {
    std::vector<ReceivedEvent> out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < end) {
      auto events = reader.Receive();
      EXPECT_TRUE(events.ok()) << events.status().message();
      if (!events.ok()) break;
      for (auto& e : *events) out.push_back(std::move(e));
      if (out.size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return out;
  }

  static std::vector<std::string> IdsOf(const std::vector<ReceivedEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.message_id);
    return out;
  }

  std::string queue_url_;
};

TEST_F(SpotEventQueueMotoTest, ReceivesEachKindDeletesPoisonAndAckEmptiesTheQueue) {
  Send(Event("e-1", "EC2 Spot Instance Interruption Warning",
             {{"instance-id", "i-0123456789abcdef0"}, {"instance-action", "terminate"}}));
  Send("{\"detail-type\": \"EC2 Spot Instance Interruption Warning\", ");  // cut short
  Send(Event("e-2", "EC2 Instance Rebalance Recommendation", {{"instance-id", "i-0123456789abcdef1"}}));
  Send(Event("e-3", "EC2 Instance State-change Notification",
             {{"instance-id", "i-0123456789abcdef2"}, {"state", "terminated"}}));
  Send(Event("e-4", "EC2 AMI State Change", {{"ImageId", "ami-1"}}));
  ASSERT_EQ(MessagesLeft(), 5);

  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  const auto events = ReceiveUntil(*reader, 3, std::chrono::seconds(10));
  ASSERT_EQ(events.size(), 3u);
  std::map<QueueEvent::Kind, QueueEvent> by_kind;
  for (const auto& e : events) by_kind[e.event.kind] = e.event;
  ASSERT_EQ(by_kind.size(), 3u);
  const QueueEvent& warning = by_kind[QueueEvent::Kind::kInterruptionWarning];
  EXPECT_EQ(warning.instance_id.str(), "i-0123456789abcdef0");
  EXPECT_EQ(warning.deadline, 1796205600 + 120);
  EXPECT_EQ(by_kind[QueueEvent::Kind::kRebalanceRecommendation].instance_id.str(), "i-0123456789abcdef1");
  EXPECT_EQ(by_kind[QueueEvent::Kind::kStateChange].state, "terminated");
  // The two poison messages are gone already; the three events wait for their Ack.
  EXPECT_EQ(MessagesLeft(), 3);
  EXPECT_EQ(reader->pending(), 3u);

  ASSERT_TRUE(reader->Ack(IdsOf(events)).ok());
  EXPECT_EQ(reader->pending(), 0u);
  EXPECT_EQ(MessagesLeft(), 0);
  auto again = Reader()->Receive();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(again->empty());
}

TEST_F(SpotEventQueueMotoTest, AMessageNotAckedReappearsAfterItsVisibilityTimeout) {
  Send(Event("e-10", "EC2 Spot Instance Interruption Warning",
             {{"instance-id", "i-0123456789abcdef0"}, {"instance-action", "stop"}}));
  auto first = Reader(/*visibility_timeout_seconds=*/1);
  const auto taken = ReceiveUntil(*first, 1, std::chrono::seconds(5));
  ASSERT_EQ(taken.size(), 1u);
  // Hidden while its timeout runs: nobody gets it.
  auto hidden = Reader(1)->Receive();
  ASSERT_TRUE(hidden.ok()) << hidden.status().message();
  EXPECT_TRUE(hidden->empty());
  EXPECT_EQ(Attribute("ApproximateNumberOfMessagesNotVisible"), "1");

  // Not acked (the reader stopped, say): after a second, a new reader gets it again.
  auto restarted = Reader(1);
  const auto again = ReceiveUntil(*restarted, 1, std::chrono::seconds(5));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message_id, taken[0].message_id);
  EXPECT_EQ(again[0].event.action, "stop");
  ASSERT_TRUE(restarted->Ack({again[0].message_id}).ok());
  EXPECT_EQ(MessagesLeft(), 0);
}

TEST_F(SpotEventQueueMotoTest, TheSameReaderDropsARedeliveryAndReleaseGivesTheEventBack) {
  Send(Event("e-20", "EC2 Instance Rebalance Recommendation", {{"instance-id", "i-0123456789abcdef0"}}));
  auto reader = Reader(/*visibility_timeout_seconds=*/1);
  const auto taken = ReceiveUntil(*reader, 1, std::chrono::seconds(5));
  ASSERT_EQ(taken.size(), 1u);
  // It becomes visible again and this reader receives it, but does not return it twice.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_TRUE(ReceiveUntil(*reader, 1, std::chrono::milliseconds(1500)).empty());
  bool redelivered = false;
  for (const LogEvent& e : log_.events()) redelivered = redelivered || e.event == "spot_queue_redelivered";
  EXPECT_TRUE(redelivered);
  EXPECT_EQ(MessagesLeft(), 1);

  // Released: returned again once its timeout has passed.
  reader->Release({taken[0].message_id});
  const auto back = ReceiveUntil(*reader, 1, std::chrono::seconds(5));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].message_id, taken[0].message_id);
  ASSERT_TRUE(reader->Ack({back[0].message_id}).ok());
  EXPECT_EQ(MessagesLeft(), 0);
}

TEST_F(SpotEventQueueMotoTest, TheRulePatternRoutesEc2sNoticesThroughEventBridge) {
  SHOAL_REQUIRE_EXECUTABLE(testing::PythonPath());
  SpotEventRuleOptions rule;
  rule.states = {"shutting-down", "terminated"};
  auto pattern = SpotEventRulePattern(rule);
  ASSERT_TRUE(pattern.ok()) << pattern.status().message();
  const std::string queue_arn = Attribute("QueueArn");
  // The operator's side, through boto3: the rule, its target and EC2's events
  // (moto lets anyone put aws.ec2 events; AWS does not).
  const char* script = R"(
import json, sys, boto3
url, pattern, queue_arn = sys.argv[1:4]
events = boto3.client("events", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
events.put_rule(Name="shoal-spot", EventPattern=pattern)
events.put_targets(Rule="shoal-spot", Targets=[{"Id": "queue", "Arn": queue_arn}])
def put(source, detail_type, **detail):
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    answer = events.put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0, answer
def ids(n):
    return {"instance-id": "i-0123456789abcdef%d" % n}
put("aws.ec2", "EC2 Spot Instance Interruption Warning", **ids(0), **{"instance-action": "terminate"})
put("aws.ec2", "EC2 Instance Rebalance Recommendation", **ids(1))
put("aws.ec2", "EC2 Instance State-change Notification", **ids(2), state="terminated")
put("aws.ec2", "EC2 Instance State-change Notification", **ids(3), state="running")
put("aws.ec2", "EC2 AMI State Change", ImageId="ami-1")
put("my.app", "EC2 Spot Instance Interruption Warning", **ids(4), **{"instance-action": "terminate"})
)";
  std::string out, err;
  ASSERT_EQ(testing::RunCapture({testing::PythonPath(), "-c", script, moto_->url(), *pattern, queue_arn}, &out, &err),
            0)
      << err;

  auto reader = Reader();
  const auto events = ReceiveUntil(*reader, 3, std::chrono::seconds(10));
  std::set<std::string> instances;
  for (const auto& e : events) instances.insert(e.event.instance_id.str());
  EXPECT_EQ(instances, (std::set<std::string>{"i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef2"}));
  ASSERT_TRUE(reader->Ack(IdsOf(events)).ok());
  // Nothing else was routed: no poison was deleted, the queue is empty.
  EXPECT_EQ(MessagesLeft(), 0);
  for (const LogEvent& e : log_.events()) EXPECT_NE(e.event, "spot_queue_poison_message");
}

}  // namespace
}  // namespace shoal::aws
