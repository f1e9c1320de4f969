#include "adapters/local/imds_server.h"
#include "adapters/data/iso_time.h"
#include "test_ids.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace shoal {
namespace {

constexpr const char* kTokenHeader = "X-aws-ec2-metadata-token";
constexpr const char* kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
const InstanceId kId = Id(0x1a2b);
constexpr std::int64_t kTerminate = 1795674600;  // 2026-11-26T06:30:00Z

struct Answer {
  int status = 0;  // 0: no connection
  std::string body;
};

class ImdsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<int> port = server_.Serve({kId, "m5.large", "us-east-1a", true}, 0);
    ASSERT_TRUE(port.ok()) << port.status().message();
    port_ = *port;
  }
  void TearDown() override { server_.StopAll(); }

  Answer Get(const std::string& path, const httplib::Headers& headers = {}) const {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get(path.c_str(), headers);
    return res ? Answer{res->status, res->body} : Answer{};
  }
  Answer PutToken(const httplib::Headers& headers) const {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Put("/latest/api/token", headers, "", "text/plain");
    return res ? Answer{res->status, res->body} : Answer{};
  }

  ImdsServer server_;
  int port_ = 0;
};

TEST_F(ImdsServerTest, ServesTheIdentityPaths) {
  EXPECT_EQ(Get("/latest/meta-data/instance-id").body, kId.str());
  EXPECT_EQ(Get("/latest/meta-data/instance-type").body, "m5.large");
  EXPECT_EQ(Get("/latest/meta-data/placement/availability-zone").body, "us-east-1a");
  EXPECT_EQ(Get("/latest/meta-data/instance-life-cycle").body, "spot");
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 200);
}

TEST_F(ImdsServerTest, OnDemandLifeCycle) {
  Result<int> port = server_.Serve({Id(7), "c5.large", "us-east-1b", false}, 0);
  ASSERT_TRUE(port.ok());
  httplib::Client client("127.0.0.1", *port);
  auto res = client.Get("/latest/meta-data/instance-life-cycle");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "on-demand");
}

TEST_F(ImdsServerTest, UnknownPathsAre404) {
  for (const char* path : {"/latest/meta-data/nope", "/latest/meta-data/", "/latest/user-data", "/",
                           "/latest/meta-data/instance-id/extra", "/latest/meta-data/spot/termination-time"}) {
    EXPECT_EQ(Get(path).status, 404) << path;
  }
}

TEST_F(ImdsServerTest, InstanceActionIs404UntilSetThenEc2Json) {
  EXPECT_EQ(Get("/latest/meta-data/spot/instance-action").status, 404);
  server_.SetInstanceAction(kId, kTerminate);
  const Answer a = Get("/latest/meta-data/spot/instance-action");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(nlohmann::json::parse(a.body), (nlohmann::json{{"action", "terminate"}, {"time", "2026-11-26T06:30:00Z"}}));
  EXPECT_EQ(Get("/latest/meta-data/events/recommendations/rebalance").status, 404);  // independent
}

TEST_F(ImdsServerTest, RebalanceIs404UntilSetThenNoticeTime) {
  EXPECT_EQ(Get("/latest/meta-data/events/recommendations/rebalance").status, 404);
  server_.SetRebalanceRecommendation(kId, 0);
  const Answer a = Get("/latest/meta-data/events/recommendations/rebalance");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(nlohmann::json::parse(a.body), (nlohmann::json{{"noticeTime", "1970-01-01T00:00:00Z"}}));
  EXPECT_EQ(Get("/latest/meta-data/spot/instance-action").status, 404);
}

TEST_F(ImdsServerTest, NoticesForOtherOrUnknownInstancesDoNotLeak) {
  server_.SetInstanceAction(Id(999), kTerminate);  // not served: ignored
  EXPECT_EQ(Get("/latest/meta-data/spot/instance-action").status, 404);
}

TEST_F(ImdsServerTest, V2TokenFlow) {
  const Answer token = PutToken({{kTtlHeader, "21600"}});
  ASSERT_EQ(token.status, 200);
  ASSERT_FALSE(token.body.empty());
  EXPECT_EQ(Get("/latest/meta-data/instance-id", {{kTokenHeader, token.body}}).body, kId.str());
  // Every token is its own; a second one works alongside the first.
  const Answer other = PutToken({{kTtlHeader, "1"}});
  ASSERT_EQ(other.status, 200);
  EXPECT_NE(other.body, token.body);
  EXPECT_EQ(Get("/latest/meta-data/instance-type", {{kTokenHeader, token.body}}).status, 200);
}

TEST_F(ImdsServerTest, V1GetsWithoutTokenAreAllowed) {
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 200);
}

TEST_F(ImdsServerTest, UnknownTokenIs401) {
  EXPECT_EQ(Get("/latest/meta-data/instance-id", {{kTokenHeader, "not-a-token"}}).status, 401);
}

TEST_F(ImdsServerTest, TokenNeedsAValidTtl) {
  EXPECT_EQ(PutToken({}).status, 400);
  for (const char* ttl : {"0", "21601", "abc", "-5", ""}) EXPECT_EQ(PutToken({{kTtlHeader, ttl}}).status, 400) << ttl;
  EXPECT_EQ(PutToken({{kTtlHeader, "1"}}).status, 200);
}

TEST_F(ImdsServerTest, ServingAgainReturnsTheSamePort) {
  Result<int> again = server_.Serve({kId, "m5.large", "us-east-1a", true}, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, port_);
}

TEST_F(ImdsServerTest, EachInstanceHasItsOwnEndpoint) {
  Result<int> port = server_.Serve({Id(42), "c5.large", "us-east-1c", true}, 0);
  ASSERT_TRUE(port.ok());
  ASSERT_NE(*port, port_);
  server_.SetInstanceAction(Id(42), kTerminate);
  httplib::Client client("127.0.0.1", *port);
  auto res = client.Get("/latest/meta-data/spot/instance-action");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Get("/latest/meta-data/spot/instance-action").status, 404);
}

TEST_F(ImdsServerTest, BusyPortFailsWithIoError) {
  ImdsServer other;
  Result<int> port = other.Serve({Id(5), "m5.large", "us-east-1a", true}, port_);
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), StatusCode::kIoError);
  EXPECT_NE(port.status().message().find(std::to_string(port_)), std::string::npos) << port.status().message();
}

TEST_F(ImdsServerTest, StopClosesTheEndpointAndServeReopens) {
  server_.Stop(kId);
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 0);
  server_.Stop(kId);  // twice is harmless
  Result<int> port = server_.Serve({kId, "m5.large", "us-east-1a", true}, port_);
  ASSERT_TRUE(port.ok()) << port.status().message();
  EXPECT_EQ(Get("/latest/meta-data/instance-id").status, 200);
}

// Whether anything answers on 127.0.0.1:port (a refused connection: no).
bool Answers(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2);
  auto r = c.Get("/latest/meta-data/instance-id");
  return static_cast<bool>(r);
}

TEST(ImdsServerLifetime, StopRightAfterServeAndDestructorStopsAll) {
  for (int i = 0; i < 5; ++i) {
    int first = 0, second = 0;
    {
      ImdsServer s;
      Result<int> a = s.Serve({Id(1), "m5.large", "us-east-1a", true}, 0);
      Result<int> b = s.Serve({Id(2), "m5.large", "us-east-1a", true}, 0);
      ASSERT_TRUE(a.ok() && b.ok());
      first = *a;
      second = *b;
      s.Stop(Id(1));  // right after Serve: no race with its thread starting
      EXPECT_FALSE(Answers(first)) << "instance 1's endpoint is gone";
      EXPECT_TRUE(Answers(second)) << "instance 2's still serves";
    }  // ~ImdsServer stops instance 2 and joins its thread
    EXPECT_FALSE(Answers(second)) << "the destructor stopped every endpoint";
  }
}

TEST(ImdsFormatIsoUtc, KnownValues) {
  EXPECT_EQ(FormatIsoUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoUtc(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoUtc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatIsoUtc(1709164800), "2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatIsoUtc(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatIsoUtc(kTerminate), "2026-11-26T06:30:00Z");
  EXPECT_EQ(FormatIsoUtc(4102444799), "2099-12-31T23:59:59Z");
}

}  // namespace
}  // namespace shoal
