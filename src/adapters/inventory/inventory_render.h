// The monitoring inventory in the three forms the tools read, as text:
//   - a Nagios object config (hosts, one service each, hostgroups),
//   - a Prometheus file_sd target list (JSON),
//   - an Ansible dynamic inventory (the JSON of an inventory script's
//     --list, with _meta.hostvars, and of its --host NAME).
// Pure: the same hosts give the same bytes (hosts in the order given,
// which InventoryHosts sorts by name).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"
#include "core/inventory.h"

namespace shoal {

// What Nagios accepts in an object name: letters, digits, '.', '_' and
// '-'; anything else becomes '_'. Never empty ("_").
std::string NagiosName(std::string_view text);
// An Ansible group name: lower-case letters, digits and '_' (no leading
// digit); anything else becomes '_'.
std::string AnsibleGroupName(std::string_view text);

std::string RenderNagios(const std::vector<InventoryHost>& hosts, const InventorySpec& spec);
std::string RenderFileSd(const std::vector<InventoryHost>& hosts);
std::string RenderAnsibleList(const std::vector<InventoryHost>& hosts);
// The hostvars of the host named `name`, or "{}" when there is none.
std::string RenderAnsibleHost(const std::vector<InventoryHost>& hosts, std::string_view name);

}  // namespace shoal
