// Every local instance gets a syslog relay beside its agent: the plan starts
// `shoal syslog-relay` on the socket the launcher binds, and the instance's
// programs learn the socket's path from SHOAL_SYSLOG_SOCKET.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/local/launch_plan.h"

namespace shoal {
namespace {

GroupSpec Group() {
  GroupSpec spec;
  spec.name = "web";
  spec.launch.command = {"/bin/sleep", "100"};
  return spec;
}

InstanceRecord Record() {
  InstanceRecord rec;
  rec.id = InstanceId::FromCounter(0xa3);
  rec.group = "web";
  rec.port = 8081;
  return rec;
}

LocalCloudOptions Options() {
  LocalCloudOptions o;
  o.data_dir = "/var/lib/shoal";
  o.agent_binary = "/usr/local/bin/shoal";
  return o;
}

bool HasEnv(const LauncherPlan& plan, const std::string& kv) {
  return std::find(plan.env.begin(), plan.env.end(), kv) != plan.env.end();
}

TEST(LaunchPlanSyslog, TheRelayGetsTheBoundSocketAndWritesSyslogLogInTheInstanceDirectory) {
  const std::string dir = "/var/lib/shoal/instances/00000000000000a3";
  Result<LauncherPlan> plan = BuildLaunchPlan(Group(), Record(), dir, Options(), nullptr);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_TRUE(plan->syslog_relay.has_value());
  EXPECT_EQ(plan->syslog_relay->path, "/usr/local/bin/shoal");
  EXPECT_EQ(plan->syslog_relay->args,
            (std::vector<std::string>{"/usr/local/bin/shoal", "syslog-relay", "--socket-fd",
                                      std::to_string(kSyslogRelayFd), "--out", dir + "/syslog.log"}));
  EXPECT_TRUE(HasEnv(*plan, "SHOAL_SYSLOG_SOCKET=" + dir + "/syslog.sock"));
}

TEST(LaunchPlanSyslog, ADirectoryTooLongForASocketAddressGetsTheRelativeName) {
  const std::string dir = "/" + std::string(110, 'd') + "/instances/00000000000000a3";
  Result<LauncherPlan> plan = BuildLaunchPlan(Group(), Record(), dir, Options(), nullptr);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(HasEnv(*plan, "SHOAL_SYSLOG_SOCKET=syslog.sock"));  // the instance runs in its directory
}

TEST(LaunchPlanSyslog, WithoutAShoalBinaryThereIsNoRelayAndNoSocketToPointAt) {
  LocalCloudOptions options = Options();
  options.agent_binary.clear();
  Result<LauncherPlan> plan = BuildLaunchPlan(Group(), Record(), "/d", options, nullptr);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_FALSE(plan->syslog_relay.has_value());
  for (const std::string& kv : plan->env) EXPECT_NE(kv.rfind("SHOAL_SYSLOG_SOCKET=", 0), 0u) << kv;
}

}  // namespace
}  // namespace shoal
