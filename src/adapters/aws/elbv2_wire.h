// ELBv2's query-protocol side of Elbv2Traffic, kept free of I/O so it can
// be tested on canned answers: the parameters of RegisterTargets,
// DeregisterTargets, DescribeTargetGroups and ModifyTargetGroupAttributes,
// and reading targets and target groups out of the XML answers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/xml.h"
#include "core/time.h"

namespace shoal::aws {

// ELB's range for deregistration_delay.timeout_seconds.
inline constexpr Seconds kMaxDeregistrationDelay = 3600;

// An instance target: the instance id and the port it serves on.
struct Elbv2TargetRef {
  std::string id;
  int port = 0;  // 0 leaves Port out (the target group's port)
};

// One member of a DescribeTargetHealth answer.
struct Elbv2TargetHealth {
  std::string id;
  int port = 0;
  std::string state;        // initial, healthy, unhealthy, unhealthy.draining, unused, draining, unavailable
  std::string reason;       // Target.FailedHealthChecks, Target.NotRegistered, ... ("" when healthy)
  std::string description;  // ELB's words for the reason
};

// True for "arn:...:targetgroup/<name>/<id>"; anything else is taken as a name.
bool IsTargetGroupArn(const std::string& text);

// RegisterTargets and DeregisterTargets take the same parameters.
Params TargetsParams(const std::string& target_group_arn, const std::vector<Elbv2TargetRef>& targets);
Params DescribeTargetGroupByNameParams(const std::string& name);
Params DeregistrationDelayParams(const std::string& target_group_arn, Seconds seconds);

// The first target group's ARN in a DescribeTargetGroups answer ("" if none).
std::string ParseTargetGroupArn(const XmlNode& root);

// Every target of a DescribeTargetHealth answer, in order. Members without
// an id are left out; a port that is not a number reads as 0.
std::vector<Elbv2TargetHealth> ParseTargetHealth(const XmlNode& root);

// What ELB says of a target that is not healthy, for an activity's cause:
// "Target.FailedHealthChecks: Health checks failed", or the state alone.
std::string DescribeTargetHealth(const Elbv2TargetHealth& health);

}  // namespace shoal::aws
