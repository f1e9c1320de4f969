// AWS error answers: reading the code, message and request id out of a
// failed response, and the one table that maps AWS error codes onto
// Shoal's StatusCode (errors.cc).
#pragma once

#include <string>
#include <string_view>

#include "adapters/aws/http.h"
#include "core/status.h"

namespace shoal::aws {

struct AwsError {
  long http_status = 0;
  std::string code;     // "InsufficientInstanceCapacity"; "" when the body said nothing readable
  std::string message;
  std::string request_id;
};

// Reads the error of a non-2xx response, whatever the protocol:
//   <Response><Errors><Error><Code>...   EC2
//   <ErrorResponse><Error><Code>...      ELBv2, CloudWatch, SQS (query)
//   <Error><Code>...                     S3
//   {"__type": "...#Code", "message"}    JSON protocols (SQS), and the
//   x-amzn-query-error header ("AWS.SimpleQueueService.NonExistentQueue;Sender"),
//   whose query-compatible code is preferred, as the SDKs do.
// A body that is none of these (an HTML page from a proxy, nothing) leaves
// the code empty; the HTTP status still classifies it.
AwsError ParseAwsError(const HttpResponse& response);

// The request id AWS put in the headers (x-amzn-requestid, x-amz-request-id).
std::string RequestIdOf(const HttpResponse& response);

// Which StatusCode an AWS error is. The code decides; the HTTP status only
// when the code is unknown (429 throttled, 403 permission, 404 not found,
// 409/412 conflict, 5xx unavailable, other 4xx invalid).
StatusCode MapAwsError(std::string_view code, long http_status);

}  // namespace shoal::aws
