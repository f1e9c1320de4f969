// SpotEventQueue on a scripted HTTP client: what it sends (ReceiveMessage,
// DeleteMessageBatch over SQS's JSON protocol), what it returns, and its
// at-least-once rules: delete only on Ack, poison messages deleted,
// duplicates (same message, same event) dropped, partial failures kept
// pending, memory bounded.
#include "adapters/aws/spot_event_queue.h"

#include <gtest/gtest.h>

#include <functional>

#include "aws_test_util.h"
#include "scripted_client_fixture.h"

namespace shoal::aws {
namespace {

using nlohmann::json;
using testing::FakeSleeper;
using testing::ManualClock;
using testing::ScriptedClientTest;
using testing::ScriptedHttp;

constexpr Seconds kNow = 1796205600;
constexpr const char* kQueueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/shoal-spot";

std::string Body(const std::string& event_id, const std::string& instance) {
  return json{{"version", "0"},
              {"id", event_id},
              {"detail-type", "EC2 Spot Instance Interruption Warning"},
              {"source", "aws.ec2"},
              {"time", "2026-12-02T10:00:00Z"},
              {"detail", {{"instance-id", instance}, {"instance-action", "terminate"}}}}
      .dump();
}

json Message(const std::string& id, const std::string& handle, const std::string& body) {
  return {{"MessageId", id}, {"ReceiptHandle", handle}, {"MD5OfBody", "x"}, {"Body", body}};
}

// A ReceiveMessage answer.
HttpOutcome Received(std::vector<json> messages) {
  json answer = json::object();
  if (!messages.empty()) answer["Messages"] = messages;
  return ScriptedHttp::Answer(200, answer.dump(), {{"x-amzn-requestid", "req-1"}});
}

// A DeleteMessageBatch answer: these entry ids deleted, these failed (id, code).
HttpOutcome Deleted(std::vector<std::string> ok, std::vector<std::pair<std::string, std::string>> failed = {}) {
  json answer = {{"Successful", json::array()}, {"Failed", json::array()}};
  for (const auto& id : ok) answer["Successful"].push_back({{"Id", id}});
  for (const auto& [id, code] : failed) {
    answer["Failed"].push_back({{"Id", id}, {"SenderFault", true}, {"Code", code}, {"Message", "no good"}});
  }
  return ScriptedHttp::Answer(200, answer.dump());
}

std::vector<std::string> IdsOf(const std::vector<ReceivedEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.message_id);
  return out;
}

class SpotEventQueueTest : public ScriptedClientTest {
 protected:
  SpotEventQueueTest() : ScriptedClientTest(kNow) {}

  void SetUp() override {
    ScriptedClientTest::SetUp();
    if (HasFatalFailure()) return;
    MakeQueue({});
  }

  void MakeQueue(SpotEventQueueOptions options) {
    options.queue_url = kQueueUrl;
    auto queue = SpotEventQueue::Create(std::move(options), client_.get(), &log_);
    ASSERT_TRUE(queue.ok()) << queue.status().message();
    queue_ = std::move(*queue);
  }

  // Receives with `answer` scripted; the events' message ids.
  std::vector<std::string> ReceiveIds(HttpOutcome answer, HttpOutcome delete_answer = Deleted({})) {
    http_.ClearScript();
    http_.Push(std::move(answer));
    http_.Push(std::move(delete_answer));
    auto events = queue_->Receive();
    EXPECT_TRUE(events.ok()) << events.status().message();
    return events.ok() ? IdsOf(*events) : std::vector<std::string>{};
  }

  // The request bodies sent so far, from the `from`th on, with their X-Amz-Target.
  std::vector<std::pair<std::string, json>> Sent(std::size_t from = 0) {
    std::vector<std::pair<std::string, json>> out;
    const auto requests = http_.requests();
    for (std::size_t i = from; i < requests.size(); ++i) {
      out.emplace_back(HeaderValue(requests[i].headers, "X-Amz-Target"), json::parse(requests[i].body));
    }
    return out;
  }

  // The receipt handles of the DeleteMessageBatch request `sent`.
  static std::vector<std::string> Handles(const json& sent) {
    std::vector<std::string> out;
    for (const json& entry : sent["Entries"]) out.push_back(entry["ReceiptHandle"]);
    return out;
  }

  bool Logged(const std::string& event, const std::string& field, const std::string& value) {
    for (const LogEvent& e : log_.events()) {
      if (e.event != event) continue;
      for (const LogField& f : e.fields) {
        if (f.key == field && f.value.find(value) != std::string::npos) return true;
      }
    }
    return false;
  }

  std::unique_ptr<SpotEventQueue> queue_;
};

TEST_F(SpotEventQueueTest, OptionsOutOfRangeAreRefusedByName) {
  const std::pair<std::string, std::function<void(SpotEventQueueOptions&)>> cases[] = {
      {"queue_url", [](auto& o) { o.queue_url = ""; }},
      {"queue_url", [](auto& o) { o.queue_url = "sqs.us-east-1.amazonaws.com/1/q"; }},
      {"queue_url", [](auto& o) { o.queue_url = "https://sqs/1/q x"; }},
      {"max_messages", [](auto& o) { o.max_messages = 0; }},
      {"max_messages", [](auto& o) { o.max_messages = 11; }},
      {"wait_time_seconds", [](auto& o) { o.wait_time_seconds = -1; }},
      {"wait_time_seconds", [](auto& o) { o.wait_time_seconds = 21; }},
      {"visibility_timeout_seconds", [](auto& o) { o.visibility_timeout_seconds = 0; }},
      {"visibility_timeout_seconds", [](auto& o) { o.visibility_timeout_seconds = 43201; }},
      {"dedup_window", [](auto& o) { o.dedup_window = 0; }},
      {"max_pending", [](auto& o) { o.max_pending = 0; }},
  };
  for (const auto& [name, change] : cases) {
    SpotEventQueueOptions options;
    options.queue_url = kQueueUrl;
    change(options);
    auto queue = SpotEventQueue::Create(options, client_.get(), nullptr);
    ASSERT_FALSE(queue.ok()) << name;
    EXPECT_EQ(queue.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(queue.status().message().find(name), std::string::npos) << queue.status().message();
  }
  SpotEventQueueOptions options;
  options.queue_url = kQueueUrl;
  EXPECT_FALSE(SpotEventQueue::Create(options, nullptr, nullptr).ok());
}

TEST_F(SpotEventQueueTest, ReceiveAsksSqsOverTheJsonProtocolAndReturnsTheEvents) {
  SpotEventQueueOptions options;
  options.max_messages = 5;
  options.wait_time_seconds = 20;
  options.visibility_timeout_seconds = 30;
  MakeQueue(options);
  http_.Push(Received({Message("m-1", "h-1", Body("e-1", "i-0aaaaaaaaaaaaaaa1")),
                       Message("m-2", "h-2", Body("e-2", "i-0aaaaaaaaaaaaaaa2"))}));
  auto events = queue_->Receive();
  ASSERT_TRUE(events.ok()) << events.status().message();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].message_id, "m-1");
  EXPECT_EQ((*events)[0].event.instance_id.str(), "i-0aaaaaaaaaaaaaaa1");
  EXPECT_EQ((*events)[0].event.deadline, kNow + 120);
  EXPECT_EQ((*events)[1].event.event_id, "e-2");
  EXPECT_EQ(queue_->pending(), 2u);

  const auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u) << "nothing is deleted before an Ack";
  EXPECT_EQ(sent[0].first, "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(sent[0].second, json({{"QueueUrl", kQueueUrl},
                                  {"MaxNumberOfMessages", 5},
                                  {"WaitTimeSeconds", 20},
                                  {"VisibilityTimeout", 30}}));
  EXPECT_EQ(HeaderValue(http_.requests()[0].headers, "Content-Type"), "application/x-amz-json-1.0");
}

TEST_F(SpotEventQueueTest, AnEmptyQueueGivesNoEvents) {
  EXPECT_TRUE(ReceiveIds(Received({})).empty());
  EXPECT_TRUE(ReceiveIds(ScriptedHttp::Answer(200, "{\"Messages\": []}")).empty());
  EXPECT_EQ(Sent().size(), 2u);
}

TEST_F(SpotEventQueueTest, AckDeletesTheMessagesInOneBatchAndOnlyOnce) {
  ASSERT_EQ(ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1")),
                                 Message("m-2", "h-2", Body("e-2", "i-2"))})),
            (std::vector<std::string>{"m-1", "m-2"}));
  http_.ClearScript();
  http_.Push(Deleted({"0", "1"}));
  ASSERT_TRUE(queue_->Ack({"m-1", "m-2", "m-1"}).ok());
  EXPECT_EQ(queue_->pending(), 0u);
  const auto sent = Sent(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, "AmazonSQS.DeleteMessageBatch");
  EXPECT_EQ(sent[0].second["QueueUrl"], kQueueUrl);
  EXPECT_EQ(sent[0].second["Entries"], json::parse(R"([{"Id":"0","ReceiptHandle":"h-1"},
                                                        {"Id":"1","ReceiptHandle":"h-2"}])"));
  // Acked, or never received: nothing to do, no call.
  EXPECT_TRUE(queue_->Ack({"m-1", "m-9"}).ok());
  EXPECT_EQ(Sent().size(), 2u);
}

TEST_F(SpotEventQueueTest, AckSendsAtMostTenEntriesPerCall) {
  std::vector<json> first, second;
  for (int i = 0; i < 13; ++i) {
    const std::string n = std::to_string(i);
    (i < 10 ? first : second).push_back(Message("m-" + n, "h-" + n, Body("e-" + n, "i-1")));
  }
  std::vector<std::string> ids = ReceiveIds(Received(first));
  for (const auto& id : ReceiveIds(Received(second))) ids.push_back(id);
  ASSERT_EQ(ids.size(), 13u);
  http_.ClearScript();
  http_.Push(Deleted({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  http_.Push(Deleted({"0", "1", "2"}));
  ASSERT_TRUE(queue_->Ack(ids).ok());
  const auto sent = Sent(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].second["Entries"].size(), 10u);
  EXPECT_EQ(Handles(sent[1].second), (std::vector<std::string>{"h-10", "h-11", "h-12"}));
  EXPECT_EQ(queue_->pending(), 0u);
}

TEST_F(SpotEventQueueTest, PartialFailuresAreReportedAndStayPendingForTheNextAck) {
  ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1")), Message("m-2", "h-2", Body("e-2", "i-2")),
                      Message("m-3", "h-3", Body("e-3", "i-3"))}));
  http_.ClearScript();
  // m-2 failed, m-3 is in neither list.
  http_.Push(Deleted({"0"}, {{"1", "ReceiptHandleIsInvalid"}}));
  const Status status = queue_->Ack({"m-1", "m-2", "m-3"});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  EXPECT_NE(status.message().find("m-2 (ReceiptHandleIsInvalid: no good)"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("m-3 (not in the answer)"), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("m-1"), std::string::npos) << status.message();
  EXPECT_EQ(queue_->pending(), 2u);

  http_.ClearScript();
  http_.Push(Deleted({"0", "1"}));
  ASSERT_TRUE(queue_->Ack({"m-1", "m-2", "m-3"}).ok());
  EXPECT_EQ(Handles(Sent().back().second), (std::vector<std::string>{"h-2", "h-3"}));
  EXPECT_EQ(queue_->pending(), 0u);
}

TEST_F(SpotEventQueueTest, AFailedDeleteCallKeepsEverythingPending) {
  ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1"))}));
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(403, R"({"__type":"com.amazonaws.sqs#AccessDenied","message":"no"})"));
  const Status status = queue_->Ack({"m-1"});
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.message();
  EXPECT_NE(status.message().find("acking spot events: sqs DeleteMessageBatch"), std::string::npos);
  EXPECT_EQ(queue_->pending(), 1u);
}

TEST_F(SpotEventQueueTest, AFailedReceiveSaysSoAndTakesNothing) {
  http_.Push(ScriptedHttp::Answer(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"})",
                                  {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}));
  auto events = queue_->Receive();
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.status().code(), StatusCode::kNotFound) << events.status().message();
  EXPECT_NE(events.status().message().find("receiving spot events: sqs ReceiveMessage"), std::string::npos);
  EXPECT_EQ(queue_->pending(), 0u);
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, R"({"Messages": {"not": "a list"}})"));
  EXPECT_EQ(queue_->Receive().status().code(), StatusCode::kInternal);
}

TEST_F(SpotEventQueueTest, PoisonMessagesAreLoggedAndDeletedAtOnce) {
  const std::string other_type = json{{"id", "e-9"}, {"source", "aws.ec2"}, {"detail-type", "EC2 AMI State Change"},
                                      {"time", "2026-12-02T10:00:00Z"}, {"detail", json::object()}}.dump();
  const auto ids = ReceiveIds(Received({Message("m-bad", "h-bad", "{not json"),
                                        Message("m-1", "h-1", Body("e-1", "i-1")),
                                        Message("m-other", "h-other", other_type),
                                        Message("m-id", "h-id", Body("e-2", "i-1/../x"))}),
                              Deleted({"0", "1", "2"}));
  EXPECT_EQ(ids, (std::vector<std::string>{"m-1"}));
  const auto sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].first, "AmazonSQS.DeleteMessageBatch");
  EXPECT_EQ(Handles(sent[1].second), (std::vector<std::string>{"h-bad", "h-other", "h-id"}));
  EXPECT_TRUE(Logged("spot_queue_poison_message", "error", "body is not JSON"));
  EXPECT_TRUE(Logged("spot_queue_poison_message", "error", "\"EC2 AMI State Change\" is not one Shoal reads"));
  EXPECT_TRUE(Logged("spot_queue_poison_message", "error", "is not an instance id"));
  EXPECT_EQ(queue_->pending(), 1u);
}

TEST_F(SpotEventQueueTest, AFailedPoisonDeleteIsLoggedAndTheEventsStillReturned) {
  http_.Push(Received({Message("m-bad", "h-bad", "{not json"), Message("m-1", "h-1", Body("e-1", "i-1"))}));
  http_.Push(Deleted({}, {{"0", "InternalError"}}));
  auto events = queue_->Receive();
  ASSERT_TRUE(events.ok()) << events.status().message();
  EXPECT_EQ(IdsOf(*events), (std::vector<std::string>{"m-1"}));
  EXPECT_TRUE(Logged("spot_queue_delete_failed", "error", "m-bad (InternalError: no good)"));
  // It comes back, and is deleted then.
  EXPECT_TRUE(ReceiveIds(Received({Message("m-bad", "h-bad2", "{not json")}), Deleted({"0"})).empty());
  EXPECT_EQ(Handles(Sent().back().second), (std::vector<std::string>{"h-bad2"}));
}

TEST_F(SpotEventQueueTest, MessagesWithoutIdOrHandleAreNotReturned) {
  json no_handle = {{"MessageId", "m-1"}, {"Body", Body("e-1", "i-1")}};
  json no_id = {{"ReceiptHandle", "h-2"}, {"Body", Body("e-2", "i-2")}};
  json no_body = {{"MessageId", "m-3"}, {"ReceiptHandle", "h-3"}};
  EXPECT_TRUE(ReceiveIds(Received({no_handle, no_id, no_body, json("junk")}), Deleted({"0", "1"})).empty());
  EXPECT_EQ(Handles(Sent().back().second), (std::vector<std::string>{"h-2", "h-3"}));
  EXPECT_TRUE(Logged("spot_queue_unreadable_message", "message_id", "m-1"));
  EXPECT_EQ(queue_->pending(), 0u);
}

TEST_F(SpotEventQueueTest, ARedeliveryOfAPendingMessageIsDroppedAndRefreshesItsHandle) {
  ASSERT_EQ(ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1"))})).size(), 1u);
  // Its visibility timeout passed before the Ack: SQS gives it again, with a new handle.
  EXPECT_TRUE(ReceiveIds(Received({Message("m-1", "h-1b", Body("e-1", "i-1"))})).empty());
  EXPECT_EQ(Sent().size(), 2u) << "a pending message is not deleted before its Ack";
  http_.ClearScript();
  http_.Push(Deleted({"0"}));
  ASSERT_TRUE(queue_->Ack({"m-1"}).ok());
  EXPECT_EQ(Handles(Sent().back().second), (std::vector<std::string>{"h-1b"}));
}

TEST_F(SpotEventQueueTest, ARedeliveryOfAnAckedMessageIsDeletedNotReturned) {
  ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1"))}));
  http_.ClearScript();
  http_.Push(Deleted({"0"}));
  ASSERT_TRUE(queue_->Ack({"m-1"}).ok());
  EXPECT_TRUE(ReceiveIds(Received({Message("m-1", "h-1c", Body("e-1", "i-1"))}), Deleted({"0"})).empty());
  EXPECT_EQ(Handles(Sent().back().second), (std::vector<std::string>{"h-1c"}));
  EXPECT_TRUE(Logged("spot_queue_duplicate", "of", "message"));
}

TEST_F(SpotEventQueueTest, TheSameEventInAnotherMessageIsDeletedNotReturned) {
  // EventBridge delivered the event twice: two messages, one event id.
  const auto ids = ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1")),
                                        Message("m-2", "h-2", Body("e-1", "i-1"))}),
                              Deleted({"0"}));
  EXPECT_EQ(ids, (std::vector<std::string>{"m-1"}));
  EXPECT_EQ(Handles(Sent().back().second), (std::vector<std::string>{"h-2"}));
  EXPECT_TRUE(Logged("spot_queue_duplicate", "event_id", "e-1"));
  EXPECT_EQ(queue_->pending(), 1u) << "the first copy waits for its Ack";
}

TEST_F(SpotEventQueueTest, ReleasedEventsAreReturnedAgainWhenTheyComeBack) {
  ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1"))}));
  queue_->Release({"m-1", "m-unknown"});
  EXPECT_EQ(queue_->pending(), 0u);
  EXPECT_EQ(ReceiveIds(Received({Message("m-1", "h-1d", Body("e-1", "i-1"))})), (std::vector<std::string>{"m-1"}));
  EXPECT_EQ(Sent().size(), 2u);
}

TEST_F(SpotEventQueueTest, ReceiveAsksOnlyForWhatMaxPendingLeavesRoomFor) {
  SpotEventQueueOptions options;
  options.max_pending = 3;
  MakeQueue(options);
  ReceiveIds(Received({Message("m-1", "h-1", Body("e-1", "i-1")), Message("m-2", "h-2", Body("e-2", "i-2"))}));
  EXPECT_EQ(Sent()[0].second["MaxNumberOfMessages"], 3);
  ReceiveIds(Received({Message("m-3", "h-3", Body("e-3", "i-3"))}));
  EXPECT_EQ(Sent()[1].second["MaxNumberOfMessages"], 1);
  auto full = queue_->Receive();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kLimitExceeded);
  EXPECT_NE(full.status().message().find("3 events wait for an Ack"), std::string::npos);
  EXPECT_EQ(Sent().size(), 2u) << "no call when full";
  queue_->Release({"m-3"});
  EXPECT_TRUE(queue_->Receive().ok());
}

TEST_F(SpotEventQueueTest, TheDedupWindowIsBounded) {
  SpotEventQueueOptions options;
  options.dedup_window = 4;  // two messages: each takes its message id and its event id
  MakeQueue(options);
  for (int i = 1; i <= 3; ++i) {
    const std::string n = std::to_string(i);
    ReceiveIds(Received({Message("m-" + n, "h-" + n, Body("e-" + n, "i-1"))}));
  }
  http_.ClearScript();
  http_.Push(Deleted({"0", "1", "2"}));
  ASSERT_TRUE(queue_->Ack({"m-1", "m-2", "m-3"}).ok());
  // m-1 fell out of the window: its (rare) redelivery is returned again; m-3 is still known.
  EXPECT_EQ(ReceiveIds(Received({Message("m-1", "h-1e", Body("e-1", "i-1"))})), (std::vector<std::string>{"m-1"}));
  EXPECT_TRUE(ReceiveIds(Received({Message("m-3", "h-3e", Body("e-3", "i-1"))}), Deleted({"0"})).empty());
}

TEST(RecentIdsTest, ForgetsTheOldestPastItsCapacity) {
  RecentIds ids(3);
  EXPECT_TRUE(ids.Insert("a"));
  EXPECT_TRUE(ids.Insert("b"));
  EXPECT_FALSE(ids.Insert("a"));
  EXPECT_TRUE(ids.Insert("c"));
  EXPECT_TRUE(ids.Insert("d"));
  EXPECT_FALSE(ids.Contains("a"));
  EXPECT_TRUE(ids.Contains("b"));
  EXPECT_EQ(ids.size(), 3u);
  ids.Erase("b");
  EXPECT_FALSE(ids.Contains("b"));
  EXPECT_TRUE(ids.Insert("b"));  // new again, and now the newest
  EXPECT_TRUE(ids.Insert("e"));
  EXPECT_FALSE(ids.Contains("c"));
  EXPECT_TRUE(ids.Contains("b"));
}

TEST(RecentIdsTest, StaysBoundedUnderEraseAndInsert) {
  RecentIds ids(10);
  for (int i = 0; i < 100000; ++i) {
    const std::string id = std::to_string(i % 50);
    ids.Insert(id);
    if (i % 3 == 0) ids.Erase(id);
    ASSERT_LE(ids.size(), 10u);
  }
}

}  // namespace
}  // namespace shoal::aws
