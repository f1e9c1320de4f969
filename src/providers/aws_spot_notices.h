// The AWS provider's "queue mode" for spot notices: a thread long-polls the
// SQS queue EventBridge feeds (SpotEventQueue) and hands the events to the
// reconciler through the cloud's Poll, as facts about instances of groups:
//   interruption warning     -> kNotice, deadline = EC2's time + 120 s
//   rebalance recommendation -> kRebalanceRecommended
//   shutting-down/terminated -> kTerminated (EC2 took it; the list confirms later)
// Events of instances no group has (another daemon's, or long gone) are
// acked and dropped: one queue serves one daemon (docs/AWS.md).
//
// At least once: an event's message is acked at the next Poll, after the
// tick that applied it has committed its state, so a daemon killed in
// between gets it again from SQS.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/aws/spot_event_queue.h"
#include "ports/cloud.h"
#include "ports/log.h"

namespace shoal {

class AwsSpotNotices {
 public:
  // Starts the reader thread. `queue` and `log` must outlive this.
  AwsSpotNotices(aws::SpotEventQueue* queue, Logger* log);
  ~AwsSpotNotices();  // stops the thread (within one long poll)

  // Which group each instance belongs to (loop thread, before Poll).
  void SetMembers(std::map<InstanceId, std::string> group_of);
  // The events received since the last call, as facts of groups; acks what
  // the previous call returned.
  std::vector<GroupInstanceEvent> Poll();
  // Events received and not yet handed out (for tests and figures).
  std::size_t queued() const;

 private:
  void Run();

  aws::SpotEventQueue* queue_;
  Logger* log_;
  std::map<InstanceId, std::string> group_of_;  // loop thread only
  std::vector<std::string> handed_out_;          // message ids to ack at the next Poll (loop thread)

  mutable std::mutex mu_;  // guards received_
  std::deque<aws::ReceivedEvent> received_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace shoal
