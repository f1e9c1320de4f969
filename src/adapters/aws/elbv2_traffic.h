// Elbv2Traffic: the Traffic port on an Elastic Load Balancing v2 target
// group (an ALB's or NLB's), through the shared AwsClient.
//
// Each group has a target group, given by ARN or by name (looked up once
// with DescribeTargetGroups). Before the first register or drain in a target
// group, its deregistration delay is set to the group's drain time, so ELB
// lets in-flight requests finish for as long as the controller waits.
// Instances are targets of type `instance`: the id and the port of the
// address the cloud reported (the host part is ELB's business).
//
// Health comes only from DescribeTargetHealth; nothing is ever sent to an
// instance. Poll reports edges of what ELB shows:
//   healthy                               -> kHealthy (once)
//   reported healthy, then anything else  -> kUnhealthy, with ELB's reason
//     (unhealthy, unused, draining after someone else's deregistration,
//     or gone from the list)
//   draining (asked here), then gone or `unused` -> kDrained
// A target that has not been healthy yet (`initial`, or `unhealthy` while
// the instance boots) is not reported: the group's health-check grace
// decides about it, as with HAProxy. Its state is logged once per change.
//
// One DescribeTargetHealth per target group with targets of ours, at most
// every `poll_interval` (ELB checks every 5 s or more). A failed call
// reports nothing and changes nothing; the next poll sees what it missed.
//
// Thread-safe: calls are serialised by one mutex, so an answer is never
// applied over a later call's change. A target group is meant to serve one
// group (with two, each sets its own deregistration delay in turn).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/elbv2_wire.h"
#include "ports/clock.h"
#include "ports/log.h"
#include "ports/traffic.h"

namespace shoal::aws {

struct Elbv2GroupOptions {
  std::string target_group;  // an ARN, or a name looked up once
  Seconds drain_seconds = 300;  // ELB's deregistration delay for it: 0..3600
};

struct Elbv2TrafficOptions {
  std::map<std::string, Elbv2GroupOptions> groups;
  Seconds poll_interval = 5;  // least time between two DescribeTargetHealth of a target group
  // A target of ours that the list no longer (or not yet) shows is
  // forgotten after this long: the instance is gone (ELB drops terminated
  // instances by itself), so memory stays bounded.
  Seconds forget_after = 600;
};

class Elbv2Traffic final : public Traffic {
 public:
  // `client`, `clock` and `log` (may be null) must outlive it.
  Elbv2Traffic(Elbv2TrafficOptions options, AwsClient* client, const Clock* clock, Logger* log);

  Status Register(const std::string& group, InstanceId id, const InstanceAddress& address) override;
  Status Drain(const std::string& group, InstanceId id) override;
  Status Deregister(const std::string& group, InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;

  // New groups (after `shoal apply`): a group whose target group changed is
  // looked up and prepared again at its next call.
  void SetGroups(std::map<std::string, Elbv2GroupOptions> groups);

  // The group's target group ARN (looked up once when configured by name):
  // what CloudWatch's TargetGroup dimension is made from.
  Result<std::string> TargetGroupArn(const std::string& group);

 private:
  // A target this adapter registered or drains.
  struct Target {
    std::string group;
    int port = 0;           // 0: not known (drained without a register since the start)
    bool healthy = false;   // kHealthy reported and not taken back
    bool draining = false;  // deregistered by Drain; kDrained not reported yet
    Seconds seen_at = 0;    // registered, drained or last listed
    std::string noted;      // the last not-healthy state logged for it
  };
  struct TargetGroup {
    std::string arn;
    bool delay_set = false;
    Seconds polled_at = kNever;
  };

  // All below run with mu_ held.
  const Elbv2GroupOptions* OptionsOf(const std::string& group) const;
  Result<std::string> ArnLocked(const std::string& group);
  // The ARN, with the deregistration delay set (once per target group).
  Result<std::string> PrepareLocked(const std::string& group);
  // The ports `id` is registered on: the one remembered, else what ELB lists.
  Result<std::vector<Elbv2TargetRef>> RegisteredLocked(const std::string& arn, InstanceId id);
  // DeregisterTargets; a target ELB does not have counts as done.
  Status DeregisterLocked(const std::string& group, InstanceId id);
  void ObserveLocked(const std::vector<std::string>& groups, const std::vector<Elbv2TargetHealth>& listed,
                     Seconds now, std::vector<GroupInstanceEvent>& out);
  void Note(InstanceId id, Target& target, const Elbv2TargetHealth* health);

  Elbv2TrafficOptions options_;
  AwsClient* client_;
  const Clock* clock_;
  Logger* log_;

  std::mutex mu_;  // guards everything below, and serialises the calls
  std::map<std::string, TargetGroup> target_groups_;  // by group
  std::map<InstanceId, Target> targets_;
};

}  // namespace shoal::aws
