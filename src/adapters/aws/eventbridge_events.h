// EC2's instance events as EventBridge delivers them into an SQS queue (the
// spot notices' "queue mode"), read into a neutral struct. Pure: no I/O, no
// clock; every message body it is given is outside input (anyone allowed to
// send to the queue can write one), so each field is checked and an error
// says which one is wrong.
//
// Read detail-types (source "aws.ec2"):
//   "EC2 Spot Instance Interruption Warning"  detail.instance-id, detail.instance-action
//   "EC2 Instance Rebalance Recommendation"   detail.instance-id
//   "EC2 Instance State-change Notification"  detail.instance-id, detail.state
// Every event also has its "id" (EventBridge's event id) and "time" (RFC 3339
// UTC, whole seconds: "2026-12-02T10:00:00Z").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/instance_id.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal::aws {

// SQS's largest message body; a bigger one did not come from SQS.
constexpr std::size_t kMaxSqsBodyBytes = 256 * 1024;
// EC2 takes a spot instance two minutes after the interruption warning.
constexpr Seconds kSpotInterruptionNotice = 120;

struct QueueEvent {
  enum class Kind { kInterruptionWarning, kRebalanceRecommendation, kStateChange };
  Kind kind = Kind::kStateChange;
  std::string event_id;  // EventBridge's id: the same event sent twice has the same one
  InstanceId instance_id;
  Seconds time = kNever;      // when EC2 emitted it
  Seconds deadline = kNever;  // interruption: time + 120 s; else kNever
  std::string action;         // interruption: terminate | stop | hibernate
  std::string state;          // state change: pending | running | stopping | stopped | shutting-down | terminated
};

std::string_view ToString(QueueEvent::Kind kind);

// Whether `state` is one of EC2's instance state names (pending, running,
// stopping, stopped, shutting-down, terminated).
bool IsInstanceState(std::string_view state);

// The event in an SQS message body (an EventBridge event as JSON). Anything
// else — another detail-type or source, malformed JSON, a missing or
// ill-typed field, an unknown action or state, a bad instance id, a body over
// 256 KiB — is kInvalidArgument naming what is wrong.
Result<QueueEvent> ParseQueueEvent(std::string_view body);

}  // namespace shoal::aws
