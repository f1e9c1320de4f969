// Instances: launch, terminate, and the facts the cloud reports about them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/decide.h"
#include "core/instance.h"
#include "core/status.h"
#include "ports/events.h"

namespace shoal {

struct LaunchRequest {
  std::string group;
  Market market = Market::kOnDemand;
  std::string instance_type;
  std::string zone;             // empty for on-demand: the cloud picks
  std::string pool;             // spot pool name, for tagging
  double bid_usd_per_hour = 0;  // spot only; 0 = the on-demand price of the type
  double weight = 1;            // capacity units the instance provides
  // The release to boot: "latest-stable", "latest" or a version number
  // ("" = none). The cloud resolves it and answers the version.
  std::string release;
  // For the warm pool: boot and provision it, but never put it in service
  // (it is stopped once provisioned).
  bool warm = false;
  // Idempotency key (like EC2's ClientToken): a second Launch with the same
  // token returns the instance the first one made instead of a new one, so a
  // controller that crashed mid-launch can safely ask again.
  std::string launch_token;
};

// What the cloud knows of an instance: enough to adopt it after a restart.
struct DescribedInstance {
  InstanceId id;
  std::string group;
  Market market = Market::kOnDemand;
  std::string pool;  // spot pool name ("" for on-demand)
  std::string instance_type;
  std::string zone;
  double weight = 1;
  Seconds launched_at = 0;
  std::string launch_token;
  int version = 0;          // the release it booted (0: none or unknown)
  InstanceAddress address;  // empty when the cloud does not know it yet
  bool running = true;  // false: gone or going (the controller forgets it)
};

class Cloud {
 public:
  virtual ~Cloud() = default;
  // The new instance (its address where the cloud knows it already), or
  // kInsufficientCapacity when the pool has none now.
  virtual Result<LaunchedInstance> Launch(const LaunchRequest& request) = 0;
  // Safe to repeat; terminating an unknown or gone instance is OK.
  virtual Status Terminate(InstanceId id) = 0;
  // The warm pool (docs/POLICY.md): Stop keeps the instance, provisioned,
  // without running it (only its disk is billed); Start runs it again, and
  // it reports kHealthy once it serves, sooner than a launch would. Both
  // are safe to repeat. A cloud without them refuses (InvalidArgument), and
  // config validation refuses warm_pool for it before that. No default: a
  // wrapper that forgot to pass them on would refuse them silently.
  virtual Status Stop(InstanceId id) = 0;
  virtual Status Start(InstanceId id) = 0;
  // Facts since the last call (boot, provisioned, spot notices, terminations).
  virtual std::vector<GroupInstanceEvent> Poll() = 0;
  // Current spot market view of one pool.
  virtual PoolObservation Pool(const std::string& instance_type, const std::string& zone) = 0;
  virtual double OnDemandPrice(const std::string& instance_type) = 0;
  // Every instance the cloud runs for us (tagged with its group), for adoption.
  virtual Result<std::vector<DescribedInstance>> Describe() = 0;
  // A number that changes whenever Describe's answer would: it grows by
  // one for each instance launched or gone (so the controller can tell
  // that a change was only its own launch); 0 when the cloud cannot tell,
  // and then every inventory pass lists. The simulated world can tell,
  // which spares its once-a-simulated-minute pass over a thousand
  // unchanged instances.
  virtual std::uint64_t DescribeVersion() const { return 0; }
};

}  // namespace shoal
