#include "adapters/aws/errors.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "adapters/aws/xml.h"

namespace shoal::aws {
namespace {

struct CodeRow {
  std::string_view code;
  StatusCode status;
};

// THE table: every AWS error code Shoal tells apart. Codes of the services
// the client serves (EC2, ELBv2, CloudWatch, SQS, S3); those the retry
// strategy retries (retry.cc) are here too, so the final answer after the
// last attempt has the right type. Patterns for the rest follow below.
constexpr std::array kCodes = {
    // The cloud has no capacity for this request now: try another pool.
    CodeRow{"InsufficientInstanceCapacity", StatusCode::kInsufficientCapacity},
    CodeRow{"InsufficientCapacity", StatusCode::kInsufficientCapacity},
    CodeRow{"InsufficientHostCapacity", StatusCode::kInsufficientCapacity},
    CodeRow{"InsufficientReservedInstanceCapacity", StatusCode::kInsufficientCapacity},
    CodeRow{"SpotMaxPriceTooLow", StatusCode::kInsufficientCapacity},
    // An account quota is reached: a person has to raise it.
    CodeRow{"MaxSpotInstanceCountExceeded", StatusCode::kLimitExceeded},
    CodeRow{"InstanceLimitExceeded", StatusCode::kLimitExceeded},
    CodeRow{"VcpuLimitExceeded", StatusCode::kLimitExceeded},
    CodeRow{"ResourceLimitExceeded", StatusCode::kLimitExceeded},
    CodeRow{"TooManyTargets", StatusCode::kLimitExceeded},
    CodeRow{"TooManyTargetGroups", StatusCode::kLimitExceeded},
    CodeRow{"TooManyLoadBalancers", StatusCode::kLimitExceeded},
    CodeRow{"TooManyRegistrationsForTargetId", StatusCode::kLimitExceeded},
    CodeRow{"LimitExceeded", StatusCode::kLimitExceeded},  // CloudWatch LimitExceededFault
    CodeRow{"OverLimit", StatusCode::kLimitExceeded},      // SQS
    // Too many requests: slow down.
    CodeRow{"RequestLimitExceeded", StatusCode::kThrottled},
    CodeRow{"Throttling", StatusCode::kThrottled},
    CodeRow{"ThrottlingException", StatusCode::kThrottled},
    CodeRow{"ThrottledException", StatusCode::kThrottled},
    CodeRow{"RequestThrottled", StatusCode::kThrottled},
    CodeRow{"RequestThrottledException", StatusCode::kThrottled},
    CodeRow{"TooManyRequestsException", StatusCode::kThrottled},
    CodeRow{"SlowDown", StatusCode::kThrottled},
    CodeRow{"ProvisionedThroughputExceededException", StatusCode::kThrottled},
    CodeRow{"TransactionInProgressException", StatusCode::kThrottled},
    CodeRow{"BandwidthLimitExceeded", StatusCode::kThrottled},
    CodeRow{"LimitExceededException", StatusCode::kThrottled},  // a throttle in the services that send it
    CodeRow{"EC2ThrottledException", StatusCode::kThrottled},
    CodeRow{"PriorRequestNotComplete", StatusCode::kThrottled},
    // The credentials may not do this (or are not valid).
    CodeRow{"UnauthorizedOperation", StatusCode::kPermissionDenied},
    CodeRow{"AccessDenied", StatusCode::kPermissionDenied},
    CodeRow{"AccessDeniedException", StatusCode::kPermissionDenied},
    CodeRow{"AuthFailure", StatusCode::kPermissionDenied},
    CodeRow{"InvalidClientTokenId", StatusCode::kPermissionDenied},
    CodeRow{"InvalidAccessKeyId", StatusCode::kPermissionDenied},
    CodeRow{"SignatureDoesNotMatch", StatusCode::kPermissionDenied},
    CodeRow{"IncompleteSignature", StatusCode::kPermissionDenied},
    CodeRow{"MissingAuthenticationToken", StatusCode::kPermissionDenied},
    CodeRow{"ExpiredToken", StatusCode::kPermissionDenied},
    CodeRow{"ExpiredTokenException", StatusCode::kPermissionDenied},
    CodeRow{"RequestExpired", StatusCode::kPermissionDenied},
    CodeRow{"RequestTimeTooSkewed", StatusCode::kPermissionDenied},
    CodeRow{"OptInRequired", StatusCode::kPermissionDenied},
    CodeRow{"Blocked", StatusCode::kPermissionDenied},
    // The request itself is wrong (the InvalidParameter* and *.Malformed
    // families are matched below).
    CodeRow{"MissingParameter", StatusCode::kInvalidArgument},
    CodeRow{"ValidationError", StatusCode::kInvalidArgument},
    CodeRow{"ValidationException", StatusCode::kInvalidArgument},
    CodeRow{"InvalidAction", StatusCode::kInvalidArgument},
    CodeRow{"InvalidRequest", StatusCode::kInvalidArgument},
    CodeRow{"InvalidArgument", StatusCode::kInvalidArgument},
    CodeRow{"MalformedQueryString", StatusCode::kInvalidArgument},
    CodeRow{"MalformedXML", StatusCode::kInvalidArgument},
    CodeRow{"UnsupportedOperation", StatusCode::kInvalidArgument},
    CodeRow{"Unsupported", StatusCode::kInvalidArgument},
    CodeRow{"EntityTooLarge", StatusCode::kInvalidArgument},
    CodeRow{"KeyTooLongError", StatusCode::kInvalidArgument},
    // What the request names does not exist (the *.NotFound family of EC2
    // is matched below).
    CodeRow{"NoSuchKey", StatusCode::kNotFound},
    CodeRow{"NoSuchBucket", StatusCode::kNotFound},
    CodeRow{"NoSuchUpload", StatusCode::kNotFound},
    CodeRow{"NotFound", StatusCode::kNotFound},
    CodeRow{"TargetGroupNotFound", StatusCode::kNotFound},
    // ELBv2: the target is not in the target group (deregistering it again)
    // or cannot be yet (an instance that is still pending): either way
    // retryable, never a bad request.
    CodeRow{"InvalidTarget", StatusCode::kNotFound},
    CodeRow{"LoadBalancerNotFound", StatusCode::kNotFound},
    CodeRow{"ListenerNotFound", StatusCode::kNotFound},
    CodeRow{"RuleNotFound", StatusCode::kNotFound},
    CodeRow{"ResourceNotFound", StatusCode::kNotFound},
    CodeRow{"ResourceNotFoundException", StatusCode::kNotFound},
    CodeRow{"QueueDoesNotExist", StatusCode::kNotFound},
    CodeRow{"AWS.SimpleQueueService.NonExistentQueue", StatusCode::kNotFound},
    // The request contradicts the current state (S3 conditional writes,
    // a reused idempotency token with other parameters, a name taken).
    CodeRow{"PreconditionFailed", StatusCode::kConflict},
    CodeRow{"ConditionalRequestConflict", StatusCode::kConflict},
    CodeRow{"IdempotentParameterMismatch", StatusCode::kConflict},
    CodeRow{"IncorrectState", StatusCode::kConflict},
    CodeRow{"IncorrectInstanceState", StatusCode::kConflict},
    CodeRow{"BucketAlreadyExists", StatusCode::kConflict},
    CodeRow{"BucketAlreadyOwnedByYou", StatusCode::kConflict},
    CodeRow{"QueueAlreadyExists", StatusCode::kConflict},
    CodeRow{"DuplicateTargetGroupName", StatusCode::kConflict},
    CodeRow{"DuplicateLoadBalancerName", StatusCode::kConflict},
    CodeRow{"ResourceInUse", StatusCode::kConflict},
    // The service failed or did not answer in time: the outcome is unknown.
    CodeRow{"InternalError", StatusCode::kUnavailable},
    CodeRow{"InternalFailure", StatusCode::kUnavailable},
    CodeRow{"ServiceUnavailable", StatusCode::kUnavailable},
    CodeRow{"Unavailable", StatusCode::kUnavailable},
    CodeRow{"RequestTimeout", StatusCode::kUnavailable},
    CodeRow{"RequestTimeoutException", StatusCode::kUnavailable},
};

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

StatusCode MapHttpStatus(long http_status) {
  if (http_status == 429) return StatusCode::kThrottled;
  if (http_status == 401 || http_status == 403) return StatusCode::kPermissionDenied;
  if (http_status == 404) return StatusCode::kNotFound;
  if (http_status == 409 || http_status == 412) return StatusCode::kConflict;
  if (http_status >= 500 || http_status == 0) return StatusCode::kUnavailable;
  return StatusCode::kInvalidArgument;
}

// The code after the last '#' and before any ':' ("com.amazonaws.sqs#QueueDoesNotExist:http://...").
std::string JsonErrorCode(std::string type) {
  if (const auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
  if (const auto colon = type.find(':'); colon != std::string::npos) type.resize(colon);
  return type;
}

void ReadJsonError(const std::string& body, AwsError& error) {
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return;
  for (const char* key : {"__type", "code", "Code"}) {
    if (json.contains(key) && json[key].is_string()) {
      error.code = JsonErrorCode(json[key].get<std::string>());
      break;
    }
  }
  for (const char* key : {"message", "Message"}) {
    if (json.contains(key) && json[key].is_string()) {
      error.message = json[key].get<std::string>();
      break;
    }
  }
}

void ReadXmlError(const std::string& body, AwsError& error) {
  auto doc = XmlDocument::Parse(body);
  if (!doc.ok()) return;
  const XmlNode root = doc->Root();
  XmlNode node;
  if (root.Name() == "Response") node = root.Find("Errors/Error");     // EC2
  if (root.Name() == "ErrorResponse") node = root.Child("Error");      // ELBv2, CloudWatch, SQS
  if (root.Name() == "Error") node = root;                             // S3
  if (!node) return;
  error.code = node.Text("Code");
  error.message = node.Text("Message");
  // EC2 says RequestID, the others RequestId, at varying depths.
  for (const char* path : {"RequestID", "RequestId"}) {
    if (error.request_id.empty()) error.request_id = root.Text(path);
    if (error.request_id.empty()) error.request_id = node.Text(path);
  }
}

}  // namespace

std::string RequestIdOf(const HttpResponse& response) {
  for (const char* name : {"x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"}) {
    std::string id = response.Header(name);
    if (!id.empty()) return id;
  }
  return "";
}

AwsError ParseAwsError(const HttpResponse& response) {
  AwsError error;
  error.http_status = response.status;
  const std::size_t first = response.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && response.body[first] == '{') {
    ReadJsonError(response.body, error);
  } else if (first != std::string::npos && response.body[first] == '<') {
    ReadXmlError(response.body, error);
  }
  if (error.code.empty()) error.code = JsonErrorCode(response.Header("x-amzn-errortype"));
  // A service answering in JSON for a query-protocol client names the
  // query-compatible code here, e.g. "AWS.SimpleQueueService.NonExistentQueue;Sender".
  if (std::string query_error = response.Header("x-amzn-query-error"); !query_error.empty()) {
    error.code = query_error.substr(0, query_error.find(';'));
  }
  if (error.request_id.empty()) error.request_id = RequestIdOf(response);
  return error;
}

StatusCode MapAwsError(std::string_view code, long http_status) {
  for (const CodeRow& row : kCodes) {
    if (row.code == code) return row.status;
  }
  if (EndsWith(code, ".NotFound") || EndsWith(code, "NotFound") || EndsWith(code, "NotFoundException")) {
    return StatusCode::kNotFound;  // InvalidInstanceID.NotFound, InvalidGroup.NotFound, ...
  }
  if (StartsWith(code, "InvalidParameter") || EndsWith(code, ".Malformed") || StartsWith(code, "Invalid")) {
    return StatusCode::kInvalidArgument;  // InvalidParameterValue, InvalidAMIID.Malformed, InvalidBucketName, ...
  }
  if (EndsWith(code, "LimitExceeded")) return StatusCode::kLimitExceeded;  // other quotas
  return MapHttpStatus(http_status);
}

}  // namespace shoal::aws
