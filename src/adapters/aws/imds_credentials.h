// The instance role's credentials from the EC2 instance metadata service,
// the IMDSv2 way: PUT /latest/api/token for a session token, then GET
// /latest/meta-data/iam/security-credentials/ for the role name and
// .../<role> for the keys (JSON with AccessKeyId, SecretAccessKey, Token,
// Expiration). When the token PUT is refused with 403, 404 or 405 (IMDSv2
// not offered) the GETs go without a token, as the SDKs do, unless
// AWS_EC2_METADATA_V1_DISABLED is true.
//
// The endpoint is http://169.254.169.254 unless
// AWS_EC2_METADATA_SERVICE_ENDPOINT says otherwise (tests point it at a
// loopback server). Short timeouts: off EC2 nothing answers there.
#pragma once

#include <string>

#include "adapters/aws/credentials.h"
#include "adapters/aws/environment.h"
#include "adapters/aws/http.h"

namespace shoal::aws {

constexpr const char* kDefaultImdsEndpoint = "http://169.254.169.254";

// The HTTP options IMDS calls use (1 s to connect, 2 s in all).
HttpOptions ImdsHttpOptions();

class ImdsCredentials {
 public:
  // `http` must outlive this object.
  ImdsCredentials(const EnvLookup& env, HttpClient* http);

  // kUnavailable when IMDS did not answer; kPermissionDenied when it
  // answered but has no role; kInternal for an answer that makes no sense.
  Result<Credentials> Fetch();

  const std::string& endpoint() const { return endpoint_; }

 private:
  Result<std::string> Token();
  Result<std::string> Get(const std::string& path, const std::string& token);

  std::string endpoint_;
  bool v1_disabled_;
  HttpClient* http_;
};

}  // namespace shoal::aws
