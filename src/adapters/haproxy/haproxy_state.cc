// `show servers state` (management guide 9.3): a version line ("1"), a header
// line "# be_id be_name srv_id srv_name srv_addr ...", then one line of
// space-separated fields per server. Columns are found by the header's names.
#include <charconv>
#include <map>
#include <sstream>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

// srv_admin_state bit: the server was forced into maintenance.
constexpr int kForcedMaintenance = 0x01;

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool ToInt(const std::string& text, int* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<std::vector<HaproxyServer>> ParseServersState(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || Words(line) != std::vector<std::string>{"1"}) {
    return Status::InvalidArgument("show servers state: expected format version 1, got '" + line + "'");
  }
  std::map<std::string, std::size_t> column;
  std::vector<HaproxyServer> out;
  while (std::getline(in, line)) {
    std::vector<std::string> words = Words(line);
    if (words.empty()) continue;
    if (words[0] == "#") {
      for (std::size_t i = 1; i < words.size(); ++i) column[words[i]] = i - 1;
      continue;
    }
    if (words[0][0] == '#') continue;  // any other comment
    for (const char* name : {"be_name", "srv_name", "srv_addr", "srv_port", "srv_admin_state"}) {
      if (column.count(name) == 0) {
        return Status::InvalidArgument(std::string("show servers state: no '") + name + "' column before the data");
      }
    }
    const auto field = [&](const char* name) -> const std::string& {
      static const std::string kNone;
      const std::size_t i = column.at(name);
      return i < words.size() ? words[i] : kNone;
    };
    HaproxyServer s;
    s.backend = field("be_name");
    s.name = field("srv_name");
    s.address = field("srv_addr");
    int admin = 0;
    if (!ToInt(field("srv_port"), &s.port) || !ToInt(field("srv_admin_state"), &admin) || s.port <= 0 ||
        s.port > 65535 || s.backend.empty() || s.name.empty() || s.address.empty()) {
      continue;  // not a server that can be written back (no port: an FQDN not resolved, ...)
    }
    s.disabled = (admin & kForcedMaintenance) != 0;
    out.push_back(s);
  }
  return out;
}

}  // namespace shoal
