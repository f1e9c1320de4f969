// Where a service's requests go, resolved as the AWS SDKs do:
//   1. AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_EC2, ..._S3)
//   2. AWS_ENDPOINT_URL
//   3. the profile's endpoint_url (shared config file)
//   4. https://<service>.<region>.amazonaws.com (.amazonaws.com.cn in cn-*)
// Steps 1-3 are skipped when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
// The region: the one configured, else AWS_REGION, else AWS_DEFAULT_REGION,
// else the profile's region.
#pragma once

#include <string>

#include "adapters/aws/environment.h"
#include "adapters/aws/profile_file.h"
#include "adapters/aws/service.h"
#include "core/status.h"

namespace shoal::aws {

struct Endpoint {
  std::string scheme;     // "http" | "https"
  std::string host;       // lower case
  int port = 0;           // 0: the scheme's default
  std::string base_path;  // "" or "/prefix" (no trailing '/'), put before every request path
  bool custom = false;    // configured, not AWS's own: S3 then uses path-style addressing

  // scheme://host[:port] (no path)
  std::string Origin() const;
  // What the Host header and the signature carry: host, plus ":port" when
  // the port is not the scheme's default.
  std::string HostHeader() const;
};

// Parses "http(s)://host[:port][/path]"; the error names what is wrong.
Result<Endpoint> ParseEndpointUrl(const std::string& url);

Result<Endpoint> ResolveEndpoint(Service service, const std::string& region, const EnvLookup& env,
                                 const Profile& profile);

// A region name as AWS spells them ("us-east-1"): lower-case letters,
// digits and '-', at most 32 characters.
Result<std::string> ResolveRegion(const std::string& configured, const EnvLookup& env, const Profile& profile);

}  // namespace shoal::aws
