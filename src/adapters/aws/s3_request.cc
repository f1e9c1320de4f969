// AwsClient's S3 requests: bucket and key checks, addressing style, action names.
#include "adapters/aws/client.h"

namespace shoal::aws {
namespace {

constexpr std::size_t kMaxKeyBytes = 1024;

// S3's bucket naming rules (general purpose buckets): 3-63 characters of
// lower-case letters, digits, '.' and '-', starting and ending with a
// letter or digit.
bool ValidBucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(bucket.front()) && alnum(bucket.back());
}

std::string ActionName(const std::string& method, bool object) {
  if (object) {
    if (method == "PUT") return "PutObject";
    if (method == "GET") return "GetObject";
    if (method == "HEAD") return "HeadObject";
    if (method == "DELETE") return "DeleteObject";
  } else {
    if (method == "PUT") return "CreateBucket";
    if (method == "GET") return "ListObjects";
    if (method == "HEAD") return "HeadBucket";
    if (method == "DELETE") return "DeleteBucket";
  }
  return "";
}

}  // namespace

Result<Request> AwsClient::S3Request(const std::string& method, const std::string& bucket,
                                     const std::string& key) const {
  if (!ValidBucket(bucket)) {
    return Status::InvalidArgument("s3: \"" + bucket + "\" is not a valid bucket name (3-63 of a-z 0-9 . -)");
  }
  if (key.size() > kMaxKeyBytes) return Status::InvalidArgument("s3: key longer than 1024 bytes");
  Request request;
  request.service = Service::kS3;
  request.method = method;
  request.action = ActionName(method, !key.empty());
  if (request.action.empty()) return Status::InvalidArgument("s3: method " + method + " is not supported");
  // Virtual-hosted style needs a name that is one DNS label under the TLS
  // wildcard, so names with dots go path-style, as the SDKs do.
  const bool virtual_hosted = !endpoint(Service::kS3).custom && bucket.find('.') == std::string::npos;
  if (virtual_hosted) {
    request.host_prefix = bucket + ".";
    request.path = "/" + key;
  } else {
    request.path = "/" + bucket + (key.empty() ? "" : "/" + key);
  }
  return request;
}

Result<Response> AwsClient::S3(const std::string& method, const std::string& bucket, const std::string& key,
                               Headers headers, std::string body) {
  auto request = S3Request(method, bucket, key);
  if (!request.ok()) return request.status();
  request->headers = std::move(headers);
  request->body = std::move(body);
  return Send(*request);
}

}  // namespace shoal::aws
