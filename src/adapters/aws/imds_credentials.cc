#include "adapters/aws/imds_credentials.h"

#include <nlohmann/json.hpp>

#include "adapters/data/iso_time.h"

namespace shoal::aws {
namespace {

constexpr const char* kTokenPath = "/latest/api/token";
constexpr const char* kRolesPath = "/latest/meta-data/iam/security-credentials/";
constexpr const char* kTokenHeader = "X-aws-ec2-metadata-token";
constexpr const char* kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr const char* kTokenTtl = "21600";  // 6 h, the most IMDS grants
constexpr std::size_t kMaxAnswerBytes = 64 << 10;
constexpr std::size_t kMaxRoleLength = 64;

// IAM role names: letters, digits and +=,.@_- ; anything else would change
// the path it is put in.
bool ValidRoleName(const std::string& role) {
  if (role.empty() || role.size() > kMaxRoleLength) return false;
  for (char c : role) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string StringField(const nlohmann::json& json, const char* key) {
  return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : "";
}

}  // namespace

HttpOptions ImdsHttpOptions() {
  HttpOptions options;
  options.connect_timeout_ms = 1000;
  options.total_timeout_ms = 2000;
  options.max_response_bytes = kMaxAnswerBytes;
  options.max_idle_handles = 1;
  return options;
}

ImdsCredentials::ImdsCredentials(const EnvLookup& env, HttpClient* http)
    : endpoint_(env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(kDefaultImdsEndpoint)),
      v1_disabled_(EnvFlag(env, "AWS_EC2_METADATA_V1_DISABLED")),
      http_(http) {
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

Result<std::string> ImdsCredentials::Token() {
  HttpRequest request;
  request.method = "PUT";
  request.url = endpoint_ + kTokenPath;
  request.headers.emplace_back(kTtlHeader, kTokenTtl);
  HttpOutcome outcome = http_->Send(request);
  if (!outcome.ok()) return Status::Unavailable("imds " + endpoint_ + ": token: " + outcome.error);
  const long status = outcome.response.status;
  if (status == 200 && !outcome.response.body.empty()) return outcome.response.body;
  if ((status == 403 || status == 404 || status == 405) && !v1_disabled_) return std::string();  // IMDSv1
  return Status::Unavailable("imds " + endpoint_ + ": token request answered " + std::to_string(status));
}

Result<std::string> ImdsCredentials::Get(const std::string& path, const std::string& token) {
  HttpRequest request;
  request.url = endpoint_ + path;
  if (!token.empty()) request.headers.emplace_back(kTokenHeader, token);
  HttpOutcome outcome = http_->Send(request);
  if (!outcome.ok()) return Status::Unavailable("imds " + endpoint_ + path + ": " + outcome.error);
  const long status = outcome.response.status;
  if (status == 404) return Status::PermissionDenied("imds: no instance role (" + path + " not found)");
  if (status != 200) return Status::Unavailable("imds " + path + " answered " + std::to_string(status));
  return std::move(outcome.response.body);
}

Result<Credentials> ImdsCredentials::Fetch() {
  auto token = Token();
  if (!token.ok()) return token.status();
  auto roles = Get(kRolesPath, *token);
  if (!roles.ok()) return roles.status();
  std::string role = roles->substr(0, roles->find('\n'));
  while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
  if (role.empty()) return Status::PermissionDenied("imds: no instance role attached");
  if (!ValidRoleName(role)) return Status::Internal("imds: bad role name \"" + role.substr(0, 80) + "\"");
  auto body = Get(std::string(kRolesPath) + role, *token);
  if (!body.ok()) return body.status();
  const nlohmann::json json = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Status::Internal("imds role " + role + ": the answer is not JSON");
  if (const std::string code = StringField(json, "Code"); !code.empty() && code != "Success") {
    return Status::Unavailable("imds role " + role + ": Code " + code + ": " + StringField(json, "Message"));
  }
  Credentials credentials;
  credentials.access_key_id = StringField(json, "AccessKeyId");
  credentials.secret_access_key = StringField(json, "SecretAccessKey");
  credentials.session_token = StringField(json, "Token");
  credentials.source = "imds role " + role;
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::Internal("imds role " + role + ": the answer has no AccessKeyId or SecretAccessKey");
  }
  auto expiration = ParseIsoUtc(StringField(json, "Expiration"));
  if (!expiration.ok()) return expiration.status().WithContext("imds role " + role + ": Expiration");
  credentials.expiration = *expiration;
  return credentials;
}

}  // namespace shoal::aws
