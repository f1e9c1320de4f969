// The AWS services Shoal talks to, and what the client needs to know of
// each: the name it signs with, its default host, the suffix of its
// AWS_ENDPOINT_URL_<SERVICE> variable and the API version of its query
// protocol.
#pragma once

#include <string_view>

namespace shoal::aws {

enum class Service { kEc2, kElbv2, kCloudWatch, kSqs, kS3 };

struct ServiceInfo {
  std::string_view name;          // for logs and rate-limit keys: "ec2"
  std::string_view signing_name;  // SigV4 credential scope: "elasticloadbalancing"
  std::string_view host_prefix;   // <prefix>.<region>.amazonaws.com
  std::string_view env_suffix;    // AWS_ENDPOINT_URL_<suffix>: the service id, upper case, '_' for ' '
  std::string_view api_version;   // the query protocol's Version= ("" for S3)
  std::string_view json_target;   // the JSON protocol's X-Amz-Target prefix ("" when it has none)
};

const ServiceInfo& InfoOf(Service service);

}  // namespace shoal::aws
