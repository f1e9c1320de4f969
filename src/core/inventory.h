// What monitoring should watch: the instances that serve (or finish serving)
// now, one row each, as Nagios, Prometheus and Ansible are told of them
// (adapters/inventory). Derived from the group states; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/decide.h"
#include "core/group.h"
#include "core/instance.h"

namespace shoal {

struct InventoryHost {
  std::string name;     // "<group>-<instance id>": the host's name everywhere
  std::string group;
  std::string service;
  std::string pool;     // a spot pool's name, or "on-demand/<type>"
  Market market = Market::kOnDemand;
  InstanceState state = InstanceState::kInService;  // in-service or draining
  InstanceId id;
  InstanceAddress address;
  int version = 0;      // the release it runs (0: none)

  friend bool operator==(const InventoryHost&, const InventoryHost&) = default;
};

// True for loopback (127/8, ::1) and private (10/8, 172.16/12, 192.168/16,
// fc00::/7) IP literals; false for anything else, names included.
bool IsLoopbackOrPrivateIp(std::string_view host);

// The in-service and draining instances of every group (specs[i] with
// states[i]) that have a loopback or private address, sorted by name. An
// instance that is still starting, or on its way out otherwise, or whose
// address is unknown or public, is not listed.
std::vector<InventoryHost> InventoryHosts(const std::vector<GroupSpec>& specs,
                                          const std::vector<GroupState>& states);

}  // namespace shoal
