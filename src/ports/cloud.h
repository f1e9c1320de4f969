// Instances: launch, terminate, and the facts the cloud reports about them.
#pragma once

#include <string>
#include <vector>

#include "core/decide.h"
#include "core/instance.h"
#include "core/status.h"

namespace shoal {

struct LaunchRequest {
  std::string group;
  Market market = Market::kOnDemand;
  std::string instance_type;
  std::string zone;             // empty for on-demand: the cloud picks
  std::string pool;             // spot pool name, for tagging
  double bid_usd_per_hour = 0;  // spot only; 0 = the on-demand price of the type
  double weight = 1;            // capacity units the instance provides
  int version = 0;
};

struct GroupInstanceEvent {
  std::string group;
  InstanceObservation observation;
};

class Cloud {
 public:
  virtual ~Cloud() = default;
  // A new instance id, or kInsufficientCapacity when the pool has none now.
  virtual Result<InstanceId> Launch(const LaunchRequest& request) = 0;
  // Safe to repeat; terminating an unknown or gone instance is OK.
  virtual Status Terminate(InstanceId id) = 0;
  // Facts since the last call (boot, provisioned, spot notices, terminations).
  virtual std::vector<GroupInstanceEvent> Poll() = 0;
  // Current spot market view of one pool.
  virtual PoolObservation Pool(const std::string& instance_type, const std::string& zone) = 0;
  virtual double OnDemandPrice(const std::string& instance_type) = 0;
};

}  // namespace shoal
