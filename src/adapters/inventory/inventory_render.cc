#include "adapters/inventory/inventory_render.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace shoal {
namespace {

using nlohmann::ordered_json;

// Free text in a Nagios definition (an alias): one line, no ';' (which
// starts a comment there).
std::string NagiosText(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f || c == ';') ? '_' : c;
  }
  return out;
}

void Directive(std::string* out, std::string_view key, std::string_view value) {
  *out += "  ";
  *out += key;
  out->append(key.size() < 24 ? 24 - key.size() : 1, ' ');
  *out += value;
  *out += "\n";
}

std::string Release(int version) { return version > 0 ? std::to_string(version) : "none"; }

ordered_json HostVars(const InventoryHost& h) {
  ordered_json v;
  v["ansible_host"] = h.address.host;
  v["shoal_address"] = h.address.ToString();
  v["shoal_port"] = h.address.port;
  v["shoal_instance_id"] = h.id.str();
  v["shoal_group"] = h.group;
  v["shoal_service"] = h.service;
  v["shoal_pool"] = h.pool;
  v["shoal_market"] = std::string(ToString(h.market));
  v["shoal_version"] = h.version;
  v["shoal_state"] = std::string(ToString(h.state));
  return v;
}

std::string Dump(const ordered_json& j) { return j.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n"; }

}  // namespace

std::string NagiosName(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

std::string AnsibleGroupName(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      out += ok ? c : '_';
    }
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "_");
  return out;
}

std::string RenderNagios(const std::vector<InventoryHost>& hosts, const InventorySpec& spec) {
  std::string out =
      "# Written by shoal serve on every membership change; do not edit (the next change overwrites it).\n"
      "# " + std::to_string(hosts.size()) + " host(s): the in-service and draining instances.\n";
  std::map<std::string, std::vector<std::string>> hostgroups;  // name -> members
  std::map<std::string, std::string> hostgroup_alias;
  for (const InventoryHost& h : hosts) {
    const std::string name = NagiosName(h.name);
    out += "\ndefine host {\n";
    Directive(&out, "use", spec.nagios_host_template);
    Directive(&out, "host_name", name);
    Directive(&out, "alias", NagiosText("shoal " + h.group + " " + h.id.str() + " (" + std::string(ToString(h.state)) +
                                         ", " + h.pool + ", release " + Release(h.version) + ")"));
    Directive(&out, "address", h.address.host);
    Directive(&out, "_PORT", std::to_string(h.address.port));
    Directive(&out, "_SHOAL_INSTANCE", NagiosName(h.id.str()));
    Directive(&out, "_SHOAL_STATE", std::string(ToString(h.state)));
    Directive(&out, "_SHOAL_VERSION", std::to_string(h.version));
    out += "}\n\ndefine service {\n";
    Directive(&out, "use", spec.nagios_service_template);
    Directive(&out, "host_name", name);
    Directive(&out, "service_description", NagiosName("shoal-" + h.service));
    Directive(&out, "check_command", spec.nagios_check_command);
    out += "}\n";
    const std::string group = NagiosName("shoal-group-" + h.group);
    hostgroups[group].push_back(name);
    hostgroup_alias[group] = NagiosText("Shoal group " + h.group);
    const std::string service = NagiosName("shoal-service-" + h.service);
    hostgroups[service].push_back(name);
    hostgroup_alias[service] = NagiosText("Shoal service " + h.service);
  }
  for (const auto& [group, members] : hostgroups) {
    std::string list;
    for (const std::string& m : members) list += (list.empty() ? "" : ",") + m;
    out += "\ndefine hostgroup {\n";
    Directive(&out, "hostgroup_name", group);
    Directive(&out, "alias", hostgroup_alias[group]);
    Directive(&out, "members", list);
    out += "}\n";
  }
  return out;
}

std::string RenderFileSd(const std::vector<InventoryHost>& hosts) {
  ordered_json list = ordered_json::array();
  for (const InventoryHost& h : hosts) {
    ordered_json labels;
    labels["shoal_group"] = h.group;
    labels["shoal_service"] = h.service;
    labels["shoal_instance"] = h.id.str();
    labels["shoal_pool"] = h.pool;
    labels["shoal_market"] = std::string(ToString(h.market));
    labels["shoal_version"] = std::to_string(h.version);
    labels["shoal_state"] = std::string(ToString(h.state));
    list.push_back(ordered_json{{"targets", ordered_json::array({h.address.ToString()})}, {"labels", labels}});
  }
  return Dump(list);
}

std::string RenderAnsibleList(const std::vector<InventoryHost>& hosts) {
  // Groups by Shoal group, service, pool, market, release and lifecycle
  // state, every one a child of "shoal"; std::map keeps them sorted.
  std::map<std::string, std::vector<std::string>> groups;
  ordered_json hostvars = ordered_json::object();
  for (const InventoryHost& h : hosts) {
    for (const std::string& g :
         {"shoal_group_" + h.group, "shoal_service_" + h.service, "shoal_pool_" + h.pool,
          "shoal_market_" + std::string(ToString(h.market)), "shoal_release_" + Release(h.version),
          "shoal_state_" + std::string(ToString(h.state))}) {
      groups[AnsibleGroupName(g)].push_back(h.name);
    }
    hostvars[h.name] = HostVars(h);
  }
  ordered_json out;
  out["_meta"] = {{"hostvars", hostvars}};
  out["all"] = {{"children", ordered_json::array({"shoal"})}};
  ordered_json shoal;
  ordered_json all_hosts = ordered_json::array();
  for (const InventoryHost& h : hosts) all_hosts.push_back(h.name);
  shoal["hosts"] = all_hosts;
  ordered_json children = ordered_json::array();
  for (const auto& [name, members] : groups) children.push_back(name);
  shoal["children"] = children;
  out["shoal"] = shoal;
  for (const auto& [name, members] : groups) out[name] = {{"hosts", members}};
  return Dump(out);
}

std::string RenderAnsibleHost(const std::vector<InventoryHost>& hosts, std::string_view name) {
  for (const InventoryHost& h : hosts) {
    if (h.name == name) return Dump(HostVars(h));
  }
  return "{}\n";
}

}  // namespace shoal
