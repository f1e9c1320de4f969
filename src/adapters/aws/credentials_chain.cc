#include "adapters/aws/credentials_chain.h"

#include <utility>

#include "adapters/aws/imds_credentials.h"
#include "adapters/aws/profile_file.h"

namespace shoal::aws {
namespace {

// Profile settings that name another way of getting credentials.
constexpr const char* kUnsupportedProfileKeys[] = {"role_arn", "credential_process", "sso_session",
                                                   "sso_start_url", "web_identity_token_file",
                                                   "credential_source"};

Result<std::optional<Credentials>> FromProfile(const EnvLookup& env, const std::string& requested) {
  auto profile = LoadProfile(env, requested);
  if (!profile.ok()) return profile.status();
  const bool named = !requested.empty() || env("AWS_PROFILE").has_value();
  if (!profile->found) {
    if (named) return Status::InvalidArgument("aws profile \"" + profile->name + "\" is in neither the config nor the credentials file");
    return std::optional<Credentials>();
  }
  const auto& values = profile->values;
  auto value = [&](const char* key) {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  };
  Credentials credentials;
  credentials.access_key_id = value("aws_access_key_id");
  credentials.secret_access_key = value("aws_secret_access_key");
  credentials.session_token = value("aws_session_token");
  credentials.source = "profile " + profile->name;
  if (!credentials.access_key_id.empty() && !credentials.secret_access_key.empty()) {
    return std::optional<Credentials>(std::move(credentials));
  }
  if (!credentials.access_key_id.empty() || !credentials.secret_access_key.empty()) {
    return Status::InvalidArgument("aws profile \"" + profile->name + "\" has only one of aws_access_key_id and aws_secret_access_key");
  }
  for (const char* key : kUnsupportedProfileKeys) {
    if (values.count(key) != 0) {
      return Status::InvalidArgument("aws profile \"" + profile->name + "\" gets its credentials through " + key +
                                     ", which Shoal does not support; give it static keys or use the instance role");
    }
  }
  return std::optional<Credentials>();
}

}  // namespace

Result<std::optional<Credentials>> CredentialsFromEnv(const EnvLookup& env) {
  const auto id = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::optional<Credentials>();
  if (!id) return Status::InvalidArgument("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!secret) return Status::InvalidArgument("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  Credentials credentials;
  credentials.access_key_id = *id;
  credentials.secret_access_key = *secret;
  credentials.session_token = env("AWS_SESSION_TOKEN").value_or("");
  credentials.source = "env";
  return std::optional<Credentials>(std::move(credentials));
}

CredentialsChain::CredentialsChain(EnvLookup env, ChainOptions options, const Clock* clock, HttpClient* imds_http,
                                   Logger* log)
    : env_(std::move(env)), options_(std::move(options)), clock_(clock), imds_http_(imds_http), log_(log) {
  if (imds_http_ == nullptr) {
    own_http_ = std::make_unique<CurlHttpClient>(ImdsHttpOptions());
    imds_http_ = own_http_.get();
  }
}

CredentialsChain::~CredentialsChain() = default;

bool CredentialsChain::Fresh(const Credentials& credentials) const {
  return credentials.expiration == kNever || clock_->Now() < credentials.expiration - options_.refresh_margin;
}

Result<Credentials> CredentialsChain::Resolve() {
  auto from_env = CredentialsFromEnv(env_);
  if (!from_env.ok()) return from_env.status();
  if (from_env->has_value()) return **from_env;
  auto from_profile = FromProfile(env_, options_.profile);
  if (!from_profile.ok()) return from_profile.status();
  if (from_profile->has_value()) return **from_profile;
  if (EnvFlag(env_, "AWS_EC2_METADATA_DISABLED")) {
    return Status::PermissionDenied("no aws credentials: none in the environment or the profile, and IMDS is disabled");
  }
  ImdsCredentials imds(env_, imds_http_);
  auto from_imds = imds.Fetch();
  if (!from_imds.ok()) {
    return from_imds.status().WithContext("no aws credentials in the environment or the profile, and the instance role");
  }
  return from_imds;
}

Result<Credentials> CredentialsChain::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cached_ && Fresh(*cached_)) return *cached_;
  if (cached_ && clock_->Now() < next_refresh_ && clock_->Now() < cached_->expiration) return *cached_;
  auto resolved = Resolve();
  if (resolved.ok()) {
    LogInfo(log_, "aws_credentials_loaded")
        .With("source", resolved->source)
        .With("expires", resolved->expiration == kNever ? std::string("never") : std::to_string(resolved->expiration));
    cached_ = *resolved;
    return resolved;
  }
  if (cached_ && clock_->Now() < cached_->expiration) {
    next_refresh_ = clock_->Now() + options_.retry_after_failure;
    LogWarn(log_, "aws_credentials_refresh_failed")
        .With("source", cached_->source)
        .With("code", ToString(resolved.status().code()))
        .With("error", resolved.status().message());
    return *cached_;
  }
  return resolved.status();
}

}  // namespace shoal::aws
