// The load balancer: which instances get requests, their health, their load.
#pragma once

#include <string>
#include <vector>

#include "core/decide.h"
#include "core/instance.h"
#include "core/metric.h"
#include "core/status.h"
#include "ports/events.h"

namespace shoal {

class Traffic {
 public:
  virtual ~Traffic() = default;
  // Adds the instance, serving at `address`, to its group's backend; it
  // takes requests once healthy. kInvalidArgument for an address this load
  // balancer cannot send to (empty, not an IP literal).
  virtual Status Register(const std::string& group, InstanceId id, const InstanceAddress& address) = 0;
  // Stops new requests; in-flight ones finish (reported as kDrained).
  virtual Status Drain(const std::string& group, InstanceId id) = 0;
  // Removes it from the backend (safe to repeat).
  virtual Status Deregister(const std::string& group, InstanceId id) = 0;
  // Health and drain facts since the last call.
  virtual std::vector<GroupInstanceEvent> Poll() = 0;

  // Blue/green deploys hold instances: registered and health-checked (their
  // health reported by Poll as usual) but sent no requests. A load balancer
  // that cannot (CanHold false) refuses blue/green deploys up front.
  virtual bool CanHold() const { return false; }
  // Register, held from the start: no request reaches it before SetServing.
  virtual Status RegisterHeld(const std::string& /*group*/, InstanceId /*id*/, const InstanceAddress& /*address*/) {
    return Status::InvalidArgument("this load balancer cannot hold an instance (blue/green deploys)");
  }
  // Serving: takes requests (as once registered); not: held. Safe to repeat.
  virtual Status SetServing(const std::string& /*group*/, InstanceId /*id*/, bool /*serving*/) {
    return Status::InvalidArgument("this load balancer cannot hold an instance (blue/green deploys)");
  }
};

// Per-minute metrics of a group (CPU from the instances, requests from the LB).
class Metrics {
 public:
  virtual ~Metrics() = default;
  virtual Datapoint Read(const std::string& group, MetricName metric, std::int64_t minute) = 0;
  // Per release, what the group's instances answered in `minute` (one entry
  // per version that served; empty when the provider cannot tell, e.g. a
  // load balancer without per-target response counts).
  virtual std::vector<ReleaseTraffic> ReadReleases(const std::string& /*group*/, std::int64_t /*minute*/) {
    return {};
  }
};

}  // namespace shoal
