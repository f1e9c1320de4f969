#include "core/inventory.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace shoal {
namespace {

// Four dotted decimal octets, or false.
bool ParseIpv4(std::string_view text, std::array<int, 4>* out) {
  std::size_t at = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (at >= text.size() || text[at] != '.') return false;
      ++at;
    }
    const std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == start || at - start > 3) return false;
    int v = 0;
    std::from_chars(text.data() + start, text.data() + at, v);
    if (v > 255) return false;
    (*out)[i] = v;
  }
  return at == text.size();
}

bool IsHexGroupChars(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdefABCDEF:") == std::string_view::npos;
}

}  // namespace

bool IsLoopbackOrPrivateIp(std::string_view host) {
  std::array<int, 4> o{};
  if (ParseIpv4(host, &o)) {
    return o[0] == 127 || o[0] == 10 || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) || (o[0] == 192 && o[1] == 168);
  }
  if (!IsHexGroupChars(host) || host.find(':') == std::string_view::npos) return false;
  if (host == "::1") return true;
  // fc00::/7: the first group is fcXX or fdXX (written in full: 4 digits).
  const std::size_t colon = host.find(':');
  if (colon != 4) return false;
  const char a = static_cast<char>(host[0] | 0x20);
  return a == 'f' && (host[1] == 'c' || host[1] == 'C' || host[1] == 'd' || host[1] == 'D');
}

std::vector<InventoryHost> InventoryHosts(const std::vector<GroupSpec>& specs,
                                          const std::vector<GroupState>& states) {
  std::vector<InventoryHost> out;
  for (std::size_t g = 0; g < specs.size() && g < states.size(); ++g) {
    const GroupSpec& spec = specs[g];
    for (const Instance& in : states[g].instances) {
      if (in.state != InstanceState::kInService && in.state != InstanceState::kDraining) continue;
      if (in.address.empty() || !IsLoopbackOrPrivateIp(in.address.host)) continue;
      InventoryHost h;
      h.name = spec.name + "-" + in.id.str();
      h.group = spec.name;
      h.service = spec.service;
      h.pool = in.pool >= 0 && in.pool < static_cast<int>(spec.capacity.spot_pools.size())
                   ? spec.capacity.spot_pools[in.pool].name
                   : "on-demand/" + spec.capacity.on_demand_type;
      h.market = in.market;
      h.state = in.state;
      h.id = in.id;
      h.address = in.address;
      h.version = in.version;
      out.push_back(std::move(h));
    }
  }
  std::sort(out.begin(), out.end(), [](const InventoryHost& a, const InventoryHost& b) { return a.name < b.name; });
  return out;
}

}  // namespace shoal
