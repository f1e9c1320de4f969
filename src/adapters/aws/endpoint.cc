#include "adapters/aws/endpoint.h"

#include <cctype>
#include <optional>

namespace shoal::aws {
namespace {

constexpr std::size_t kMaxRegionLength = 32;

int DefaultPort(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

bool ValidRegion(const std::string& region) {
  if (region.empty() || region.size() > kMaxRegionLength) return false;
  for (char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<int> ParsePort(const std::string& text, const std::string& url) {
  if (text.empty() || text.size() > 5) return Status::InvalidArgument("endpoint " + url + ": bad port");
  int port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Status::InvalidArgument("endpoint " + url + ": bad port \"" + text + "\"");
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return Status::InvalidArgument("endpoint " + url + ": port out of range");
  return port;
}

}  // namespace

std::string Endpoint::Origin() const {
  std::string out = scheme + "://" + host;
  if (port != 0) out += ":" + std::to_string(port);
  return out;
}

std::string Endpoint::HostHeader() const {
  if (port == 0 || port == DefaultPort(scheme)) return host;
  return host + ":" + std::to_string(port);
}

Result<Endpoint> ParseEndpointUrl(const std::string& url) {
  Endpoint endpoint;
  endpoint.custom = true;
  const auto sep = url.find("://");
  if (sep == std::string::npos) return Status::InvalidArgument("endpoint \"" + url + "\": expected http(s)://host[:port]");
  endpoint.scheme = url.substr(0, sep);
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return Status::InvalidArgument("endpoint \"" + url + "\": scheme must be http or https");
  }
  std::string rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) endpoint.base_path = rest.substr(slash);
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') endpoint.base_path.pop_back();
  if (endpoint.base_path.find_first_of("?#") != std::string::npos) {
    return Status::InvalidArgument("endpoint \"" + url + "\": a query or fragment is not allowed");
  }
  if (authority.find('@') != std::string::npos) {
    return Status::InvalidArgument("endpoint \"" + url + "\": user info is not allowed");
  }
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos) {
    auto port = ParsePort(authority.substr(colon + 1), url);
    if (!port.ok()) return port.status();
    endpoint.port = *port;
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return Status::InvalidArgument("endpoint \"" + url + "\": no host");
  for (char& c : authority) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '.' || c == '-')) {
      return Status::InvalidArgument("endpoint \"" + url + "\": bad character in host");
    }
    c = static_cast<char>(std::tolower(u));
  }
  endpoint.host = authority;
  return endpoint;
}

Result<Endpoint> ResolveEndpoint(Service service, const std::string& region, const EnvLookup& env,
                                 const Profile& profile) {
  const ServiceInfo& info = InfoOf(service);
  if (!EnvFlag(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    std::optional<std::string> configured = env("AWS_ENDPOINT_URL_" + std::string(info.env_suffix));
    std::string source = "AWS_ENDPOINT_URL_" + std::string(info.env_suffix);
    if (!configured) {
      configured = env("AWS_ENDPOINT_URL");
      source = "AWS_ENDPOINT_URL";
    }
    if (!configured) {
      auto it = profile.values.find("endpoint_url");
      if (it != profile.values.end() && !it->second.empty()) {
        configured = it->second;
        source = "profile " + profile.name + " endpoint_url";
      }
    }
    if (configured) {
      auto parsed = ParseEndpointUrl(*configured);
      if (!parsed.ok()) return parsed.status().WithContext(source);
      return parsed;
    }
  }
  if (!ValidRegion(region)) return Status::InvalidArgument("aws region \"" + region + "\" is not a region name");
  Endpoint endpoint;
  endpoint.scheme = "https";
  const bool china = region.rfind("cn-", 0) == 0;
  endpoint.host = std::string(info.host_prefix) + "." + region + (china ? ".amazonaws.com.cn" : ".amazonaws.com");
  return endpoint;
}

Result<std::string> ResolveRegion(const std::string& configured, const EnvLookup& env, const Profile& profile) {
  std::string region = configured;
  std::string source = "configured";
  if (region.empty()) {
    if (auto value = env("AWS_REGION")) {
      region = *value;
      source = "AWS_REGION";
    } else if (auto fallback = env("AWS_DEFAULT_REGION")) {
      region = *fallback;
      source = "AWS_DEFAULT_REGION";
    } else if (auto it = profile.values.find("region"); it != profile.values.end()) {
      region = it->second;
      source = "profile " + profile.name + " region";
    }
  }
  if (region.empty()) {
    return Status::InvalidArgument("no aws region: set one in the config, AWS_REGION or AWS_DEFAULT_REGION");
  }
  if (!ValidRegion(region)) return Status::InvalidArgument(source + ": \"" + region + "\" is not a region name");
  return region;
}

}  // namespace shoal::aws
