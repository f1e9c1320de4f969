// One decision core on AWS: the same short scripted load, run through
// `shoal simulate` and through `shoal serve` on the AWS provider against
// moto_server, gives the same scaling activities (kinds, policies,
// capacities, minutes of the script), as the local provider's comparison
// (tests/integration/live_sim_equivalence_test.cc) shows for real instances.
//
// The load reaches the daemon as it does on AWS: as the target group's
// RequestCountPerTarget in CloudWatch, which this test publishes as an
// Application Load Balancer would (the minute's requests over the targets in
// service). No minute of the script is without requests: for such a minute
// an ALB publishes nothing where the simulator sees 0, and CloudWatch's
// evaluation range then looks back to the last real minute (docs/AWS.md).
// moto has a datapoint the moment it is put, so the daemon reads CloudWatch
// with provider.aws.metrics_delay 0; on AWS the default 3m moves every
// decision three minutes later than the simulator's.
#include <sys/wait.h>

#include <cmath>

#include "adapters/data/iso_time.h"
#include "integration/daemon_fixture.h"
#include "integration/scaling_steps.h"
#include "serve_aws_fixture.h"

namespace shoal::aws {
namespace {

using shoal::testing::DescribeSteps;
using shoal::testing::kScalingPolicies;
using shoal::testing::ScalingStep;
using shoal::testing::ScalingSteps;

// Requests per minute of the script. Minute 1 overloads the one instance
// (1200 per target against a threshold of 200): step out by 2. Minutes 2
// and 3 are nearly idle (at most 30 per target against 50, however many
// serve yet): one instance in after each. Minute 4 only lets the last
// decision be taken inside the script.
const std::vector<int> kScript = {60, 1200, 30, 30, 30};

class AwsSimEquivalenceTest : public ServeAwsTest {
 protected:
  // RequestCountPerTarget of the target group for the minute starting at
  // `minute_start` (Unix seconds), as the load balancer publishes it.
  void PutRequestsPerTarget(Seconds minute_start, double value) {
    const std::string dimension = target_group_arn_.substr(target_group_arn_.find("targetgroup/"));
    auto put = aws_->Query(Service::kCloudWatch, "PutMetricData",
                           {{"Namespace", "AWS/ApplicationELB"},
                            {"MetricData.member.1.MetricName", "RequestCountPerTarget"},
                            {"MetricData.member.1.Dimensions.member.1.Name", "TargetGroup"},
                            {"MetricData.member.1.Dimensions.member.1.Value", dimension},
                            {"MetricData.member.1.Timestamp", FormatIsoUtc(minute_start + 30)},
                            {"MetricData.member.1.Unit", "Count"},
                            {"MetricData.member.1.Value", std::to_string(value)}});
    ASSERT_TRUE(put.ok()) << put.status().message();
  }
};

TEST_F(AwsSimEquivalenceTest, AScriptedLoadScalesTheSameOnAwsAsInTheSimulator) {
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "    tags: {team: web}\n", "    tags: {team: web}\n    metrics_delay: 0s\n");
  yaml = Replace(yaml, "    min: 2\n    desired: 2\n    max: 40\n", "    min: 1\n    desired: 1\n    max: 3\n");
  // On-demand only: no spot market draw can add an activity to either side.
  yaml = Replace(yaml, "on_demand_percent_above_base: 0", "on_demand_percent_above_base: 100");
  const std::size_t policies = yaml.find("    policies:\n");
  const std::size_t spot = yaml.find("    spot:\n");
  ASSERT_TRUE(policies != std::string::npos && spot != std::string::npos && policies < spot);
  yaml.replace(policies, spot - policies, kScalingPolicies);
  std::ofstream(config_) << yaml;
  const std::string trace = dir_ + "/script.csv";
  {
    std::ofstream out(trace);
    out << "minute,requests\n";
    for (std::size_t m = 0; m < kScript.size(); ++m) out << m << "," << kScript[m] << "\n";
  }

  // 1. The simulator, instances in service seconds after launch as moto's are.
  const std::string sim_log = dir_ + "/sim-activities.json";
  const pid_t sim = shoal::testing::Spawn({std::string(SHOAL_BUILD_DIR) + "/shoal", "simulate", "--config", config_,
                                           "--trace", trace, "--json", "--boot-seconds", "5", "--peak-instances",
                                           "1", "--activities", sim_log},
                                          dir_ + "/simulate.log");
  int status = 0;
  waitpid(sim, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadText(dir_ + "/simulate.log");
  const std::vector<ScalingStep> simulated = ScalingSteps(json::parse(ReadText(sim_log)), 0);
  const std::vector<ScalingStep> expected = {{"scale-out", "step-out", 1, 3, 2},
                                             {"scale-in", "shed-one", 3, 2, 3},
                                             {"scale-in", "shed-one", 2, 1, 4}};
  ASSERT_EQ(simulated, expected) << "simulated:\n" << DescribeSteps(simulated);

  // 2. The AWS provider, with the script played in wall-clock minutes: each
  // minute's datapoint is put a few seconds into it, before it ends.
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 1; }, 90s)) << Log();
  using WallClock = std::chrono::system_clock;
  const long now_s = std::chrono::duration_cast<std::chrono::seconds>(WallClock::now().time_since_epoch()).count();
  long start = now_s / 60 * 60 + 60;
  if (start - now_s < 10) start += 60;  // let the daemon see a quiet minute first
  auto sleep_until = [](long epoch_s) {
    std::this_thread::sleep_until(WallClock::time_point(std::chrono::seconds(epoch_s)));
  };
  for (std::size_t m = 0; m < kScript.size(); ++m) {
    sleep_until(start + 60 * static_cast<long>(m) + 5);
    const int serving = Group().value("in_service", 0);
    ASSERT_GT(serving, 0) << Log();
    PutRequestsPerTarget(start + 60 * static_cast<long>(m), static_cast<double>(kScript[m]) / serving);
  }
  // The last decision is taken at the start of the script's last minute.
  sleep_until(start + 60 * static_cast<long>(kScript.size() - 1) + 5);
  const Answer a = Api("GET", "/v1/activities?group=web");
  ASSERT_EQ(a.status, 200) << a.body;
  const std::vector<ScalingStep> live = ScalingSteps(json::parse(a.body), start);
  EXPECT_EQ(live, simulated) << "on AWS (moto):\n"
                             << DescribeSteps(live) << "simulated:\n"
                             << DescribeSteps(simulated) << Log();
  ASSERT_TRUE(Eventually([&] { return Running().size() == 1; }, 120s)) << Log();
}

}  // namespace
}  // namespace shoal::aws
