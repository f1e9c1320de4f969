// What an operator creates in AWS so that spot notices reach Shoal's queue
// (the spot notices' "queue mode"), as JSON documents: the EventBridge
// rule's event pattern, the SQS queue policy that lets that rule send to the
// queue, and the IAM policy Shoal's role needs to read it. Pure functions;
// docs/AWS.md shows their output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace shoal::aws {

struct SpotEventRuleOptions {
  // Also route "EC2 Instance State-change Notification" (every instance of
  // the account and region, not only Shoal's: the reader filters).
  bool state_changes = true;
  // Only these states (EC2's names: pending, running, stopping, stopped,
  // shutting-down, terminated); empty: all.
  std::vector<std::string> states;
};

// The rule's event pattern: source aws.ec2 and the detail-types
// ParseQueueEvent reads. With `states`, the state changes are filtered by
// detail.state through an "$or" of two patterns. kInvalidArgument for an
// unknown state, or states without state_changes.
Result<std::string> SpotEventRulePattern(const SpotEventRuleOptions& options);

// The queue's access policy: EventBridge (events.amazonaws.com) may
// SendMessage to `queue_arn` only on behalf of `rule_arn`. Both ARNs are
// checked for their shape ("arn:aws:sqs:us-east-1:123456789012:shoal-spot",
// "arn:aws:events:us-east-1:123456789012:rule/shoal-spot").
Result<std::string> SpotEventQueuePolicy(std::string_view queue_arn, std::string_view rule_arn);

// The IAM policy Shoal's role needs on the queue: ReceiveMessage and
// DeleteMessage (which also allows DeleteMessageBatch).
Result<std::string> SpotEventReaderPolicy(std::string_view queue_arn);

}  // namespace shoal::aws
