#include "adapters/aws/client.h"

#include "adapters/aws/credentials_chain.h"
#include "adapters/aws/errors.h"
#include "adapters/aws/profile_file.h"
#include "adapters/aws/signer.h"

namespace shoal::aws {
namespace {

constexpr std::size_t kMaxActionLength = 128;
constexpr Service kAllServices[] = {Service::kEc2, Service::kElbv2, Service::kCloudWatch, Service::kSqs,
                                    Service::kS3};

std::string_view FailureName(HttpFailure failure) {
  switch (failure) {
    case HttpFailure::kNone: return "";
    case HttpFailure::kConnect: return "ConnectionFailed";
    case HttpFailure::kTimeout: return "Timeout";
    case HttpFailure::kTooLarge: return "ResponseTooLarge";
    case HttpFailure::kOther: return "TransportError";
  }
  return "";
}

std::string EncodeQuery(const Params& query) {
  std::string out;
  for (const auto& [key, value] : query) {
    out += (out.empty() ? "" : "&") + UriEncode(key, false) + "=" + UriEncode(value, false);
  }
  return out;
}

// What a failed attempt was: an AWS error answer or a transport failure.
struct FailedAttempt {
  StatusCode code = StatusCode::kUnavailable;
  std::string aws_code;  // the AWS code, "HTTP<status>" without one, or the transport failure's name
  std::string message;
  std::string request_id;
  long http_status = 0;  // 0: no answer
  RetryKind retry = RetryKind::kNone;
};

FailedAttempt Describe(const HttpOutcome& outcome) {
  FailedAttempt failed;
  if (!outcome.ok()) {
    failed.aws_code = FailureName(outcome.failure);
    failed.message = outcome.error;
    // A body over the cap will be over it again: not retried, not an outage.
    if (outcome.failure == HttpFailure::kTooLarge) {
      failed.code = StatusCode::kInternal;
    } else {
      failed.retry = ClassifyRetry(true, outcome.failure == HttpFailure::kTimeout, 0, "");
    }
    return failed;
  }
  const AwsError error = ParseAwsError(outcome.response);
  failed.http_status = error.http_status;
  failed.request_id = error.request_id;
  failed.aws_code = error.code.empty() ? "HTTP" + std::to_string(error.http_status) : error.code;
  failed.message = error.message.empty() ? "HTTP " + std::to_string(error.http_status) : error.message;
  failed.code = MapAwsError(error.code, error.http_status);
  failed.retry = ClassifyRetry(false, false, error.http_status, error.code);
  return failed;
}

std::string Where(const Request& request) {
  return std::string(InfoOf(request.service).name) + " " + request.action;
}

}  // namespace

Result<std::unique_ptr<AwsClient>> AwsClient::Create(ClientOptions options, ClientDeps deps) {
  if (deps.clock == nullptr) return Status::InvalidArgument("aws client: no clock");
  if (!deps.env) deps.env = ProcessEnv();
  if (options.retry.max_attempts < 1 || options.retry.max_attempts > 10) {
    return Status::InvalidArgument("aws client: max_attempts must be 1..10, not " +
                                   std::to_string(options.retry.max_attempts));
  }
  auto profile = LoadProfile(deps.env, options.profile);
  if (!profile.ok()) return profile.status();
  auto region = ResolveRegion(options.region, deps.env, *profile);
  if (!region.ok()) return region.status();
  std::unique_ptr<AwsClient> client(new AwsClient(std::move(options), std::move(deps)));
  client->region_ = *region;
  for (Service service : kAllServices) {
    auto endpoint = ResolveEndpoint(service, client->region_, client->deps_.env, *profile);
    if (!endpoint.ok()) return endpoint.status();
    client->endpoints_[service] = *endpoint;
  }
  return client;
}

AwsClient::AwsClient(ClientOptions options, ClientDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)), retry_(options_.retry) {
  if (deps_.sleeper == nullptr) {
    own_sleeper_ = std::make_unique<SteadySleeper>();
    deps_.sleeper = own_sleeper_.get();
  }
  if (deps_.http == nullptr) {
    own_http_ = std::make_unique<CurlHttpClient>(options_.http);
    deps_.http = own_http_.get();
  }
  if (deps_.credentials == nullptr) {
    own_credentials_ = std::make_unique<CredentialsChain>(deps_.env, ChainOptions{options_.profile}, deps_.clock,
                                                          nullptr, deps_.log);
    deps_.credentials = own_credentials_.get();
  }
  limiter_ = std::make_unique<RateLimiter>(options_.rate_limits, deps_.sleeper);
}

AwsClient::~AwsClient() = default;

const Endpoint& AwsClient::endpoint(Service service) const { return endpoints_.at(service); }

HttpRequest AwsClient::BuildHttp(const Request& request) const {
  const Endpoint& endpoint = endpoints_.at(request.service);
  HttpRequest http;
  http.method = request.method;
  Endpoint target = endpoint;
  target.host = request.host_prefix + endpoint.host;
  http.url = target.Origin() + endpoint.base_path + UriEncode(request.path, /*keep_slash=*/true);
  if (!request.query.empty()) http.url += "?" + EncodeQuery(request.query);
  http.headers = request.headers;
  http.body = request.body;
  http.max_response_bytes = request.max_response_bytes;
  return http;
}

Status AwsClient::Fail(const Request& request, Status status, const std::string& aws_code, long http_status,
                       const std::string& request_id, int attempt) {
  LogWarn(deps_.log, "aws_call_failed")
      .With("service", InfoOf(request.service).name)
      .With("action", request.action)
      .With("code", aws_code)
      .With("status", ToString(status.code()))
      .With("http_status", http_status)
      .With("request_id", request_id)
      .With("attempt", attempt)
      .With("error", status.message());
  return status;
}

Result<Response> AwsClient::Send(const Request& request) {
  if (request.action.empty() || request.action.size() > kMaxActionLength) {
    return Status::InvalidArgument("aws call without an action name (or one over 128 characters)");
  }
  if (request.path.empty() || request.path.front() != '/') {
    return Status::InvalidArgument(Where(request) + ": path must start with '/'");
  }
  const ServiceInfo& info = InfoOf(request.service);
  const std::string key = std::string(info.name) + ":" + request.action;
  const SigningParams signing{std::string(info.signing_name), region_, request.service == Service::kS3,
                              request.unsigned_payload};
  HttpRequest http = BuildHttp(request);
  int retry_taken = 0;
  for (int attempt = 1;; ++attempt) {
    // Each attempt is a request EC2 counts, so each takes a token.
    Status limited = limiter_->Acquire(key, 1);
    if (limited.ok() && attempt == 1 && request.resource_units > 0) {
      limited = limiter_->Acquire(key + "#resources", request.resource_units);
    }
    if (!limited.ok()) return Fail(request, limited.WithContext(Where(request)), "ClientRateLimit", 0, "", attempt);
    auto credentials = deps_.credentials->Get();
    if (!credentials.ok()) {
      return Fail(request, credentials.status().WithContext(Where(request)), "NoCredentials", 0, "", attempt);
    }
    Status signed_ok = SignRequest(http, *credentials, deps_.clock->Now(), signing);
    if (!signed_ok.ok()) return Fail(request, signed_ok.WithContext(Where(request)), "SigningFailed", 0, "", attempt);

    HttpOutcome outcome = deps_.http->Send(http);
    if (outcome.ok() && outcome.response.status >= 200 && outcome.response.status < 300) {
      retry_.OnSuccess(retry_taken);
      std::string request_id = RequestIdOf(outcome.response);
      return Response{outcome.response.status, std::move(outcome.response.headers), std::move(outcome.response.body),
                      std::move(request_id), attempt};
    }
    const FailedAttempt failed = Describe(outcome);
    if (auto delay = retry_.NextDelay(attempt, failed.retry, &retry_taken)) {
      deps_.sleeper->Sleep(*delay);
      continue;
    }
    std::string text = Where(request) + ": " + failed.aws_code + ": " + failed.message + " (";
    if (failed.http_status != 0) text += "HTTP " + std::to_string(failed.http_status) + ", ";
    if (!failed.request_id.empty()) text += "request id " + failed.request_id + ", ";
    text += "attempt " + std::to_string(attempt) + " of " + std::to_string(options_.retry.max_attempts) + ")";
    return Fail(request, Status::FromCode(failed.code, text), failed.aws_code, failed.http_status, failed.request_id,
                attempt);
  }
}

Result<XmlDocument> AwsClient::Query(Service service, const std::string& action, const Params& params,
                                     double resource_units) {
  const ServiceInfo& info = InfoOf(service);
  if (info.api_version.empty()) return Status::InvalidArgument(std::string(info.name) + " has no query protocol");
  Request request;
  request.service = service;
  request.action = action;
  request.resource_units = resource_units;
  Params form{{"Action", action}, {"Version", std::string(info.api_version)}};
  form.insert(form.end(), params.begin(), params.end());
  request.body = EncodeQuery(form);
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  auto response = Send(request);
  if (!response.ok()) return response.status();
  auto doc = XmlDocument::Parse(response->body);
  if (!doc.ok()) {
    return Fail(request, Status::Internal(Where(request) + ": unreadable answer: " + doc.status().message()),
                "BadResponse", response->status, response->request_id, response->attempts);
  }
  return doc;
}

Result<nlohmann::json> AwsClient::Json(Service service, const std::string& action, const nlohmann::json& body) {
  const ServiceInfo& info = InfoOf(service);
  if (info.json_target.empty()) return Status::InvalidArgument(std::string(info.name) + " has no JSON protocol");
  Request request;
  request.service = service;
  request.action = action;
  request.body = body.dump();
  request.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
  request.headers.emplace_back("X-Amz-Target", std::string(info.json_target) + "." + action);
  auto response = Send(request);
  if (!response.ok()) return response.status();
  if (response->body.empty()) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Fail(request, Status::Internal(Where(request) + ": unreadable answer: not JSON"), "BadResponse",
                response->status, response->request_id, response->attempts);
  }
  return parsed;
}

}  // namespace shoal::aws
