// AWS credentials and where they come from. The chain that finds them
// (env, profile files, the instance role) is in credentials_chain.h.
#pragma once

#include <string>

#include "core/status.h"
#include "core/time.h"

namespace shoal::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;      // "" for long-term keys
  Seconds expiration = kNever;    // unix seconds; kNever for keys that do not expire
  std::string source;             // "env", "profile prod", "imds role web": for logs, never the secret
};

// Thread-safe sources of credentials.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<Credentials> Get() = 0;
};

// Fixed credentials (tests, or a caller that has them already).
class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(Credentials credentials) : credentials_(std::move(credentials)) {}
  Result<Credentials> Get() override { return credentials_; }

 private:
  Credentials credentials_;
};

}  // namespace shoal::aws
