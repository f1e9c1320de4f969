#include "providers/aws_spot_notices.h"

#include <chrono>

namespace shoal {
namespace {

// After a failed receive, the next one waits this long (the client has
// retried already; SQS being down must not spin the thread).
constexpr auto kAfterFailure = std::chrono::seconds(5);

}  // namespace

AwsSpotNotices::AwsSpotNotices(aws::SpotEventQueue* queue, Logger* log)
    : queue_(queue), log_(log), thread_([this] { Run(); }) {}

AwsSpotNotices::~AwsSpotNotices() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void AwsSpotNotices::Run() {
  while (!stopping_) {
    Result<std::vector<aws::ReceivedEvent>> got = queue_->Receive();
    if (got.ok()) {
      std::lock_guard lock(mu_);
      for (aws::ReceivedEvent& e : *got) received_.push_back(std::move(e));
      continue;
    }
    // Too many events not taken yet (the loop is stalled), or SQS failed
    // (the client logged it): wait a little, waking to stop.
    for (auto until = std::chrono::steady_clock::now() + kAfterFailure;
         !stopping_ && std::chrono::steady_clock::now() < until;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void AwsSpotNotices::SetMembers(std::map<InstanceId, std::string> group_of) { group_of_ = std::move(group_of); }

std::size_t AwsSpotNotices::queued() const {
  std::lock_guard lock(mu_);
  return received_.size();
}

std::vector<GroupInstanceEvent> AwsSpotNotices::Poll() {
  // What the previous Poll handed out has been applied and committed by the
  // tick that asked for it: it may leave the queue now. A message SQS did
  // not delete comes back and is applied again (facts are idempotent).
  if (!handed_out_.empty()) {
    if (Status s = queue_->Ack(handed_out_); !s.ok()) {
      LogWarn(log_, "spot_queue_ack_failed").With("messages", handed_out_.size()).With("error", s.message());
    }
    handed_out_.clear();
  }
  std::deque<aws::ReceivedEvent> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(received_);
  }
  std::vector<GroupInstanceEvent> out;
  for (const aws::ReceivedEvent& r : taken) {
    handed_out_.push_back(r.message_id);
    const aws::QueueEvent& e = r.event;
    const auto member = group_of_.find(e.instance_id);
    if (member == group_of_.end()) {
      LogInfo(log_, "spot_event_ignored")
          .With("instance", e.instance_id.str())
          .With("kind", aws::ToString(e.kind))
          .With("why", "no group of this daemon has the instance");
      continue;
    }
    InstanceObservation obs;
    obs.id = e.instance_id;
    switch (e.kind) {
      case aws::QueueEvent::Kind::kInterruptionWarning:
        obs.event = InstanceEvent::kNotice;
        obs.deadline = e.deadline;
        break;
      case aws::QueueEvent::Kind::kRebalanceRecommendation:
        obs.event = InstanceEvent::kRebalanceRecommended;
        break;
      case aws::QueueEvent::Kind::kStateChange:
        if (e.state != "shutting-down" && e.state != "terminated") continue;  // the list reports the rest
        obs.event = InstanceEvent::kTerminated;
        obs.reason = "EC2 reported it " + e.state;
        break;
    }
    LogInfo(log_, "spot_event")
        .With("group", member->second)
        .With("instance", e.instance_id.str())
        .With("kind", aws::ToString(e.kind))
        .With("event_time", e.time);
    out.push_back({member->second, std::move(obs)});
  }
  return out;
}

}  // namespace shoal
