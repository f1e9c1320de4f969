// The fixture of the AWS adapters' unit tests: one AwsClient whose requests
// go to a ScriptedHttp, signed with static credentials, on a manual clock and
// a sleeper that only records. Each adapter's test builds its adapter over
// client_ in its own SetUp, after this one's.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "adapters/aws/client.h"
#include "adapters/aws/credentials.h"
#include "adapters/aws/environment.h"
#include "aws_test_util.h"
#include "ports/log.h"

namespace shoal::aws::testing {

class ScriptedClientTest : public ::testing::Test {
 protected:
  explicit ScriptedClientTest(Seconds now) : clock_(now) {}

  void SetUp() override {
    ClientDeps deps;
    deps.clock = &clock_;
    deps.log = &log_;
    deps.sleeper = &sleeper_;
    deps.env = MapEnv({{"AWS_REGION", "us-east-1"}});
    deps.http = &http_;
    deps.credentials = &credentials_;
    auto client = AwsClient::Create({}, std::move(deps));
    ASSERT_TRUE(client.ok()) << client.status().message();
    client_ = std::move(*client);
  }

  ManualClock clock_;
  MemoryLogger log_;
  FakeSleeper sleeper_;
  ScriptedHttp http_;
  StaticCredentials credentials_{Credentials{"AKID", "SECRET", "", kNever, "test"}};
  std::unique_ptr<AwsClient> client_;
};

}  // namespace shoal::aws::testing
