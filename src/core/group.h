// A group (an auto-scaling group) as the operator declares it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/alarm.h"
#include "core/deploy.h"
#include "core/policy.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

enum class AllocationStrategy : std::uint8_t {
  kLowestPrice,
  kCapacityOptimized,
  kPriceCapacityOptimized,
};
std::string_view ToString(AllocationStrategy s);
bool ParseAllocationStrategy(std::string_view text, AllocationStrategy* out);

// A spot capacity pool: one instance type in one zone.
struct PoolSpec {
  std::string name;           // unique within the group, e.g. "m4.large/us-east-1a"
  std::string instance_type;  // e.g. "m4.large"
  std::string zone;           // e.g. "us-east-1a"
  double weight = 1.0;        // capacity units (m4.large-equivalents)
  double bid_usd_per_hour = 0;  // max price; 0 = the on-demand price of the type
};

struct CapacitySpec {
  int on_demand_base = 0;
  int on_demand_percent_above_base = 100;  // 0..100
  std::string on_demand_type = "m4.large";
  double on_demand_weight = 1.0;
  AllocationStrategy strategy = AllocationStrategy::kPriceCapacityOptimized;
  int spot_instance_pools = 2;  // lowest-price spreads over this many cheapest pools
  std::vector<PoolSpec> spot_pools;
};

enum class NoticeAction : std::uint8_t {
  kReplace,    // drain, and launch a replacement at once in this group
  kBumpGroup,  // raise another group's desired by one, and drain and replace here too
  // The seed as written: raise another group's desired by one and do
  // nothing else. The instance serves until the cloud takes it; only then
  // does the group launch to its desired again (as an EC2 group would).
  kBumpGroupOnly,
};

// Whether the notice raises spot.bump_group's desired.
constexpr bool BumpsGroup(NoticeAction a) {
  return a == NoticeAction::kBumpGroup || a == NoticeAction::kBumpGroupOnly;
}

struct SpotHandlingSpec {
  NoticeAction on_notice = NoticeAction::kReplace;
  std::string bump_group;                     // for kBumpGroup and kBumpGroupOnly
  Seconds avoid_pool_after_interruption = 1800;  // treat a pool as unhealthy this long
  Seconds avoid_pool_after_capacity_error = 600;
  bool fallback_to_on_demand = true;  // launch on-demand when no spot pool can take it
  bool rebalance_to_spot = true;  // move on-demand above target back to spot when healthy
  int rebalance_max_in_flight = 2;  // churn budget: replacements under way at once
  // EC2 Capacity Rebalancing: a spot instance at risk (a rebalance
  // recommendation) is replaced launch-first in another pool, then drained.
  bool capacity_rebalance = true;
};

// What the live provider runs and checks (the simulator models these delays
// itself; see docs/ARCHITECTURE.md).
struct HealthCheckSpec {
  std::string path = "/health";
  Seconds interval = 5;
  int rise = 2;
  int fall = 3;
  Seconds grace = 300;  // provisioning must finish within this
};

// What the AWS provider needs to start an instance of the group: the
// instance boots the image and runs `user_data` (cloud-init), and its
// service listens on `port`, where the group's target group sends requests.
struct AwsLaunchSpec {
  std::string user_data;     // the script cloud-init runs at first boot (at most 16 KiB)
  int port = 0;              // the service's port on the instance (the target's port)
  std::string target_group;  // the ELBv2 target group: an ARN, or a name
};

// How a live provider starts an instance of the group: the seed's
// user-data script and Ansible playbook, as data. `provision`, `command`,
// `env` and `cpu_share` are the local provider's (commands are argv lists,
// never shell strings; "{port}" in an argument becomes the instance's port,
// "{dir}" its directory, "{id}" its id); `aws` is the AWS provider's.
struct LaunchSpec {
  // Both providers: the release each instance boots ("latest-stable",
  // "latest" or a version number), resolved when it launches; "" = none.
  std::string release;
  // local
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::vector<std::string>> provision;  // run in order in the instance dir; any failure = unhealthy
  std::vector<std::string> command;                 // the service; must listen on 127.0.0.1:{port}
  double cpu_share = 1.0;  // CPU cores one capacity unit may use (cgroup quota where the machine allows)
  // aws
  AwsLaunchSpec aws;
};

// A warm pool (docs/POLICY.md, Warm pools): instances launched, booted and
// provisioned once, then stopped (only their disks are billed). On
// scale-out they are started first (they join in about a minute instead of
// three) and spot capacity is launched behind them; once it serves, the
// started ones go back to the pool. The pool is refilled to `size`.
struct WarmPoolSpec {
  int size = 0;           // stopped instances kept ready (0: no warm pool)
  std::string pool = "on-demand";  // "on-demand", or the name of one of the group's spot pools
};

struct GroupSpec {
  std::string name;
  std::string service;  // groups of one service share a load balancer and its demand
  int min = 0;
  int max = 1;
  int desired = 0;      // initial desired capacity (units)
  CapacitySpec capacity;
  std::vector<AlarmSpec> alarms;
  std::vector<PolicySpec> policies;
  Seconds default_cooldown = 300;
  Seconds drain_timeout = 30;  // deregistration delay: in-flight requests finish within this
  SpotHandlingSpec spot;
  WarmPoolSpec warm_pool;
  HealthCheckSpec health_check;
  LaunchSpec launch;
  DeploySettings deploy;  // how `shoal deploy` proceeds, unless its flags say otherwise
  int listen_port = 0;  // the service's load-balancer port on 127.0.0.1 (0: none; simulation only)
};

// Cross-field checks of one group (min <= desired <= max, pool names unique,
// every policy's alarm exists, ...). Messages name the field.
Status Validate(const GroupSpec& g);

// The warm pool's market pool: kOnDemandPool (-1) for on-demand, else the
// index of the spot pool it names (-2 when it names none: Validate refuses).
int WarmPoolIndex(const GroupSpec& g);

}  // namespace shoal
