// What `shoal serve` asks of a config per provider, and which provider
// changes a running daemon refuses.
#include "providers/make_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace shoal {
namespace {

using ::testing::HasSubstr;

Config Parsed(const std::string& yaml) {
  Result<Config> c = ParseConfig(yaml, "p.yaml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : Config{};
}

const std::string kAws =
    "provider:\n"
    "  type: aws\n"
    "  aws: {region: us-east-1, owner: team-a, image: ami-1e749f67, subnets: [subnet-0aaaaaaaaaaaaaaaa],\n"
    "        security_groups: [sg-0bbbbbbbbbbbbbbbb], instance_profile: web, tags: {team: web, Name: web-server},\n"
    "        spot_queue: https://sqs.us-east-1.amazonaws.com/123456789012/q}\n"
    "groups:\n"
    "  - name: web\n"
    "    min: 1\n"
    "    max: 3\n"
    "    launch: {aws: {port: 8080, target_group: web-tg, user_data: \"#!/bin/sh\\necho hi\\n\"}}\n";

TEST(ProviderConfig, TheAwsSectionIsReadIntoTheSpec) {
  const Config c = Parsed(kAws);
  EXPECT_EQ(c.provider.type, ProviderType::kAws);
  const AwsProviderSpec& a = c.provider.aws;
  EXPECT_EQ(a.region, "us-east-1");
  EXPECT_EQ(a.owner, "team-a");
  EXPECT_EQ(a.image, "ami-1e749f67");
  EXPECT_EQ(a.subnets, std::vector<std::string>{"subnet-0aaaaaaaaaaaaaaaa"});
  EXPECT_EQ(a.security_groups, std::vector<std::string>{"sg-0bbbbbbbbbbbbbbbb"});
  EXPECT_EQ(a.instance_profile, "web");
  ASSERT_EQ(a.tags.size(), 2u);
  EXPECT_EQ(a.tags[1], (std::pair<std::string, std::string>{"Name", "web-server"}));
  EXPECT_EQ(a.spot_queue, "https://sqs.us-east-1.amazonaws.com/123456789012/q");
  EXPECT_EQ(c.groups[0].launch.aws.port, 8080);
  EXPECT_EQ(c.groups[0].launch.aws.target_group, "web-tg");
  EXPECT_EQ(c.groups[0].launch.aws.user_data, "#!/bin/sh\necho hi\n");
}

TEST(ProviderConfig, WithoutTheSectionTheProviderIsLocal) {
  const Config c = Parsed("groups:\n  - {name: web, min: 1, max: 2}\n");
  EXPECT_EQ(c.provider.type, ProviderType::kLocal);
  EXPECT_EQ(c.provider.aws.owner, "shoal");
}

TEST(PrepareLiveConfig, AwsNeedsAnImageAndEachGroupsPortAndTargetGroup) {
  Config c = Parsed(kAws);
  EXPECT_TRUE(PrepareLiveConfig(&c, "p.yaml", 7400).ok());

  Config no_image = c;
  no_image.provider.aws.image.clear();
  EXPECT_THAT(PrepareLiveConfig(&no_image, "p.yaml", 7400).message(), HasSubstr("provider.aws.image is required"));
  Config no_port = c;
  no_port.groups[0].launch.aws.port = 0;
  EXPECT_THAT(PrepareLiveConfig(&no_port, "p.yaml", 7400).message(), HasSubstr("has no launch.aws.port"));
  Config no_tg = c;
  no_tg.groups[0].launch.aws.target_group.clear();
  EXPECT_THAT(PrepareLiveConfig(&no_tg, "p.yaml", 7400).message(), HasSubstr("has no launch.aws.target_group"));
}

// On AWS a warm pool is on-demand (a one-time spot instance cannot be
// stopped) and needs the agent, which says when the service answers.
TEST(PrepareLiveConfig, AwsTakesAnOnDemandWarmPoolOnlyWithTheAgent) {
  Config c = Parsed(kAws);
  c.groups[0].warm_pool.size = 2;
  const Status no_agent = PrepareLiveConfig(&c, "p.yaml", 7400);
  EXPECT_EQ(no_agent.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(no_agent.message(), HasSubstr("group 'web' has a warm_pool: set provider.aws.agent"));
  c.provider.aws.agent.report_url = "http://10.0.0.9:7400";
  EXPECT_TRUE(PrepareLiveConfig(&c, "p.yaml", 7400).ok());

  Config spot = Parsed(kAws +
                       "    capacity: {spot_pools: [{instance_type: m5.large, zone: us-east-1a}]}\n");
  spot.provider.aws.agent.report_url = "http://10.0.0.9:7400";
  spot.groups[0].warm_pool = {2, "m5.large/us-east-1a"};
  const Status s = PrepareLiveConfig(&spot, "p.yaml", 7400);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("warm_pool.pool is the spot pool 'm5.large/us-east-1a'"));
  EXPECT_THAT(s.message(), HasSubstr("set warm_pool.pool to on-demand"));

  // The health path goes into the agent's command line (and a systemd unit,
  // where '%' is special): refused before any launch.
  c.groups[0].health_check.path = "/health%20now";
  EXPECT_THAT(PrepareLiveConfig(&c, "p.yaml", 7400).message(), HasSubstr("warm pool's ready URL"));
}

TEST(PrepareLiveConfig, AwsRefusesBlueGreenSayingWhyAndWhatToUse) {
  Config c = Parsed(kAws);
  c.groups[0].deploy.strategy = DeployStrategy::kBlueGreen;
  const Status s = PrepareLiveConfig(&c, "p.yaml", 7400);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("group 'web' has deploy.strategy blue-green"));
  EXPECT_THAT(s.message(), HasSubstr("cannot hold"));
  EXPECT_THAT(s.message(), HasSubstr("use deploy.strategy rolling"));
  c.groups[0].deploy.strategy = DeployStrategy::kRolling;
  EXPECT_TRUE(PrepareLiveConfig(&c, "p.yaml", 7400).ok());
}

TEST(PrepareLiveConfig, AwsBootsAReleaseOnlyThroughTheAgentsPartFromAnS3Store) {
  Config c = Parsed(kAws);
  c.groups[0].launch.release = "latest-stable";
  const Status no_agent = PrepareLiveConfig(&c, "p.yaml", 7400);
  EXPECT_THAT(no_agent.message(), HasSubstr("group 'web': launch.release (latest-stable)"));
  EXPECT_THAT(no_agent.message(), HasSubstr("set provider.aws.agent"));
  c.provider.aws.agent.report_url = "http://10.0.0.9:7400";
  c.releases.store = "file:///srv/releases";
  EXPECT_THAT(PrepareLiveConfig(&c, "p.yaml", 7400).message(), HasSubstr("releases.store to be an s3:// URL"));
  c.releases.store = "s3://artifacts/releases";
  EXPECT_TRUE(PrepareLiveConfig(&c, "p.yaml", 7400).ok()) << PrepareLiveConfig(&c, "p.yaml", 7400).message();
}

TEST(ProviderConfig, TheAgentSectionIsReadWithItsDefaultBinary) {
  std::string yaml = kAws;
  yaml.replace(yaml.find("        spot_queue:"), 0, "        agent: {report_url: \"http://10.0.0.5:7400\"},\n");
  const Config c = Parsed(yaml);
  EXPECT_TRUE(c.provider.aws.agent.enabled());
  EXPECT_EQ(c.provider.aws.agent.report_url, "http://10.0.0.5:7400");
  EXPECT_EQ(c.provider.aws.agent.binary, "/usr/local/bin/shoal");
  EXPECT_FALSE(Parsed(kAws).provider.aws.agent.enabled());
}

TEST(PrepareLiveConfig, WithTheAgentTheUserDataMustBeAPartCloudInitKnowsAndFitWithIt) {
  Config c = Parsed(kAws);
  c.provider.aws.agent.report_url = "http://10.0.0.5:7400";
  EXPECT_TRUE(PrepareLiveConfig(&c, "p.yaml", 7400).ok());

  Config mime = c;
  mime.groups[0].launch.aws.user_data = "Content-Type: multipart/mixed; boundary=x\n\n--x\n";
  EXPECT_THAT(PrepareLiveConfig(&mime, "p.yaml", 7400).message(),
              HasSubstr("group 'web': launch.aws.user_data must start with #!"));
  Config plain = c;
  plain.groups[0].launch.aws.user_data = "echo hi\n";
  EXPECT_THAT(PrepareLiveConfig(&plain, "p.yaml", 7400).message(), HasSubstr("it starts \"echo hi\""));
  Config big = c;  // fits alone, not with the agent's part
  big.groups[0].launch.aws.user_data = "#!/bin/sh\n" + std::string(16 * 1024 - 20, '#');
  EXPECT_THAT(PrepareLiveConfig(&big, "p.yaml", 7400).message(),
              HasSubstr("with the agent's part, its user data is"));
  Config none = c;
  none.groups[0].launch.aws.user_data.clear();
  EXPECT_TRUE(PrepareLiveConfig(&none, "p.yaml", 7400).ok());
}

TEST(PrepareLiveConfig, AwsDoesNotAskForTheLocalProvidersKeys) {
  Config c = Parsed(kAws);
  ASSERT_TRUE(c.groups[0].launch.command.empty());
  ASSERT_EQ(c.groups[0].listen_port, 0);
  EXPECT_TRUE(PrepareLiveConfig(&c, "p.yaml", 7400).ok());
}

TEST(PrepareLiveConfig, LocalNeedsACommandAndAListenPortOtherThanTheApis) {
  Config c = Parsed("groups:\n  - {name: web, min: 1, max: 2, listen_port: 7400, launch: {command: [/bin/true]}}\n");
  EXPECT_THAT(PrepareLiveConfig(&c, "p.yaml", 7400).message(), HasSubstr("the port of the daemon's API"));
  Config no_command = Parsed("groups:\n  - {name: web, min: 1, max: 2, listen_port: 8080}\n");
  EXPECT_THAT(PrepareLiveConfig(&no_command, "p.yaml", 7400).message(), HasSubstr("has no launch.command"));
}

TEST(CheckProviderChange, TheTypeAndHowToReachTheCloudAreFixedTheRestMayChange) {
  const Config c = Parsed(kAws);
  EXPECT_TRUE(CheckProviderChange(c.provider, c.provider).ok());

  ProviderSpec local;
  const Status to_local = CheckProviderChange(c.provider, local);
  EXPECT_EQ(to_local.code(), StatusCode::kConflict);
  EXPECT_THAT(to_local.message(), HasSubstr("provider.type cannot change while the daemon runs (aws -> local)"));

  for (auto change : std::vector<std::pair<std::string, void (*)(AwsProviderSpec&)>>{
           {"aws.region", [](AwsProviderSpec& a) { a.region = "eu-west-1"; }},
           {"aws.endpoint", [](AwsProviderSpec& a) { a.endpoint = "http://127.0.0.1:1"; }},
           {"aws.profile", [](AwsProviderSpec& a) { a.profile = "other"; }},
           {"aws.owner", [](AwsProviderSpec& a) { a.owner = "team-b"; }},
           {"aws.spot_queue", [](AwsProviderSpec& a) { a.spot_queue = "https://sqs/other"; }}}) {
    ProviderSpec next = c.provider;
    change.second(next.aws);
    EXPECT_THAT(CheckProviderChange(c.provider, next).message(), HasSubstr("provider." + change.first)) << change.first;
  }
  for (auto change : std::vector<void (*)(AwsProviderSpec&)>{
           [](AwsProviderSpec& a) { a.image = "ami-0123456789abcdef0"; },
           [](AwsProviderSpec& a) { a.subnets.clear(); },
           [](AwsProviderSpec& a) { a.security_groups.push_back("sg-1"); },
           [](AwsProviderSpec& a) { a.tags.clear(); },
       }) {
    ProviderSpec next = c.provider;
    change(next.aws);
    EXPECT_TRUE(CheckProviderChange(c.provider, next).ok()) << "applies to later launches";
  }
}

}  // namespace
}  // namespace shoal
