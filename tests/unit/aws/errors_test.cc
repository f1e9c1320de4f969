// The AWS error table (one case per row class) and reading errors out of
// each protocol's answers.
#include "adapters/aws/errors.h"

#include <gtest/gtest.h>

namespace shoal::aws {
namespace {

void ExpectAll(std::initializer_list<const char*> codes, StatusCode want, long http_status = 400) {
  for (const char* code : codes) EXPECT_EQ(MapAwsError(code, http_status), want) << code;
}

TEST(ErrorMapTest, Capacity) {
  ExpectAll({"InsufficientInstanceCapacity", "InsufficientCapacity", "SpotMaxPriceTooLow", "InsufficientHostCapacity"},
            StatusCode::kInsufficientCapacity, 500);
}

TEST(ErrorMapTest, Limits) {
  ExpectAll({"MaxSpotInstanceCountExceeded", "InstanceLimitExceeded", "VcpuLimitExceeded", "TooManyTargets",
             "LimitExceeded", "SomeNewQuotaLimitExceeded"},
            StatusCode::kLimitExceeded);
}

TEST(ErrorMapTest, Throttling) {
  ExpectAll({"RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled", "SlowDown",
             "TooManyRequestsException"},
            StatusCode::kThrottled, 503);
  EXPECT_EQ(MapAwsError("", 429), StatusCode::kThrottled);
}

TEST(ErrorMapTest, Permission) {
  ExpectAll({"UnauthorizedOperation", "AccessDenied", "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch",
             "ExpiredToken"},
            StatusCode::kPermissionDenied, 403);
  EXPECT_EQ(MapAwsError("", 403), StatusCode::kPermissionDenied);
}

TEST(ErrorMapTest, InvalidRequests) {
  ExpectAll({"InvalidParameterValue", "InvalidParameterCombination", "InvalidParameter", "MissingParameter",
             "ValidationError", "InvalidAMIID.Malformed", "InvalidBucketName"},
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MapAwsError("", 400), StatusCode::kInvalidArgument);
}

TEST(ErrorMapTest, NotFound) {
  ExpectAll({"InvalidInstanceID.NotFound", "InvalidGroup.NotFound", "NoSuchKey", "NoSuchBucket", "TargetGroupNotFound",
             "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"},
            StatusCode::kNotFound, 404);
  EXPECT_EQ(MapAwsError("", 404), StatusCode::kNotFound);
  // ELBv2 answers 400 for a target it does not have or cannot take yet.
  EXPECT_EQ(MapAwsError("InvalidTarget", 400), StatusCode::kNotFound);
}

TEST(ErrorMapTest, Conflict) {
  ExpectAll({"PreconditionFailed", "ConditionalRequestConflict", "IdempotentParameterMismatch",
             "IncorrectInstanceState"},
            StatusCode::kConflict, 412);
  EXPECT_EQ(MapAwsError("", 409), StatusCode::kConflict);
}

TEST(ErrorMapTest, UnavailableOn5xxAndTimeouts) {
  ExpectAll({"InternalError", "ServiceUnavailable", "RequestTimeout", "Unavailable"}, StatusCode::kUnavailable, 500);
  for (long status : {500L, 502L, 503L, 504L}) EXPECT_EQ(MapAwsError("", status), StatusCode::kUnavailable);
  EXPECT_EQ(MapAwsError("SomethingNew", 503), StatusCode::kUnavailable);
}

HttpResponse Answer(long status, std::string body, Headers headers = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

TEST(ErrorParseTest, Ec2Response) {
  const AwsError error = ParseAwsError(Answer(
      400,
      "<?xml version=\"1.0\"?>\n<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"
      "<Message>The instance ID 'i-1' does not exist</Message></Error></Errors>"
      "<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"));
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(error.message, "The instance ID 'i-1' does not exist");
  EXPECT_EQ(error.request_id, "ea966190-f9aa-478e-9ede-example");
}

TEST(ErrorParseTest, QueryErrorResponse) {
  const AwsError error = ParseAwsError(Answer(
      400,
      "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\"><Error><Type>Sender</Type>"
      "<Code>TargetGroupNotFound</Code><Message>One or more target groups not found</Message></Error>"
      "<RequestId>0c3c0f7c-example</RequestId></ErrorResponse>"));
  EXPECT_EQ(error.code, "TargetGroupNotFound");
  EXPECT_EQ(error.message, "One or more target groups not found");
  EXPECT_EQ(error.request_id, "0c3c0f7c-example");
}

TEST(ErrorParseTest, S3Error) {
  const AwsError error = ParseAwsError(Answer(
      412,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PreconditionFailed</Code>"
      "<Message>At least one of the pre-conditions you specified did not hold</Message>"
      "<Condition>If-None-Match</Condition><RequestId>4442587FB7D0A2F9</RequestId></Error>"));
  EXPECT_EQ(error.code, "PreconditionFailed");
  EXPECT_EQ(error.request_id, "4442587FB7D0A2F9");
}

TEST(ErrorParseTest, JsonProtocolAndTheQueryCompatibleHeader) {
  const AwsError json = ParseAwsError(Answer(
      400, "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"The specified queue does not exist.\"}",
      {{"x-amzn-requestid", "req-json"}}));
  EXPECT_EQ(json.code, "QueueDoesNotExist");
  EXPECT_EQ(json.message, "The specified queue does not exist.");
  EXPECT_EQ(json.request_id, "req-json");
  const AwsError compatible = ParseAwsError(Answer(
      400, "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\"}",
      {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}));
  EXPECT_EQ(compatible.code, "AWS.SimpleQueueService.NonExistentQueue");
}

TEST(ErrorParseTest, UnreadableBodiesLeaveTheCodeEmpty) {
  for (const char* body : {"", "<html><body>502 Bad Gateway</body></html>", "<Error><Code>", "not xml at all",
                           "{\"broken\": ", "[1,2]"}) {
    const AwsError error = ParseAwsError(Answer(502, body, {{"x-amz-request-id", "from-header"}}));
    EXPECT_EQ(error.code, "") << body;
    EXPECT_EQ(error.request_id, "from-header") << body;
    EXPECT_EQ(MapAwsError(error.code, error.http_status), StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace shoal::aws
