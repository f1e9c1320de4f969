#include "load_url.h"

#include <charconv>

#include "address.h"

namespace shoal::web {
namespace {

constexpr std::string_view kScheme = "http://";

std::optional<int> ParsePort(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// Splits "host[:port]" (IPv6 hosts in brackets) into its parts.
bool SplitAuthority(std::string_view authority, TargetUrl& target, std::string* error) {
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated '[' in host";
      return false;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') {
        *error = "unexpected text after ']'";
        return false;
      }
      port = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  target.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  if (!port.empty() || authority.ends_with(":")) {
    const auto parsed = ParsePort(port);
    if (!parsed) {
      *error = "bad port '" + std::string(port) + "'";
      return false;
    }
    target.port = *parsed;
  }
  return true;
}

}  // namespace

std::optional<TargetUrl> ParseLoopbackUrl(const std::string& url, std::string* error) {
  std::string_view rest = url;
  if (!rest.starts_with(kScheme)) {
    *error = "only http:// URLs are supported";
    return std::nullopt;
  }
  rest.remove_prefix(kScheme.size());
  const size_t slash = rest.find('/');
  TargetUrl target;
  if (!SplitAuthority(rest.substr(0, slash), target, error)) return std::nullopt;
  if (slash != std::string_view::npos) target.path = std::string(rest.substr(slash));
  if (!IsLoopbackAddress(target.host)) {
    *error = "host '" + target.host + "' is not a loopback address (127.0.0.0/8, ::1)";
    return std::nullopt;
  }
  return target;
}

}  // namespace shoal::web
