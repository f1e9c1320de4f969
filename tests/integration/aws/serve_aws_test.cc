// `shoal serve --config examples/aws.yaml` end to end against a real
// moto_server on loopback, through a fault-injecting proxy of the test's own
// (moto cannot run out of spot capacity): launches with their tags, targets
// registered in the ELBv2 target group, scale out and in, a spot notice on
// the SQS queue replaced at once, a SIGKILLed daemon adopting its instances
// by tag with no duplicate, and a spot capacity error answered with an
// on-demand launch in the same tick. Health comes from DescribeTargetHealth
// only: nothing is ever sent to the addresses moto invents.
#include "serve_aws_fixture.h"

namespace shoal::aws {
namespace {

TEST_F(ServeAwsTest, LaunchesSpotRegistersTargetsAndScalesOutAndIn) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Running().size() == 2; }, 60s)) << Log();
  for (const auto& [id, v] : Running()) EXPECT_EQ(v.market, "spot") << id;
  ASSERT_TRUE(Eventually([&] { return Targets().size() == 2; }, 60s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 60s)) << Group().dump() << Log();

  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", R"({"desired": 4})").status, 200);
  ASSERT_TRUE(Eventually([&] { return Running().size() == 4 && Targets().size() == 4; }, 60s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 4; }, 60s)) << Log();

  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", R"({"desired": 2})").status, 200);
  // Drained (the target group's delay is the group's drain_timeout), then terminated.
  ASSERT_TRUE(Eventually([&] { return Running().size() == 2; }, 120s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Targets().size() == 2; }, 60s)) << Log();
  EXPECT_EQ(Instances().size(), 4u) << "two terminated, none launched twice";
}

TEST_F(ServeAwsTest, ASpotNoticeOnTheQueueIsReplacedAtOnce) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const std::string victim = Running().begin()->first;
  const auto sent = std::chrono::steady_clock::now();
  SendEvent("EC2 Spot Instance Interruption Warning", victim, {{"instance-action", "terminate"}});
  // A replacement is launched (a third instance) and the noticed one goes.
  ASSERT_TRUE(Eventually([&] { return Instances().size() == 3; }, 30s)) << Log();
  const auto replaced_in = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  ASSERT_TRUE(Eventually([&] { return Running().count(victim) == 0; }, 120s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 60s)) << Log();
  RecordProperty("notice_to_replacement_ms", static_cast<int>(replaced_in.count()));
  std::cout << "notice on the queue -> replacement listed by EC2: " << replaced_in.count() << " ms\n";
}

TEST_F(ServeAwsTest, ARebalanceRecommendationOnTheQueueLaunchesAReplacementBeforeTheInstanceGoes) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const std::string at_risk = Running().begin()->first;
  SendEvent("EC2 Instance Rebalance Recommendation", at_risk);
  // A third instance first; the one at risk leaves only once it serves.
  ASSERT_TRUE(Eventually([&] { return Instances().size() == 3; }, 30s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Running().count(at_risk) == 0; }, 120s)) << Log();
  EXPECT_EQ(Running().size(), 2u);
  EXPECT_EQ(Group().value("in_service", 0), 2) << Log();
}

TEST_F(ServeAwsTest, AKilledDaemonAdoptsItsInstancesByTagWithNoDuplicate) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const auto before = Running();
  StopDaemon(SIGKILL);
  token_.clear();
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  std::this_thread::sleep_for(5s);  // ticks enough to launch a duplicate, were one due
  const auto after = Running();
  EXPECT_EQ(after.size(), 2u) << Log();
  for (const auto& [id, v] : before) EXPECT_EQ(after.count(id), 1u) << id << " was not adopted";
  EXPECT_EQ(Instances().size(), 2u) << "nothing launched again";
}

TEST_F(ServeAwsTest, ASpotCapacityErrorLaunchesOnDemandInTheSameTickAndThrottlingIsRiddenOut) {
  // Every spot RunInstances fails as EC2 fails it when a pool is empty.
  proxy_->FailWhen(
      [](const std::string& body) {
        return body.find("Action=RunInstances") != std::string::npos &&
               body.find("MarketType=spot") != std::string::npos;
      },
      500,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>InsufficientInstanceCapacity</Code>"
      "<Message>There is no Spot capacity available that matches your request.</Message></Error></Errors>"
      "<RequestID>proxy</RequestID></Response>");
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Running().size() == 2; }, 60s)) << Log();
  for (const auto& [id, v] : Running()) EXPECT_EQ(v.market, "on-demand") << id;
  EXPECT_GT(proxy_->matched(), 0);
  // The launch-failed and the on-demand launch are one tick apart at most:
  // the group is decided again in the tick of the capacity error.
  const std::string log = Log();
  EXPECT_NE(log.find("InsufficientInstanceCapacity"), std::string::npos) << log;

  // Throttling of every DescribeInstances for a while: the daemon keeps
  // running and serving its API, and nothing is launched twice.
  proxy_->FailWhen(
      [](const std::string& body) { return body.find("Action=DescribeInstances") != std::string::npos; }, 503,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
      "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>");
  std::this_thread::sleep_for(8s);
  EXPECT_EQ(Api("GET", "/v1/groups/web").status, 200);
  proxy_->FailWhen(nullptr, 0, "");
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(Running().size(), 2u) << Log();
  EXPECT_EQ(Instances().size(), 2u) << Log();
}

// The AWS calls a 100-instance group makes in a steady minute: the budget
// that keeps a fleet inside EC2's request limits (Describe* calls share a
// bucket refilled at 20 a second). Printed for the record; the bound is
// what the adapters promise (listings every 5 s, prices every 5 minutes
// per pool, one metrics call per group and minute, one long poll per 5 s).
TEST_F(ServeAwsTest, ASteadyHundredInstanceGroupStaysWithinItsCallBudget) {
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "min: 2\n    desired: 2\n    max: 40", "min: 100\n    desired: 100\n    max: 120");
  std::ofstream(config_) << yaml;
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 100; }, 240s)) << Group().dump();
  std::this_thread::sleep_for(10s);  // past the launches' own calls
  proxy_->ResetCounts();
  std::this_thread::sleep_for(60s);
  const std::map<std::string, int> calls = proxy_->CountsByAction();
  int total = 0;
  std::string list;
  for (const auto& [action, n] : calls) {
    total += n;
    list += " " + action + "=" + std::to_string(n);
  }
  std::cout << "AWS calls in a steady minute, 100 instances:" << list << " total=" << total << "\n";
  EXPECT_EQ(Group().value("in_service", 0), 100);
  EXPECT_EQ(calls.count("RunInstances"), 0u) << list;
  EXPECT_EQ(calls.count("TerminateInstances"), 0u) << list;
  EXPECT_LE(calls.count("DescribeInstances") ? calls.at("DescribeInstances") : 0, 14) << list;
  EXPECT_LE(calls.count("DescribeTargetHealth") ? calls.at("DescribeTargetHealth") : 0, 13) << list;
  EXPECT_GE(calls.count("GetMetricData") ? calls.at("GetMetricData") : 0, 1) << "a group's minute is read" << list;
  EXPECT_LE(calls.count("GetMetricData") ? calls.at("GetMetricData") : 0, 2) << "in one call" << list;
  EXPECT_LE(total, 60) << list;
}


}  // namespace
}  // namespace shoal::aws

namespace shoal::aws {
namespace {

// A target group that does not exist stops the start with its name, before
// anything is launched.
TEST_F(ServeAwsTest, AMissingTargetGroupStopsTheStartNamingIt) {
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "target_group: " + target_group_name_, "target_group: no-such-tg");
  std::ofstream(config_) << yaml;
  const std::string binary = std::string(SHOAL_BUILD_DIR) + "/shoal";
  const std::string log = dir_ + "/daemon.log";
  const std::string endpoint = proxy_->url();
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("AWS_ENDPOINT_URL", endpoint.c_str(), 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "testing", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    const std::string api = "127.0.0.1:" + std::to_string(api_port_);
    execl(binary.c_str(), binary.c_str(), "serve", "--config", config_.c_str(), "--data-dir",
          (dir_ + "/data").c_str(), "--api", api.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_TRUE(Eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 60s)) << Log();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << Log();
  EXPECT_NE(Log().find("target group 'no-such-tg'"), std::string::npos) << Log();
  EXPECT_TRUE(Instances().empty()) << "nothing was launched";
}

}  // namespace
}  // namespace shoal::aws
