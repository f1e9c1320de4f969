// Values the reader used to accept but the live daemon cannot work with (or
// would silently rewrite): each is refused with a message naming its key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/config/duration.h"
#include "controller/reconciler.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;

const std::string kHead = "groups:\n  - name: web\n    min: 1\n    max: 3\n";

struct Refusal {
  const char* name;
  std::string yaml;
  std::vector<std::string> contains;  // the message holds each of these
};

void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name; }

std::string Group(const std::string& extra) { return kHead + extra; }

std::vector<Refusal> Refusals() {
  return {
      // Health paths go into HAProxy's config as they are.
      {"HealthPathWithNewline", Group("    health_check: {path: \"/health\\nbind *:80\"}\n"),
       {"groups[0].health_check.path: holds a newline at position 7", "only letters, digits and"}},
      {"HealthPathWithControlCharacter", Group("    health_check: {path: \"/he\\x01alth\"}\n"),
       {"groups[0].health_check.path: holds the byte 0x01 at position 3"}},
      {"HealthPathWithTab", Group("    health_check: {path: \"/he\\talth\"}\n"),
       {"groups[0].health_check.path: holds the byte 0x09 at position 3"}},
      {"HealthPathWithSpace", Group("    health_check: {path: \"/health check\"}\n"),
       {"groups[0].health_check.path: holds a space at position 7"}},
      {"HealthPathWithHash", Group("    health_check: {path: \"/health#x\"}\n"),
       {"groups[0].health_check.path: holds '#' at position 7"}},
      {"HealthPathTooLong", Group("    health_check: {path: /" + std::string(1100, 'a') + "}\n"),
       {"groups[0].health_check.path: must be at most 1024 characters, got 1101"}},
      // Environment: execve would cut a value at a NUL; names must be names.
      {"EnvValueWithNul", Group("    launch:\n      env: {MODE: \"fa\\0st\"}\n"),
       {"groups[0].launch.env: MODE: the value holds a NUL character (at position 2)"}},
      {"EnvNameWithNul", Group("    launch:\n      env: {\"MO\\0DE\": fast}\n"),
       {"groups[0].launch.env: \"MO\\x00DE\" is not an environment variable name"}},
      {"EnvNameLowercase", Group("    launch:\n      env: {mode: fast}\n"),
       {"groups[0].launch.env: \"mode\" is not an environment variable name"}},
      {"EnvNameStartingWithADigit", Group("    launch:\n      env: {1MODE: fast}\n"),
       {"groups[0].launch.env: \"1MODE\" is not an environment variable name", "not starting with a digit"}},
      {"EnvNameWithEquals", Group("    launch:\n      env: {\"A=B\": fast}\n"),
       {"groups[0].launch.env: \"A=B\" is not an environment variable name"}},
      {"EnvNameSetByShoal", Group("    launch:\n      env: {PORT: \"80\"}\n"),
       {"groups[0].launch.env: PORT: is set by Shoal for every instance"}},
      {"EnvNameGivenTwice", Group("    launch:\n      env: {MODE: fast, MODE: slow}\n"),
       {"groups[0].launch.env: MODE: given twice"}},
      {"EnvNameNotAString", Group("    launch:\n      env: {[A]: fast}\n"),
       {"groups[0].launch.env: names must be plain strings, got a list"}},
      {"EnvValueTooLong", Group("    launch:\n      env: {BIG: " + std::string(140000, 'x') + "}\n"),
       {"groups[0].launch.env: BIG: the value is 140000 bytes", "at most 131067"}},
      {"CommandArgumentWithNul", Group("    launch:\n      command: [\"/bin/echo\", \"a\\0b\"]\n"),
       {"groups[0].launch.command: [1]: holds a NUL character (at position 1)"}},
      {"ProvisionArgumentWithNul", Group("    launch:\n      provision: [[\"/bin/echo\", \"a\\0b\"]]\n"),
       {"groups[0].launch.provision: [0]: [1]: holds a NUL character"}},
      // grace: an instance not in service by then is replaced, for ever.
      {"GraceZero", Group("    health_check: {grace: 0}\n"),
       {"groups[0].health_check.grace: must be at least interval x rise + 5s = 15s, got 0s",
        "replaced for ever"}},
      {"GraceShorterThanRiseChecks", Group("    health_check: {interval: 10s, rise: 3, grace: 30s}\n"),
       {"groups[0].health_check.grace: must be at least interval x rise + 5s = 35s, got 30s"}},
      {"DefaultGraceShorterThanRiseChecks", Group("    health_check: {interval: 1m, rise: 10}\n"),
       {"groups[0].health_check.grace: must be at least interval x rise + 5s = 605s, got 300s"}},
      {"CheckIntervalAboveAnHour", Group("    health_check: {interval: 2h, grace: 10h}\n"),
       {"groups[0].health_check.interval: must be at most 1h, got 7200s"}},
      // Weights and shares the capacity arithmetic and the cgroup quota cannot carry.
      {"PoolWeightTiny",
       Group("    capacity:\n      spot_pools: [{instance_type: m4.large, zone: z, weight: 1e-300}]\n"),
       {"groups[0].capacity.spot_pools[0].weight: must be between 0.01 and 999, got 1e-300"}},
      {"PoolWeightHuge", Group("    capacity:\n      spot_pools: [{instance_type: m4.large, zone: z, weight: 1000}]\n"),
       {"groups[0].capacity.spot_pools[0].weight: must be between 0.01 and 999, got 1000"}},
      {"OnDemandWeightTiny", Group("    capacity: {on_demand_weight: 0.001}\n"),
       {"groups[0].capacity.on_demand_weight: must be between 0.01 and 999, got 0.001"}},
      // The release a launch boots, and the store it comes from.
      {"LaunchReleaseUnknownPointer", Group("    launch: {release: stable}\n"),
       {"groups[0].launch.release: must be latest-stable, latest or a version number, got \"stable\""}},
      {"LaunchReleaseZero", Group("    launch: {release: \"0\"}\n"),
       {"groups[0].launch.release: must be latest-stable, latest or a version number, got \"0\""}},
      {"LaunchReleaseNegative", Group("    launch: {release: \"-3\"}\n"),
       {"groups[0].launch.release:", "got \"-3\""}},
      {"LaunchReleaseHuge", Group("    launch: {release: \"99999999999999999999999\"}\n"),
       {"groups[0].launch.release:"}},
      {"ReleasesStoreNotAUrl", "releases: {store: /srv/releases}\n" + Group(""), {"releases.store:"}},
      {"ReleasesStoreOtherScheme", "releases: {store: \"ftp://host/releases\"}\n" + Group(""),
       {"releases.store:", "ftp"}},
      {"ReleasesEnvWithSlash", "releases: {env: \"prod/../x\"}\n" + Group(""), {"releases.env:"}},
      {"ReleasesUnknownKey", "releases: {bucket: x}\n" + Group(""), {"releases.bucket: unknown key; allowed: store, env"}},
      // How a deploy proceeds.
      {"DeployBatchZero", Group("    deploy: {batch: \"0\"}\n"), {"groups[0].deploy.batch:", "got \"0\""}},
      {"DeployBatchPercentOver", Group("    deploy: {batch: 150%}\n"), {"groups[0].deploy.batch:", "150%"}},
      {"DeployMinHealthyWords", Group("    deploy: {min_healthy: most}\n"), {"groups[0].deploy.min_healthy:", "most"}},
      {"DeployBatchTimeoutTiny", Group("    deploy: {batch_timeout: 1s}\n"), {"groups[0].deploy", "batch_timeout"}},
      {"DeployLatencyRatioBelowOne", Group("    deploy: {max_latency_ratio: 0.5}\n"), {"groups[0].deploy", "max_latency_ratio"}},
      {"DeployErrorIncreaseNegative", Group("    deploy: {max_error_increase: -1}\n"), {"groups[0].deploy.max_error_increase"}},
      {"DeployUnknownKey", Group("    deploy: {colour: blue}\n"), {"groups[0].deploy.colour: unknown key"}},
      {"DeployStrategyUnknown", Group("    deploy: {strategy: red-black}\n"),
       {"groups[0].deploy.strategy:", "red-black", "rolling, blue-green"}},
      {"DeployKeepOldNegative", Group("    deploy: {keep_old: -5m}\n"), {"groups[0].deploy", "keep_old"}},
      {"CpuShareTiny", Group("    launch: {cpu_share: 0.001}\n"),
       {"groups[0].launch.cpu_share: must be between 0.01 and 1024, got 0.001"}},
      {"CpuShareHuge", Group("    launch: {cpu_share: 1e300}\n"),
       {"groups[0].launch.cpu_share: must be between 0.01 and 1024, got 1e+300"}},
      // A service names HAProxy's proxies, which would merge "Web" and "web".
      {"ServiceWithUppercase", "groups:\n  - {name: web, service: Web, min: 1, max: 3}\n",
       {"groups[0].service: may hold only lowercase letters, digits and '-'", "got \"Web\""}},
      {"ServiceWithNewline", "groups:\n  - {name: web, service: \"a\\nb\", min: 1, max: 3}\n",
       {"groups[0].service: may hold only lowercase letters"}},
      {"ServiceTooLong", "groups:\n  - {name: web, service: " + std::string(64, 'a') + ", min: 1, max: 3}\n",
       {"groups[0].service: may hold only lowercase letters, digits and '-', at most 63 characters"}},
      // Integers out of range are refused, never truncated.
      {"DesiredAboveInt", "groups:\n  - {name: web, min: 1, max: 3, desired: 4294967299}\n",
       {"groups[0].desired: must be at most 2147483647, got 4294967299"}},
      {"DesiredAbove64Bits", "groups:\n  - {name: web, min: 1, max: 3, desired: 99999999999999999999}\n",
       {"groups[0].desired: must be at most 2147483647, got 99999999999999999999"}},
      {"MinBelow64Bits", "groups:\n  - {name: web, min: -99999999999999999999, max: 3}\n",
       {"groups[0].min: must not be negative, got -99999999999999999999"}},
      // The controller section.
      {"InventoryPeriodZero", kHead + "controller: {inventory_period: 0}\n",
       {"controller.inventory_period: must be between 10s and 1h, got 0s"}},
      {"InventoryPeriodTooLong", kHead + "controller: {inventory_period: 2h}\n",
       {"controller.inventory_period: must be between 10s and 1h, got 7200s"}},
      {"OrphanGraceTooLong", kHead + "controller: {orphan_grace: 2d}\n",
       {"controller.orphan_grace: must be at most 24h, got 172800s"}},
      {"ActivityRetentionTooShort", kHead + "controller: {activity_retention: 30m}\n",
       {"controller.activity_retention: must be 0 (keep everything) or at least 1h, got 1800s"}},
      {"ControllerUnknownKey", kHead + "controller: {period: 1m}\n",
       {"controller.period: unknown key; allowed: inventory_period, orphan_grace, activity_retention"}},
      {"ControllerNotAMapping", kHead + "controller: 5\n", {"controller: expected a mapping"}},
      {"ControllerBadDuration", kHead + "controller: {orphan_grace: soon}\n",
       {"controller.orphan_grace: expected a duration"}},
      // The provider section.
      {"ProviderUnknownType", kHead + "provider: {type: gcp}\n",
       {"provider.type: bad value \"gcp\"; allowed: local, aws"}},
      {"ProviderUnknownKey", kHead + "provider: {type: aws, zone: x}\n", {"provider.zone: unknown key"}},
      {"AwsUnknownKey", kHead + "provider: {type: aws, aws: {ami: ami-1}}\n", {"provider.aws.ami: unknown key"}},
      {"AwsBadImage", kHead + "provider: {aws: {image: ubuntu}}\n",
       {"provider.aws.image: \"ubuntu\" is not an id like ami-0123456789abcdef0"}},
      {"AwsImageTooLong", kHead + "provider: {aws: {image: ami-0123456789abcdef01}}\n", {"provider.aws.image"}},
      {"AwsBadSubnet", kHead + "provider: {aws: {subnets: [subnet-xyz]}}\n",
       {"provider.aws.subnets: \"subnet-xyz\" is not an id like subnet-"}},
      {"AwsBadSecurityGroup", kHead + "provider: {aws: {security_groups: [default]}}\n",
       {"provider.aws.security_groups: \"default\" is not an id like sg-"}},
      {"AwsBadRegion", kHead + "provider: {aws: {region: \"US East\"}}\n",
       {"provider.aws.region: \"US East\" is not a region name"}},
      {"AwsBadEndpoint", kHead + "provider: {aws: {endpoint: \"127.0.0.1:5000\"}}\n",
       {"provider.aws.endpoint: must be an http:// or https:// URL"}},
      {"AwsBadOwner", kHead + "provider: {aws: {owner: \"a b\"}}\n", {"provider.aws.owner: at most 63"}},
      {"AwsReservedTag", kHead + "provider: {aws: {tags: {\"shoal:group\": x}}}\n",
       {"provider.aws.tags: tag \"shoal:group\": the shoal: and aws: prefixes are reserved"}},
      {"AwsTagValueTooLong", kHead + "provider: {aws: {tags: {team: " + std::string(257, 'x') + "}}}\n",
       {"provider.aws.tags: team: the value has at most 256"}},
      {"AwsBadQueue", kHead + "provider: {aws: {spot_queue: spot-events}}\n",
       {"provider.aws.spot_queue: must be the queue's URL"}},
      {"AwsAgentWithoutReportUrl", kHead + "provider: {aws: {agent: {binary: /opt/shoal}}}\n",
       {"provider.aws.agent.report_url"}},
      {"AwsAgentReportUrlWithPath", kHead + "provider: {aws: {agent: {report_url: \"http://10.0.0.5:7400/v1\"}}}\n",
       {"provider.aws.agent.report_url", "must be http://HOST:PORT"}},
      {"AwsAgentReportUrlHttps", kHead + "provider: {aws: {agent: {report_url: \"https://10.0.0.5:7400\"}}}\n",
       {"must be http://HOST:PORT"}},
      {"AwsAgentBinaryRelative",
       kHead + "provider: {aws: {agent: {report_url: \"http://10.0.0.5:7400\", binary: bin/shoal}}}\n",
       {"agent binary \"bin/shoal\" must be an absolute path"}},
      {"AwsAgentBinaryWithShell",
       kHead + "provider: {aws: {agent: {report_url: \"http://10.0.0.5:7400\", binary: \"/opt/x;reboot\"}}}\n",
       {"must be an absolute path of letters"}},
      {"AwsAgentUrlWithQuote",
       kHead + "provider: {aws: {agent: {report_url: \"http://10.0.0.5:7400\", binary_url: \"https://h/x'y\", "
               "binary_sha256: " + std::string(64, 'a') + "}}}\n",
       {"binary_url", "without quotes"}},
      {"AwsAgentUrlWithoutSha",
       kHead + "provider: {aws: {agent: {report_url: \"http://10.0.0.5:7400\", binary_url: \"https://h/shoal\"}}}\n",
       {"binary_sha256 must be the 64 lowercase hex digits"}},
      {"AwsAgentShaWithoutUrl",
       kHead + "provider: {aws: {agent: {report_url: \"http://10.0.0.5:7400\", binary_sha256: " +
           std::string(64, 'a') + "}}}\n",
       {"binary_sha256 is set without binary_url"}},
      {"AwsAgentUnknownKey", kHead + "provider: {aws: {agent: {url: \"http://10.0.0.5:7400\"}}}\n",
       {"provider.aws.agent.url: unknown key"}},
      {"AwsMetricsDelayNotWholeMinutes", kHead + "provider: {aws: {metrics_delay: 90s}}\n",
       {"provider.aws.metrics_delay: must be whole minutes from 0 to 15m", "got 90s"}},
      {"AwsMetricsDelayTooLong", kHead + "provider: {aws: {metrics_delay: 1h}}\n",
       {"provider.aws.metrics_delay: must be whole minutes"}},
      {"AwsLaunchPortZero", Group("    launch: {aws: {port: 0}}\n"), {"groups[0].launch.aws.port"}},
      {"AwsLaunchUnknownKey", Group("    launch: {aws: {ports: 80}}\n"), {"groups[0].launch.aws.ports: unknown key"}},
      {"AwsUserDataTooLarge", Group("    launch: {aws: {user_data: \"" + std::string(16385, 'x') + "\"}}\n"),
       {"groups[0].launch.aws.user_data: is 16385 bytes; EC2 takes at most 16384"}},
  };
}

class ConfigRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(ConfigRefusalTest, IsRefusedNamingTheKey) {
  const Refusal& c = GetParam();
  Result<Config> r = ParseConfig(c.yaml, "r.yaml");
  ASSERT_FALSE(r.ok()) << "accepted";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  for (const std::string& part : c.contains) EXPECT_THAT(r.status().message(), HasSubstr(part));
}

INSTANTIATE_TEST_SUITE_P(ConfigCases, ConfigRefusalTest, ::testing::ValuesIn(Refusals()),
                         [](const auto& info) { return std::string(info.param.name); });

// The bounds are bounds, not a ban: the values at them are accepted.
TEST(ConfigBoundsTest, ValuesAtTheBoundsAreAccepted) {
  Result<Config> r = ParseConfig(
      "groups:\n  - name: web\n    min: 1\n    max: 3\n"
      "    capacity: {on_demand_weight: 0.01, spot_pools: [{instance_type: m4.large, zone: z, weight: 999}]}\n"
      "    health_check: {path: \"/a/b.c_d~e-f?g=h&i=%20\", interval: 1h, rise: 1, grace: 3605}\n"
      "    launch: {cpu_share: 1024, env: {A_1: \"x y\", _B: \"\"}}\n"
      "controller: {inventory_period: 10s, orphan_grace: 0, activity_retention: 0}\n",
      "r.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->groups[0].health_check.grace, 3605);
  EXPECT_EQ(r->controller.inventory_period, 10);
  EXPECT_EQ(r->controller.orphan_grace, 0);
  EXPECT_EQ(r->controller.activity_retention, 0) << "0 keeps every activity";
  Result<Config> hour = ParseConfig(kHead + "controller: {inventory_period: 1h, orphan_grace: 24h, activity_retention: 1h}\n", "r.yaml");
  ASSERT_TRUE(hour.ok()) << hour.status().message();
}

TEST(ConfigControllerTest, ReadsTheSectionAndDaysAsAUnit) {
  Result<Config> r = ParseConfig(kHead + "controller:\n  inventory_period: 2m\n  orphan_grace: 90s\n  activity_retention: 30d\n", "c.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->controller.inventory_period, 120);
  EXPECT_EQ(r->controller.orphan_grace, 90);
  EXPECT_EQ(r->controller.activity_retention, 30 * 86400);
  EXPECT_EQ(config_internal::ParseDuration("90d"), 90 * 86400);
  EXPECT_EQ(config_internal::ParseDuration("1d12h"), 36 * 3600);
}

// Left out, the section is what the reconciler does by default.
TEST(ConfigControllerTest, DefaultsAreTheReconcilersDefaults) {
  Result<Config> r = ParseConfig(kHead, "c.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const ControllerOptions defaults;
  EXPECT_EQ(r->controller.inventory_period, defaults.inventory_period);
  EXPECT_EQ(r->controller.orphan_grace, defaults.orphan_grace);
  EXPECT_EQ(r->controller.activity_retention, defaults.activity_retention);
  EXPECT_EQ(r->controller.activity_retention, 90 * 86400);
}

}  // namespace
}  // namespace shoal
