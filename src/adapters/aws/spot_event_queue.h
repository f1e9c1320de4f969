// SpotEventQueue: reads EC2's spot notices (interruption warnings,
// rebalance recommendations, state changes) from the SQS queue an
// EventBridge rule feeds (spot_event_setup.h makes the rule's pattern and
// the queue's policy), through the shared AwsClient, over SQS's JSON 1.0
// protocol (the one today's SDKs and CLI speak; moto accepts it too).
//
// At least once, end to end:
//   - Receive makes one ReceiveMessage and returns the events it read; each
//     message stays in the queue (invisible for visibility_timeout) until
//     the caller Acks its message id, after it has taken the event. A
//     message never acked comes back after the timeout; a restarted reader
//     gets it again.
//   - SQS may deliver a message twice, and EventBridge an event twice (in
//     two messages): a message id or event id seen recently (a bounded
//     window) is not returned again. A second copy of a message still
//     pending only refreshes its receipt handle (SQS deletes with the
//     newest); any other duplicate is deleted at once, since the event
//     reached the caller in its first copy.
//   - A message that is not a readable event (ParseQueueEvent) is logged
//     and deleted, so a poison message does not come back forever.
//   - Release gives messages back: they are forgotten here and return after
//     their visibility timeout.
// Memory is bounded: the window holds dedup_window ids, and Receive asks
// for no more messages than max_pending leaves room for.
//
// Receive blocks up to wait_time_seconds (long polling): call it from a
// thread of its own when that is more than 0, and keep the client's HTTP
// total timeout above it (30 s by default). Thread-safe; no lock is held
// during a call to SQS.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/eventbridge_events.h"
#include "adapters/aws/recent_ids.h"
#include "core/status.h"
#include "ports/log.h"

namespace shoal::aws {

struct SpotEventQueueOptions {
  std::string queue_url;              // required: https://sqs.<region>.amazonaws.com/<account>/<name>
  int max_messages = 10;              // per ReceiveMessage, 1..10
  int wait_time_seconds = 0;          // long polling, 0..20 (0: SQS answers at once)
  int visibility_timeout_seconds = 60;  // 1..43200: how long a received message stays hidden
  std::size_t dedup_window = 4096;    // message and event ids remembered, 1..1000000
  std::size_t max_pending = 1000;     // events returned and not acked yet, 1..100000
};

// One event as Receive returns it: its message id is what Ack takes.
struct ReceivedEvent {
  std::string message_id;
  QueueEvent event;
};

class SpotEventQueue {
 public:
  // kInvalidArgument when an option is out of its range. `client` and `log`
  // (may be null) must outlive the queue.
  static Result<std::unique_ptr<SpotEventQueue>> Create(SpotEventQueueOptions options, AwsClient* client,
                                                        Logger* log);

  // One ReceiveMessage. The events new to this reader, in the order SQS gave
  // them. kLimitExceeded without a call when max_pending events wait for an
  // Ack; the client's Status when SQS fails (nothing is lost: the messages
  // come back).
  Result<std::vector<ReceivedEvent>> Receive();

  // Deletes the messages of events the caller has taken (DeleteMessageBatch,
  // 10 at a time). Ids not pending (acked before, never received) are done
  // already. A message SQS did not delete stays pending, to Ack again; the
  // Status names each with SQS's code.
  Status Ack(const std::vector<std::string>& message_ids);

  // The caller did not take these events: forget them, so each comes back
  // (and is returned again) after its visibility timeout.
  void Release(const std::vector<std::string>& message_ids);

  // Events returned and not acked or released yet.
  std::size_t pending() const;

 private:
  struct Pending {
    std::string receipt_handle;  // the newest: SQS deletes with the newest only
    std::string event_id;
  };
  // A message to delete: a batch entry.
  struct Receipt {
    std::string message_id;
    std::string receipt_handle;
  };
  // What one message of a ReceiveMessage answer is to this reader.
  enum class Verdict { kNew, kRefreshed, kDuplicate, kPoison };

  SpotEventQueue(SpotEventQueueOptions options, AwsClient* client, Logger* log);
  // Decides about one received message (its body parsed); a new event goes into *out.
  Verdict Classify(const std::string& message_id, const std::string& receipt_handle, Result<QueueEvent> event,
                   std::vector<ReceivedEvent>* out);
  // DeleteMessageBatch over `receipts`, 10 per call; the ids SQS deleted in
  // *deleted, and a Status naming those it did not.
  Status Delete(const std::vector<Receipt>& receipts, std::vector<std::string>* deleted);
  Status DeleteBatch(const std::vector<Receipt>& batch, std::vector<std::string>* deleted);

  SpotEventQueueOptions options_;
  AwsClient* client_;
  Logger* log_;

  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Pending> pending_;  // by message id
  RecentIds recent_;                        // message ids and event ids ("m:"/"e:" prefixed)
};

}  // namespace shoal::aws
