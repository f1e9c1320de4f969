// The credentials chain, in the AWS SDKs' order (the parts Shoal runs with):
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//      optionally AWS_SESSION_TOKEN
//   2. the profile (profile_file.h): aws_access_key_id,
//      aws_secret_access_key, aws_session_token
//   3. the instance role through IMDSv2 (imds_credentials.h), unless
//      AWS_EC2_METADATA_DISABLED is true
// A profile asked for by name (the option or AWS_PROFILE) that does not
// exist, or that only has role_arn / credential_process / sso settings
// (not supported), is an error rather than a silent fall-through to the
// instance role.
//
// Credentials are cached. Those that expire (the instance role's) are
// fetched again once less than `refresh_margin` is left (15 min, as
// botocore); if that fails while the old ones are still valid they are
// used on, the failure is logged, and the next try waits `retry_after_failure`
// (so an IMDS outage costs one request and one log line a minute, not one
// per call).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/aws/credentials.h"
#include "adapters/aws/environment.h"
#include "adapters/aws/http.h"
#include "ports/clock.h"
#include "ports/log.h"

namespace shoal::aws {

struct ChainOptions {
  std::string profile;  // "" = AWS_PROFILE or "default"
  Seconds refresh_margin = 15 * kMinute;
  Seconds retry_after_failure = kMinute;
};

class CredentialsChain final : public CredentialsProvider {
 public:
  // `imds_http` may be null (a CurlHttpClient with ImdsHttpOptions is made).
  // `clock`, `imds_http` and `log` must outlive the chain; `log` may be null.
  CredentialsChain(EnvLookup env, ChainOptions options, const Clock* clock, HttpClient* imds_http, Logger* log);
  ~CredentialsChain() override;

  Result<Credentials> Get() override;

 private:
  Result<Credentials> Resolve();
  bool Fresh(const Credentials& credentials) const;

  EnvLookup env_;
  ChainOptions options_;
  const Clock* clock_;
  std::unique_ptr<HttpClient> own_http_;
  HttpClient* imds_http_;
  Logger* log_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
  Seconds next_refresh_ = 0;  // no refresh before this after a failed one
};

// Step 1 alone: nullopt when neither variable is set; an error when only
// one of the pair is.
Result<std::optional<Credentials>> CredentialsFromEnv(const EnvLookup& env);

}  // namespace shoal::aws
