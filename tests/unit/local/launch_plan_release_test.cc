// A group that boots a release: the bootstrap runs first, before the
// group's own steps, and "{release}"/"{version}" name what it unpacked.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/local/launch_plan.h"

namespace shoal {
namespace {

GroupSpec WebGroup() {
  GroupSpec spec;
  spec.name = "web";
  spec.service = "shop";
  spec.launch.provision = {{"/bin/cp", "{release}/conf/app.yaml", "{dir}/app.yaml"}};
  spec.launch.command = {"{release}/bin/shop", "--port", "{port}", "--build", "{version}"};
  return spec;
}

InstanceRecord Record() {
  InstanceRecord rec;
  rec.id = InstanceId::FromCounter(0xa3);
  rec.group = "web";
  rec.port = 8081;
  rec.version = 12;
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

TEST(LaunchPlanRelease, TheBootstrapIsTheFirstStepAndThePlaceholdersNameItsFolder) {
  const ReleaseToBoot boot{12, "s3://artifacts/releases", "prod", "/var/lib/shoal/release-cache"};
  const std::string dir = "/var/lib/shoal/instances/00000000000000a3";
  Result<LauncherPlan> plan = BuildLaunchPlan(WebGroup(), Record(), dir, Options(), &boot);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->provision.size(), 2u);
  EXPECT_EQ(plan->provision[0].path, "/usr/local/bin/shoal");
  EXPECT_EQ(plan->provision[0].args,
            (std::vector<std::string>{"/usr/local/bin/shoal", "bootstrap", "--store", "s3://artifacts/releases",
                                      "--service", "shop", "--env", "prod", "--version", "12", "--into",
                                      dir + "/release", "--cache", "/var/lib/shoal/release-cache"}));
  EXPECT_EQ(plan->provision[1].args, (std::vector<std::string>{"/bin/cp", dir + "/release/conf/app.yaml",
                                                                dir + "/app.yaml"}));
  EXPECT_EQ(plan->command.path, dir + "/release/bin/shop") << "a program the release brings is not looked for yet";
  EXPECT_EQ(plan->command.args.back(), "12");
  EXPECT_TRUE(HasEnv(*plan, "SHOAL_RELEASE_DIR=" + dir + "/release"));
  EXPECT_TRUE(HasEnv(*plan, "SHOAL_RELEASE_VERSION=12"));
}

TEST(LaunchPlanRelease, WithoutACacheTheBootstrapKeepsNoTar) {
  const ReleaseToBoot boot{3, "file:///srv/releases", "staging", ""};
  Result<LauncherPlan> plan = BuildLaunchPlan(WebGroup(), Record(), "/d", Options(), &boot);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const std::vector<std::string>& args = plan->provision[0].args;
  EXPECT_EQ(std::find(args.begin(), args.end(), "--cache"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "staging"), args.end());
}

TEST(LaunchPlanRelease, AGroupWithoutAReleaseHasNoBootstrapAndEmptyPlaceholders) {
  GroupSpec spec = WebGroup();
  spec.launch.provision = {{"/bin/echo", "[{release}]", "[{version}]"}};
  spec.launch.command = {"/bin/sleep", "100"};
  Result<LauncherPlan> plan = BuildLaunchPlan(spec, Record(), "/d", Options(), nullptr);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->provision.size(), 1u);
  EXPECT_EQ(plan->provision[0].args, (std::vector<std::string>{"/bin/echo", "[]", "[]"}));
  for (const std::string& kv : plan->env) EXPECT_NE(kv.rfind("SHOAL_RELEASE_", 0), 0u) << kv;
}

TEST(LaunchPlanRelease, NoShoalBinaryToRunTheBootstrapIsAClearError) {
  LocalCloudOptions options = Options();
  options.agent_binary.clear();
  const ReleaseToBoot boot{1, "file:///srv/releases", "prod", ""};
  Result<LauncherPlan> plan = BuildLaunchPlan(WebGroup(), Record(), "/d", options, &boot);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("group web boots a release"), std::string::npos)
      << plan.status().message();
}

}  // namespace
}  // namespace shoal
