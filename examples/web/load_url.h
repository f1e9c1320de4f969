// The load generator's target: an http:// URL on a loopback address only.
#pragma once

#include <optional>
#include <string>

namespace shoal::web {

struct TargetUrl {
  std::string host;  // a loopback IP literal; "localhost" becomes 127.0.0.1
  int port = 80;
  std::string path = "/";
};

// Parses http://HOST[:PORT][/PATH]. Anything else, or a host that is not
// loopback, yields nullopt and a reason in *error.
std::optional<TargetUrl> ParseLoopbackUrl(const std::string& url, std::string* error);

}  // namespace shoal::web
