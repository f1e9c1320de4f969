// Endpoint and region resolution in the SDKs' order of precedence.
#include "adapters/aws/endpoint.h"

#include <gtest/gtest.h>

namespace shoal::aws {
namespace {

Profile NoProfile() { return Profile{"default", {}, false}; }

TEST(EndpointTest, DefaultsToAwsHostsPerService) {
  const EnvLookup env = MapEnv({});
  auto url = [&](Service s, const std::string& region) {
    auto endpoint = ResolveEndpoint(s, region, env, NoProfile());
    EXPECT_TRUE(endpoint.ok()) << endpoint.status().message();
    return endpoint->Origin();
  };
  EXPECT_EQ(url(Service::kEc2, "eu-west-1"), "https://ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(url(Service::kElbv2, "us-east-1"), "https://elasticloadbalancing.us-east-1.amazonaws.com");
  EXPECT_EQ(url(Service::kCloudWatch, "ap-south-1"), "https://monitoring.ap-south-1.amazonaws.com");
  EXPECT_EQ(url(Service::kSqs, "us-west-2"), "https://sqs.us-west-2.amazonaws.com");
  EXPECT_EQ(url(Service::kS3, "us-east-1"), "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(url(Service::kS3, "cn-north-1"), "https://s3.cn-north-1.amazonaws.com.cn");
  EXPECT_FALSE(ResolveEndpoint(Service::kEc2, "eu-west-1", env, NoProfile())->custom);
}

TEST(EndpointTest, ServiceVariableBeatsGlobalBeatsProfile) {
  Profile profile{"default", {{"endpoint_url", "http://profile.test:1"}}, true};
  EnvLookup env = MapEnv({{"AWS_ENDPOINT_URL", "http://global.test:2"},
                          {"AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:4566/"},
                          {"AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "https://elb.test"},
                          {"AWS_ENDPOINT_URL_CLOUDWATCH", "http://cw.test:3"},
                          {"AWS_ENDPOINT_URL_SQS", "http://sqs.test:4"},
                          {"AWS_ENDPOINT_URL_S3", "http://s3.test:5/prefix/"}});
  auto ec2 = ResolveEndpoint(Service::kEc2, "us-east-1", env, profile);
  ASSERT_TRUE(ec2.ok());
  EXPECT_EQ(ec2->Origin(), "http://127.0.0.1:4566");
  EXPECT_TRUE(ec2->custom);
  EXPECT_EQ(ResolveEndpoint(Service::kElbv2, "us-east-1", env, profile)->Origin(), "https://elb.test");
  EXPECT_EQ(ResolveEndpoint(Service::kCloudWatch, "us-east-1", env, profile)->Origin(), "http://cw.test:3");
  EXPECT_EQ(ResolveEndpoint(Service::kSqs, "us-east-1", env, profile)->Origin(), "http://sqs.test:4");
  auto s3 = ResolveEndpoint(Service::kS3, "us-east-1", env, profile);
  EXPECT_EQ(s3->Origin(), "http://s3.test:5");
  EXPECT_EQ(s3->base_path, "/prefix");

  env = MapEnv({{"AWS_ENDPOINT_URL", "http://global.test:2"}});
  EXPECT_EQ(ResolveEndpoint(Service::kEc2, "us-east-1", env, profile)->Origin(), "http://global.test:2");
  env = MapEnv({});
  EXPECT_EQ(ResolveEndpoint(Service::kEc2, "us-east-1", env, profile)->Origin(), "http://profile.test:1");
}

TEST(EndpointTest, IgnoreConfiguredEndpointsFallsBackToAws) {
  const EnvLookup env = MapEnv({{"AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:4566"},
                                {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}});
  EXPECT_EQ(ResolveEndpoint(Service::kEc2, "us-east-1", env, NoProfile())->Origin(),
            "https://ec2.us-east-1.amazonaws.com");
}

TEST(EndpointTest, HostHeaderCarriesOnlyANonDefaultPort) {
  EXPECT_EQ(ParseEndpointUrl("https://x.test:443")->HostHeader(), "x.test");
  EXPECT_EQ(ParseEndpointUrl("http://x.test:80")->HostHeader(), "x.test");
  EXPECT_EQ(ParseEndpointUrl("http://X.Test:8080")->HostHeader(), "x.test:8080");
}

TEST(EndpointTest, BadEndpointUrlsSayWhatIsWrong) {
  struct Case {
    const char* url;
    const char* says;
  } cases[] = {{"ec2.test", "expected http(s)://"},      {"ftp://x.test", "scheme must be http or https"},
               {"http://", "no host"},                   {"http://x.test:0", "out of range"},
               {"http://x.test:70000", "out of range"},      {"http://x.test:8a", "bad port"},
               {"http://u:p@x.test", "user info"},       {"http://x.test/?a=b", "query or fragment"},
               {"http://x_y.test", "bad character"}};
  for (const Case& c : cases) {
    auto endpoint = ParseEndpointUrl(c.url);
    ASSERT_FALSE(endpoint.ok()) << c.url;
    EXPECT_EQ(endpoint.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(endpoint.status().message().find(c.says), std::string::npos) << endpoint.status().message();
  }
  auto named = ResolveEndpoint(Service::kSqs, "us-east-1", MapEnv({{"AWS_ENDPOINT_URL_SQS", "sqs"}}), NoProfile());
  EXPECT_NE(named.status().message().find("AWS_ENDPOINT_URL_SQS"), std::string::npos);
}

TEST(RegionTest, ConfiguredThenAwsRegionThenDefaultRegionThenProfile) {
  Profile profile{"prod", {{"region", "eu-central-1"}}, true};
  const EnvLookup both = MapEnv({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "us-east-2"}});
  EXPECT_EQ(*ResolveRegion("ap-south-1", both, profile), "ap-south-1");
  EXPECT_EQ(*ResolveRegion("", both, profile), "us-west-2");
  EXPECT_EQ(*ResolveRegion("", MapEnv({{"AWS_DEFAULT_REGION", "us-east-2"}}), profile), "us-east-2");
  EXPECT_EQ(*ResolveRegion("", MapEnv({}), profile), "eu-central-1");
}

TEST(RegionTest, MissingOrMalformedRegionIsRefused) {
  auto none = ResolveRegion("", MapEnv({}), NoProfile());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("AWS_REGION"), std::string::npos);
  auto bad = ResolveRegion("", MapEnv({{"AWS_REGION", "us-east-1/../x"}}), NoProfile());
  EXPECT_NE(bad.status().message().find("AWS_REGION"), std::string::npos);
  EXPECT_FALSE(ResolveRegion("US-EAST-1", MapEnv({}), NoProfile()).ok());
}

}  // namespace
}  // namespace shoal::aws
