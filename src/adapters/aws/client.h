// Shoal's one AWS client, shared by the EC2, ELBv2, CloudWatch and SQS
// adapters and the S3 artifact store. A call goes:
//   rate limit (per action) -> credentials (chain, cached) -> sign (SigV4)
//   -> HTTP (libcurl, pooled connections) -> on failure: parse the AWS
//   error, retry in AWS's standard mode or map it to a StatusCode
// and every call that fails is logged once, with the service, action, AWS
// error code, request id and attempt count.
//
//   auto ec2 = client->Query(Service::kEc2, "DescribeInstances", {{"Filter.1.Name", "tag:shoal:group"}, ...});
//   for (XmlNode item : ec2->Root().All("reservationSet/item/instancesSet/item")) ...
//
// Thread-safe: calls may run from several threads at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/aws/credentials.h"
#include "adapters/aws/endpoint.h"
#include "adapters/aws/environment.h"
#include "adapters/aws/http.h"
#include "adapters/aws/rate_limit.h"
#include "adapters/aws/retry.h"
#include "adapters/aws/service.h"
#include "adapters/aws/sleeper.h"
#include "adapters/aws/xml.h"
#include "core/status.h"
#include "ports/clock.h"
#include "ports/log.h"

namespace shoal::aws {

struct ClientOptions {
  std::string region;   // "" = AWS_REGION, AWS_DEFAULT_REGION, the profile's region
  std::string profile;  // "" = AWS_PROFILE or "default"
  HttpOptions http;
  RetryOptions retry;
  RateLimitOptions rate_limits = DefaultRateLimits();
};

// What the client uses from outside; each must outlive it. Null members
// get the real thing.
struct ClientDeps {
  const Clock* clock = nullptr;                 // required: signing time, credential expiry
  Logger* log = nullptr;                        // null: no log
  Sleeper* sleeper = nullptr;                   // null: SteadySleeper
  EnvLookup env;                                // empty: the process environment
  HttpClient* http = nullptr;                   // null: CurlHttpClient(options.http)
  CredentialsProvider* credentials = nullptr;   // null: CredentialsChain
};

using Params = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Service service = Service::kEc2;
  std::string action;        // names the call in logs and rate limits: "RunInstances", "PutObject"
  std::string method = "POST";
  std::string path = "/";    // not encoded: the client encodes it
  std::string host_prefix;   // put before the endpoint's host ("bucket." for S3 virtual-hosted style)
  Params query;              // not encoded
  Headers headers;
  std::string body;
  bool unsigned_payload = false;       // S3: sign "UNSIGNED-PAYLOAD" rather than the body's hash
  double resource_units = 0;           // instances the call acts on (EC2's resource buckets)
  std::size_t max_response_bytes = 0;  // 0: the HTTP client's cap
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
  std::string request_id;
  int attempts = 0;
  std::string Header(std::string_view name) const { return HeaderValue(headers, name); }
};

class AwsClient {
 public:
  static Result<std::unique_ptr<AwsClient>> Create(ClientOptions options, ClientDeps deps);
  ~AwsClient();

  // One call, with its retries. A 2xx is a Response; anything else is a
  // Status whose message starts "<service> <Action>: <AWS code>: ...".
  Result<Response> Send(const Request& request);

  // The query protocol (EC2, ELBv2, CloudWatch, SQS): a form POST of
  // Action, Version and `params`; the answer parsed as XML.
  Result<XmlDocument> Query(Service service, const std::string& action, const Params& params,
                            double resource_units = 0);

  // The JSON 1.0 protocol (SQS): X-Amz-Target <prefix>.<action>.
  Result<nlohmann::json> Json(Service service, const std::string& action, const nlohmann::json& body);

  // An S3 request on a bucket or (with a key) an object, ready to Send (set
  // headers, body, unsigned_payload, max_response_bytes on it first).
  // Path-style on a configured endpoint and for bucket names with dots,
  // virtual-hosted on AWS's own. The action is named from the method:
  // PutObject, GetObject, HeadObject, DeleteObject; CreateBucket,
  // ListObjects, HeadBucket, DeleteBucket.
  Result<Request> S3Request(const std::string& method, const std::string& bucket, const std::string& key) const;
  // S3Request + Send.
  Result<Response> S3(const std::string& method, const std::string& bucket, const std::string& key,
                      Headers headers = {}, std::string body = {});

  const std::string& region() const { return region_; }
  const Endpoint& endpoint(Service service) const;
  const RetryStrategy& retry() const { return retry_; }

 private:
  AwsClient(ClientOptions options, ClientDeps deps);
  HttpRequest BuildHttp(const Request& request) const;
  Status Fail(const Request& request, Status status, const std::string& aws_code, long http_status,
              const std::string& request_id, int attempt);

  ClientOptions options_;
  ClientDeps deps_;
  std::unique_ptr<Sleeper> own_sleeper_;
  std::unique_ptr<HttpClient> own_http_;
  std::unique_ptr<CredentialsProvider> own_credentials_;
  std::string region_;
  std::map<Service, Endpoint> endpoints_;
  RetryStrategy retry_;
  std::unique_ptr<RateLimiter> limiter_;
};

}  // namespace shoal::aws
