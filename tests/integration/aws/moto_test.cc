// The AWS client against a real moto_server (EC2, SQS, S3) started on a
// free loopback port for this suite, and its retries through a loopback
// proxy that fails the first requests on purpose.
#include <gtest/gtest.h>

#include "adapters/aws/client.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"

namespace shoal::aws {
namespace {

class MotoTest : public testing::MotoSuite {
 protected:
  // A client whose every service goes to `endpoint` (moto, or a proxy in front of it).
  std::unique_ptr<AwsClient> Client(const std::string& endpoint) {
    ClientDeps deps;
    deps.clock = &clock_;
    deps.log = &log_;
    deps.sleeper = &sleeper_;
    deps.env = MapEnv({{"AWS_REGION", "us-east-1"},
                       {"AWS_ENDPOINT_URL", endpoint},
                       {"AWS_ACCESS_KEY_ID", "testing"},
                       {"AWS_SECRET_ACCESS_KEY", "testing"},
                       {"AWS_SESSION_TOKEN", "testing-token"},
                       {"HOME", "/nonexistent"},
                       {"AWS_EC2_METADATA_DISABLED", "true"}});
    auto client = AwsClient::Create({}, std::move(deps));
    EXPECT_TRUE(client.ok()) << client.status().message();
    return client.ok() ? std::move(*client) : nullptr;
  }

  int Failures() const {
    int n = 0;
    for (const LogEvent& e : log_.events()) n += e.event == "aws_call_failed";
    return n;
  }

  SystemClock clock_;
  MemoryLogger log_;
  testing::InstantSleeper sleeper_;
};

TEST_F(MotoTest, Ec2DescribeRegions) {
  auto client = Client(moto_->url());
  auto regions = client->Query(Service::kEc2, "DescribeRegions", {{"RegionName.1", "eu-west-1"}});
  ASSERT_TRUE(regions.ok()) << regions.status().message();
  EXPECT_EQ(regions->Root().Text("regionInfo/item/regionName"), "eu-west-1");
}

TEST_F(MotoTest, Ec2RunDescribeAndTerminateInstances) {
  auto client = Client(moto_->url());
  auto images = client->Query(Service::kEc2, "DescribeImages", {{"Owner.1", "amazon"}});
  ASSERT_TRUE(images.ok()) << images.status().message();
  const std::string image = images->Root().Text("imagesSet/item/imageId");
  ASSERT_FALSE(image.empty());

  auto run = client->Query(Service::kEc2, "RunInstances",
                           {{"ImageId", image}, {"InstanceType", "m5.large"}, {"MinCount", "2"}, {"MaxCount", "2"},
                            {"ClientToken", "web-7-0"},
                            {"TagSpecification.1.ResourceType", "instance"},
                            {"TagSpecification.1.Tag.1.Key", "shoal:group"},
                            {"TagSpecification.1.Tag.1.Value", "web prod"}},
                           2);
  ASSERT_TRUE(run.ok()) << run.status().message();
  std::vector<std::string> ids;
  for (const XmlNode& item : run->Root().All("instancesSet/item")) ids.push_back(item.Text("instanceId"));
  ASSERT_EQ(ids.size(), 2u);

  auto described = client->Query(Service::kEc2, "DescribeInstances",
                                 {{"Filter.1.Name", "tag:shoal:group"}, {"Filter.1.Value.1", "web prod"}});
  ASSERT_TRUE(described.ok()) << described.status().message();
  std::vector<std::string> seen;
  for (const XmlNode& item : described->Root().All("reservationSet/item/instancesSet/item")) {
    seen.push_back(item.Text("instanceId"));
    EXPECT_EQ(item.Text("instanceType"), "m5.large");
    EXPECT_EQ(item.Text("instanceState/name"), "running");
  }
  EXPECT_EQ(seen, ids);

  auto terminated = client->Query(Service::kEc2, "TerminateInstances",
                                  {{"InstanceId.1", ids[0]}, {"InstanceId.2", ids[1]}}, 2);
  ASSERT_TRUE(terminated.ok()) << terminated.status().message();
  for (const XmlNode& item : terminated->Root().All("instancesSet/item")) {
    EXPECT_EQ(item.Text("previousState/name"), "running");
    EXPECT_NE(item.Text("currentState/name"), "running");
  }
  EXPECT_EQ(Failures(), 0);
}

TEST_F(MotoTest, Ec2ErrorsArriveTyped) {
  auto client = Client(moto_->url());
  auto missing = client->Query(Service::kEc2, "TerminateInstances", {{"InstanceId.1", "i-0000000000000dead"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("InvalidInstanceID.NotFound"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(Failures(), 1);
}

TEST_F(MotoTest, SqsOverTheJsonProtocol) {
  auto client = Client(moto_->url());
  auto created = client->Json(Service::kSqs, "CreateQueue", {{"QueueName", "spot-notices"}});
  ASSERT_TRUE(created.ok()) << created.status().message();
  const std::string queue = (*created)["QueueUrl"];
  ASSERT_NE(queue.find("spot-notices"), std::string::npos);
  ASSERT_TRUE(client->Json(Service::kSqs, "SendMessage", {{"QueueUrl", queue}, {"MessageBody", "notice & more"}}).ok());
  auto received = client->Json(Service::kSqs, "ReceiveMessage", {{"QueueUrl", queue}, {"MaxNumberOfMessages", 10}});
  ASSERT_TRUE(received.ok()) << received.status().message();
  ASSERT_EQ((*received)["Messages"].size(), 1u);
  EXPECT_EQ((*received)["Messages"][0]["Body"], "notice & more");

  auto missing = client->Json(Service::kSqs, "GetQueueUrl", {{"QueueName", "no-such-queue"}});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().message();
}

TEST_F(MotoTest, SqsOverTheQueryProtocol) {
  auto client = Client(moto_->url());
  auto created = client->Query(Service::kSqs, "CreateQueue", {{"QueueName", "query-queue"}});
  ASSERT_TRUE(created.ok()) << created.status().message();
  const std::string queue = created->Root().Text("CreateQueueResult/QueueUrl");
  ASSERT_FALSE(queue.empty());
  ASSERT_TRUE(client->Query(Service::kSqs, "SendMessage", {{"QueueUrl", queue}, {"MessageBody", "a+b=c d"}}).ok());
  auto received = client->Query(Service::kSqs, "ReceiveMessage", {{"QueueUrl", queue}});
  ASSERT_TRUE(received.ok()) << received.status().message();
  EXPECT_EQ(received->Root().Text("ReceiveMessageResult/Message/Body"), "a+b=c d");
}

TEST_F(MotoTest, S3ConditionalPutThenConflictThenGet) {
  auto client = Client(moto_->url());
  ASSERT_TRUE(client->S3("PUT", "shoal-artifacts", "").ok());
  const std::string key = "web/prod/web 12+rc1.tar";
  auto first = client->S3("PUT", "shoal-artifacts", key, {{"If-None-Match", "*"}}, "tar bytes\n");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->Header("etag").empty());
  auto second = client->S3("PUT", "shoal-artifacts", key, {{"If-None-Match", "*"}}, "other bytes\n");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kConflict);
  EXPECT_NE(second.status().message().find("PreconditionFailed"), std::string::npos);
  auto got = client->S3("GET", "shoal-artifacts", key);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->body, "tar bytes\n");

  auto unsigned_put = client->S3Request("PUT", "shoal-artifacts", "web/prod/latest.txt");
  ASSERT_TRUE(unsigned_put.ok());
  unsigned_put->unsigned_payload = true;
  unsigned_put->body = "12\n";
  ASSERT_TRUE(client->Send(*unsigned_put).ok());
  EXPECT_EQ(client->S3("GET", "shoal-artifacts", "web/prod/latest.txt")->body, "12\n");

  auto missing = client->S3("GET", "shoal-artifacts", "web/prod/nope.tar");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("NoSuchKey"), std::string::npos);
  auto no_bucket = client->S3("GET", "no-such-bucket", "k");
  EXPECT_EQ(no_bucket.status().code(), StatusCode::kNotFound);
}

constexpr const char* kServiceUnavailable =
    "<Response><Errors><Error><Code>Unavailable</Code><Message>The server is overloaded</Message></Error></Errors>"
    "<RequestID>proxy</RequestID></Response>";
constexpr const char* kThrottling =
    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "<RequestId>proxy</RequestId></ErrorResponse>";

TEST_F(MotoTest, TransientFailuresAreRetriedUntilTheRequestPassesThrough) {
  testing::FlakyProxy proxy(moto_->port(), /*failures=*/2, 503, kServiceUnavailable);
  auto client = Client(proxy.url());
  Request request;
  request.action = "DescribeRegions";
  request.body = "Action=DescribeRegions&Version=2016-11-15";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  auto response = client->Send(request);
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->attempts, 3);
  EXPECT_EQ(proxy.requests(), 3);
  EXPECT_NE(response->body.find("regionInfo"), std::string::npos);
  EXPECT_EQ(Failures(), 0);
}

TEST_F(MotoTest, PersistentThrottlingStopsAfterThreeAttempts) {
  testing::FlakyProxy proxy(moto_->port(), /*failures=*/5, 400, kThrottling);
  auto client = Client(proxy.url());
  auto answer = client->Json(Service::kSqs, "ListQueues", nlohmann::json::object());
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kThrottled);
  EXPECT_EQ(proxy.requests(), 3);
  EXPECT_EQ(Failures(), 1);
  // The quota paid for two retries; the next call's success passes through.
  testing::FlakyProxy healthy(moto_->port(), 0, 503, "");
  auto fine = Client(healthy.url())->Json(Service::kSqs, "ListQueues", nlohmann::json::object());
  EXPECT_TRUE(fine.ok()) << fine.status().message();
}

}  // namespace
}  // namespace shoal::aws
