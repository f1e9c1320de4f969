#include "adapters/aws/spot_event_setup.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "adapters/aws/eventbridge_events.h"

namespace shoal::aws {
namespace {

// Ordered, so the documents read in the order AWS's examples use.
using Json = nlohmann::ordered_json;

bool AllOf(std::string_view text, std::string_view allowed_punctuation) {
  return std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           allowed_punctuation.find(c) != std::string_view::npos;
  });
}

// The parts of "arn:<partition>:<service>:<region>:<account>:<resource>".
struct Arn {
  std::string_view partition, service, region, account, resource;
};

Result<Arn> SplitArn(std::string_view text, std::string_view what) {
  std::array<std::string_view, 6> parts;
  std::string_view rest = text;
  for (std::size_t i = 0; i < 5; ++i) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) break;
    parts[i] = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
    if (i == 4) parts[5] = rest;
  }
  const Arn arn{parts[1], parts[2], parts[3], parts[4], parts[5]};
  const bool shaped = parts[0] == "arn" && !arn.partition.empty() && arn.partition.size() <= 32 &&
                      AllOf(arn.partition, "-") && !arn.region.empty() && arn.region.size() <= 32 &&
                      AllOf(arn.region, "-") && arn.account.size() == 12 && AllOf(arn.account, "");
  if (!shaped || text.size() > 512) {
    return Status::InvalidArgument(std::string(what) + " '" + std::string(text.substr(0, 80)) +
                                   "' is not an ARN like arn:aws:<service>:<region>:<12-digit account>:<name>");
  }
  return arn;
}

Result<std::string> CheckQueueArn(std::string_view queue_arn) {
  auto arn = SplitArn(queue_arn, "queue ARN");
  if (!arn.ok()) return arn.status();
  // Queue names: 1..80 of [A-Za-z0-9_-], a FIFO queue's ending in ".fifo".
  std::string_view name = arn->resource;
  if (name.size() > 5 && name.substr(name.size() - 5) == ".fifo") name.remove_suffix(5);
  if (arn->service != "sqs" || name.empty() || arn->resource.size() > 80 || !AllOf(name, "_-")) {
    return Status::InvalidArgument("queue ARN '" + std::string(queue_arn) +
                                   "' does not name an SQS queue (arn:aws:sqs:<region>:<account>:<queue name>)");
  }
  return std::string(queue_arn);
}

Result<std::string> CheckRuleArn(std::string_view rule_arn) {
  auto arn = SplitArn(rule_arn, "rule ARN");
  if (!arn.ok()) return arn.status();
  // rule/<name>, or rule/<event bus>/<name> on a bus other than the default.
  const std::string_view resource = arn->resource;
  const bool rule = resource.size() > 5 && resource.substr(0, 5) == "rule/" &&
                    AllOf(resource.substr(5), "._-/") && resource.back() != '/';
  if (arn->service != "events" || !rule) {
    return Status::InvalidArgument("rule ARN '" + std::string(rule_arn) +
                                   "' does not name an EventBridge rule (arn:aws:events:<region>:<account>:rule/<name>)");
  }
  return std::string(rule_arn);
}

}  // namespace

Result<std::string> SpotEventRulePattern(const SpotEventRuleOptions& options) {
  for (const std::string& state : options.states) {
    if (!IsInstanceState(state)) {
      return Status::InvalidArgument("state '" + state + "' is not an EC2 instance state (" +
                                     "pending, running, stopping, stopped, shutting-down, terminated)");
    }
  }
  if (!options.state_changes && !options.states.empty()) {
    return Status::InvalidArgument("states are given but state changes are not routed");
  }
  Json notices = Json::array({"EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"});
  Json pattern = {{"source", Json::array({"aws.ec2"})}};
  if (!options.state_changes) {
    pattern["detail-type"] = notices;
  } else if (options.states.empty()) {
    notices.push_back("EC2 Instance State-change Notification");
    pattern["detail-type"] = notices;
  } else {
    Json changes = {{"detail-type", Json::array({"EC2 Instance State-change Notification"})},
                    {"detail", {{"state", options.states}}}};
    pattern["$or"] = Json::array({Json{{"detail-type", notices}}, changes});
  }
  return pattern.dump(2);
}

Result<std::string> SpotEventQueuePolicy(std::string_view queue_arn, std::string_view rule_arn) {
  auto queue = CheckQueueArn(queue_arn);
  if (!queue.ok()) return queue.status();
  auto rule = CheckRuleArn(rule_arn);
  if (!rule.ok()) return rule.status();
  const Json statement = {{"Sid", "EventBridgeSendsSpotNotices"},
                          {"Effect", "Allow"},
                          {"Principal", {{"Service", "events.amazonaws.com"}}},
                          {"Action", "sqs:SendMessage"},
                          {"Resource", *queue},
                          {"Condition", {{"ArnEquals", {{"aws:SourceArn", *rule}}}}}};
  const Json policy = {{"Version", "2012-10-17"}, {"Statement", Json::array({statement})}};
  return policy.dump(2);
}

Result<std::string> SpotEventReaderPolicy(std::string_view queue_arn) {
  auto queue = CheckQueueArn(queue_arn);
  if (!queue.ok()) return queue.status();
  const Json statement = {{"Sid", "ShoalReadsSpotNotices"},
                          {"Effect", "Allow"},
                          {"Action", Json::array({"sqs:ReceiveMessage", "sqs:DeleteMessage"})},
                          {"Resource", *queue}};
  const Json policy = {{"Version", "2012-10-17"}, {"Statement", Json::array({statement})}};
  return policy.dump(2);
}

}  // namespace shoal::aws
