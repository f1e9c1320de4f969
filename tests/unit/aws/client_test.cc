// AwsClient on a scripted HTTP client, a manual clock and a fake sleeper:
// the requests it builds, its retries, the codes it returns and what it logs.
#include "adapters/aws/client.h"

#include <gtest/gtest.h>

#include "adapters/aws/signer.h"
#include "aws_test_util.h"

namespace shoal::aws {
namespace {

using testing::FakeSleeper;
using testing::ManualClock;
using testing::ScriptedHttp;

constexpr Seconds kNow = 1768465800;

const char* kThrottled =
    "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error>"
    "</Errors><RequestID>req-throttled</RequestID></Response>";
const char* kNoCapacity =
    "<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code><Message>We currently do not have sufficient "
    "m5.large capacity</Message></Error></Errors><RequestID>req-capacity</RequestID></Response>";

class ClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<AwsClient> Make(std::map<std::string, std::string> env = {{"AWS_REGION", "us-east-1"}},
                                  ClientOptions options = {}) {
    ClientDeps deps;
    deps.clock = &clock_;
    deps.log = &log_;
    deps.sleeper = &sleeper_;
    deps.env = MapEnv(std::move(env));
    deps.http = &http_;
    deps.credentials = &credentials_;
    auto client = AwsClient::Create(std::move(options), std::move(deps));
    EXPECT_TRUE(client.ok()) << client.status().message();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::vector<LogEvent> Failures() const {
    std::vector<LogEvent> out;
    for (const LogEvent& e : log_.events()) {
      if (e.event == "aws_call_failed") out.push_back(e);
    }
    return out;
  }

  static std::string Field(const LogEvent& event, const std::string& key) {
    for (const LogField& f : event.fields) {
      if (f.key == key) return f.value;
    }
    return "<none>";
  }

  ManualClock clock_{kNow};
  MemoryLogger log_;
  FakeSleeper sleeper_;
  ScriptedHttp http_;
  StaticCredentials credentials_{Credentials{"AKID", "SECRET", "SESSION", kNever, "test"}};
};

TEST_F(ClientTest, QueryIsASignedFormPostToTheServiceEndpoint) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(200, "<DescribeRegionsResponse><regionInfo><item><regionName>us-east-1"
                                       "</regionName></item></regionInfo></DescribeRegionsResponse>"));
  auto doc = client->Query(Service::kEc2, "DescribeRegions", {{"RegionName.1", "us-east-1"}, {"Filter.1.Name", "a b"}});
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(doc->Root().Text("regionInfo/item/regionName"), "us-east-1");
  const HttpRequest sent = http_.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://ec2.us-east-1.amazonaws.com/");
  EXPECT_EQ(sent.body, "Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1&Filter.1.Name=a%20b");
  EXPECT_EQ(HeaderValue(sent.headers, "content-type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(HeaderValue(sent.headers, "x-amz-date"), "20260115T083000Z");
  EXPECT_EQ(HeaderValue(sent.headers, "x-amz-security-token"), "SESSION");
  EXPECT_EQ(HeaderValue(sent.headers, "authorization").rfind(
                "AWS4-HMAC-SHA256 Credential=AKID/20260115/us-east-1/ec2/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=", 0),
            0u);
  EXPECT_TRUE(Failures().empty());
}

TEST_F(ClientTest, OtherServicesSignWithTheirOwnNamesAndVersions) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(200, "<x/>"));
  ASSERT_TRUE(client->Query(Service::kElbv2, "DescribeTargetHealth", {}).ok());
  ASSERT_TRUE(client->Query(Service::kCloudWatch, "PutMetricData", {}).ok());
  const auto sent = http_.requests();
  EXPECT_EQ(sent[0].url, "https://elasticloadbalancing.us-east-1.amazonaws.com/");
  EXPECT_NE(sent[0].body.find("Version=2015-12-01"), std::string::npos);
  EXPECT_NE(HeaderValue(sent[0].headers, "authorization").find("/elasticloadbalancing/aws4_request"), std::string::npos);
  EXPECT_EQ(sent[1].url, "https://monitoring.us-east-1.amazonaws.com/");
  EXPECT_NE(HeaderValue(sent[1].headers, "authorization").find("/monitoring/aws4_request"), std::string::npos);
}

TEST_F(ClientTest, ThrottlingIsRetriedWithJitteredBackoffThenSucceeds) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(503, kThrottled));
  http_.Push(ScriptedHttp::Answer(503, kThrottled));
  http_.Push(ScriptedHttp::Answer(200, "<ok/>"));
  Request request;
  request.action = "DescribeInstances";
  auto response = client->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->attempts, 3);
  const auto sleeps = sleeper_.sleeps();
  std::vector<double> backoffs;
  for (double s : sleeps) {
    if (s > 0) backoffs.push_back(s);
  }
  ASSERT_EQ(backoffs.size(), 2u);
  EXPECT_LT(backoffs[0], 1.0);
  EXPECT_LT(backoffs[1], 2.0);
  EXPECT_EQ(client->retry().quota_available(), 495);  // two retries at 5, the last refunded
  for (const HttpRequest& sent : http_.requests()) {
    int authorizations = 0;
    for (const auto& header : sent.headers) authorizations += header.first == "Authorization";
    EXPECT_EQ(authorizations, 1);
  }
  EXPECT_TRUE(Failures().empty());
}

TEST_F(ClientTest, PersistentThrottlingEndsThrottledAfterThreeAttemptsAndLogsOnce) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(503, kThrottled, {{"x-amzn-requestid", "hdr"}}));
  auto doc = client->Query(Service::kEc2, "TerminateInstances", {{"InstanceId.1", "i-1"}});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kThrottled);
  EXPECT_EQ(doc.status().message(),
            "ec2 TerminateInstances: RequestLimitExceeded: Request limit exceeded. (HTTP 503, request id "
            "req-throttled, attempt 3 of 3)");
  EXPECT_EQ(http_.requests().size(), 3u);
  const auto failures = Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(Field(failures[0], "service"), "ec2");
  EXPECT_EQ(Field(failures[0], "action"), "TerminateInstances");
  EXPECT_EQ(Field(failures[0], "code"), "RequestLimitExceeded");
  EXPECT_EQ(Field(failures[0], "status"), "throttled");
  EXPECT_EQ(Field(failures[0], "request_id"), "req-throttled");
  EXPECT_EQ(Field(failures[0], "attempt"), "3");
  EXPECT_EQ(Field(failures[0], "http_status"), "503");
}

TEST_F(ClientTest, ErrorsARetryCannotFixFailAtOnceWithTheirType) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(500, kNoCapacity));
  auto doc = client->Query(Service::kEc2, "RunInstances", {{"MinCount", "1"}, {"MaxCount", "1"}}, 1);
  EXPECT_EQ(doc.status().code(), StatusCode::kInsufficientCapacity);
  EXPECT_EQ(http_.requests().size(), 1u) << "InsufficientInstanceCapacity is not retried, even as a 500";
  ASSERT_EQ(Failures().size(), 1u);
  EXPECT_EQ(Field(Failures()[0], "code"), "InsufficientInstanceCapacity");
  EXPECT_EQ(Field(Failures()[0], "attempt"), "1");
}

TEST_F(ClientTest, TimeoutsAreRetriedAtTenQuotaAndConnectionFailuresEndUnavailable) {
  auto client = Make();
  http_.Push(ScriptedHttp::Failure(HttpFailure::kTimeout, "Timeout was reached"));
  http_.Push(ScriptedHttp::Answer(200, "<ok/>"));
  Request request;
  request.action = "DescribeInstances";
  ASSERT_TRUE(client->Send(request).ok());
  EXPECT_EQ(client->retry().quota_available(), 500);
  http_.ClearScript();
  http_.Push(ScriptedHttp::Failure(HttpFailure::kConnect, "Couldn't connect to server"));
  auto failed = client->Send(request);
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("ConnectionFailed: Couldn't connect to server (attempt 3 of 3)"),
            std::string::npos)
      << failed.status().message();
  EXPECT_EQ(Field(Failures().back(), "code"), "ConnectionFailed");
}

TEST_F(ClientTest, OversizedAndUnreadableAnswersAreInternalErrors) {
  auto client = Make();
  http_.Push(ScriptedHttp::Failure(HttpFailure::kTooLarge, "response body larger than 8 bytes"));
  http_.Push(ScriptedHttp::Answer(200, "<not closed"));
  auto big = client->Query(Service::kEc2, "DescribeInstances", {});
  EXPECT_EQ(big.status().code(), StatusCode::kInternal);
  EXPECT_EQ(http_.requests().size(), 1u) << "not retried";
  auto garbled = client->Query(Service::kEc2, "DescribeInstances", {});
  EXPECT_EQ(garbled.status().code(), StatusCode::kInternal);
  EXPECT_NE(garbled.status().message().find("unreadable answer"), std::string::npos);
  EXPECT_EQ(Failures().size(), 2u);
  EXPECT_EQ(Field(Failures().back(), "code"), "BadResponse");
}

TEST_F(ClientTest, JsonProtocolSetsTheTargetAndParsesTheAnswer) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(200, "{\"QueueUrl\":\"https://sqs.us-east-1.amazonaws.com/1/q\"}"));
  auto answer = client->Json(Service::kSqs, "GetQueueUrl", {{"QueueName", "q"}});
  ASSERT_TRUE(answer.ok()) << answer.status().message();
  EXPECT_EQ((*answer)["QueueUrl"], "https://sqs.us-east-1.amazonaws.com/1/q");
  const HttpRequest sent = http_.requests().at(0);
  EXPECT_EQ(HeaderValue(sent.headers, "x-amz-target"), "AmazonSQS.GetQueueUrl");
  EXPECT_EQ(HeaderValue(sent.headers, "content-type"), "application/x-amz-json-1.0");
  EXPECT_EQ(sent.body, "{\"QueueName\":\"q\"}");
  EXPECT_EQ(client->Json(Service::kEc2, "X", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, S3IsVirtualHostedOnAwsAndPathStyleElsewhere) {
  auto aws = Make({{"AWS_REGION", "eu-west-1"}});
  http_.Push(ScriptedHttp::Answer(200, "", {{"etag", "\"abc\""}}));
  auto put = aws->S3("PUT", "shoal-artifacts", "web/prod/web 1+2.tar", {{"If-None-Match", "*"}}, "tar");
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(put->Header("ETag"), "\"abc\"");
  HttpRequest sent = http_.requests().back();
  EXPECT_EQ(sent.method, "PUT");
  EXPECT_EQ(sent.url, "https://shoal-artifacts.s3.eu-west-1.amazonaws.com/web/prod/web%201%2B2.tar");
  EXPECT_EQ(HeaderValue(sent.headers, "x-amz-content-sha256"), Sha256Hex("tar"));
  EXPECT_NE(HeaderValue(sent.headers, "authorization").find("if-none-match"), std::string::npos);

  auto dotted = aws->S3("GET", "shoal.artifacts", "k");
  EXPECT_EQ(http_.requests().back().url, "https://s3.eu-west-1.amazonaws.com/shoal.artifacts/k");

  auto local = Make({{"AWS_REGION", "eu-west-1"}, {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"}});
  auto request = local->S3Request("GET", "shoal-artifacts", "a/b.tar");
  ASSERT_TRUE(request.ok());
  request->unsigned_payload = true;
  ASSERT_TRUE(local->Send(*request).ok());
  sent = http_.requests().back();
  EXPECT_EQ(sent.url, "http://127.0.0.1:9000/shoal-artifacts/a/b.tar");
  EXPECT_EQ(HeaderValue(sent.headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(local->S3Request("GET", "Bad_Bucket", "k").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(local->S3Request("PATCH", "bucket", "k").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, ConditionalWriteConflictIsAConflict) {
  auto client = Make();
  http_.Push(ScriptedHttp::Answer(412, "<Error><Code>PreconditionFailed</Code><Message>At least one of the "
                                       "pre-conditions you specified did not hold</Message></Error>"));
  auto put = client->S3("PUT", "bucket", "latest.txt", {{"If-None-Match", "*"}}, "12");
  EXPECT_EQ(put.status().code(), StatusCode::kConflict);
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(ClientTest, TheRateLimitSpacesCallsAndRefusesLongWaitsWithoutSending) {
  ClientOptions options;
  options.rate_limits.buckets = {{"ec2:RunInstances", {2, 1}}, {"ec2:RunInstances#resources", {10, 0.1}}};
  options.rate_limits.max_wait_seconds = 5;
  auto client = Make({{"AWS_REGION", "us-east-1"}}, options);
  http_.Push(ScriptedHttp::Answer(200, "<ok/>"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->Query(Service::kEc2, "RunInstances", {}, 1).ok());
  // Each call takes a request token, then a resource token per instance;
  // the third waited a second for its request token.
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<double>{0, 0, 0, 0, 1, 0}));
  const std::size_t sent = http_.requests().size();
  auto refused = client->Query(Service::kEc2, "RunInstances", {}, 10);  // 7.2 resource tokens: 28 s away
  EXPECT_EQ(refused.status().code(), StatusCode::kThrottled);
  EXPECT_EQ(http_.requests().size(), sent);
  EXPECT_EQ(Field(Failures().back(), "code"), "ClientRateLimit");
}

TEST_F(ClientTest, MissingCredentialsAreLoggedAndReturned) {
  ClientDeps deps;
  deps.clock = &clock_;
  deps.log = &log_;
  deps.sleeper = &sleeper_;
  deps.http = &http_;
  deps.env = MapEnv({{"AWS_REGION", "us-east-1"}, {"HOME", "/nonexistent"}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  auto client = AwsClient::Create({}, std::move(deps));
  ASSERT_TRUE(client.ok());
  auto doc = (*client)->Query(Service::kEc2, "DescribeInstances", {});
  EXPECT_EQ(doc.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(http_.requests().empty());
  EXPECT_EQ(Field(Failures().back(), "code"), "NoCredentials");
}

TEST_F(ClientTest, CreateRefusesWhatItCannotWorkWith) {
  ClientDeps deps;
  deps.clock = &clock_;
  deps.http = &http_;
  deps.credentials = &credentials_;
  deps.env = MapEnv({{"HOME", "/nonexistent"}});
  auto no_region = AwsClient::Create({}, deps);
  EXPECT_EQ(no_region.status().code(), StatusCode::kInvalidArgument);
  deps.env = MapEnv({{"AWS_REGION", "us-east-1"}, {"AWS_ENDPOINT_URL_SQS", "localhost:9324"}});
  auto bad_endpoint = AwsClient::Create({}, deps);
  EXPECT_NE(bad_endpoint.status().message().find("AWS_ENDPOINT_URL_SQS"), std::string::npos);
  ClientOptions options;
  options.retry.max_attempts = 0;
  deps.env = MapEnv({{"AWS_REGION", "us-east-1"}});
  EXPECT_EQ(AwsClient::Create(options, deps).status().code(), StatusCode::kInvalidArgument);
  deps.clock = nullptr;
  EXPECT_EQ(AwsClient::Create({}, deps).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, BadRequestsAreRefusedBeforeAnythingIsSent) {
  auto client = Make();
  Request request;
  EXPECT_EQ(client->Send(request).status().code(), StatusCode::kInvalidArgument);
  request.action = "X";
  request.path = "relative";
  EXPECT_EQ(client->Send(request).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(http_.requests().empty());
}

}  // namespace
}  // namespace shoal::aws
