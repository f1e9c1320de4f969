// The YAML configuration: groups, pools, alarms, policies, health checks.
// Parsing checks every key (unknown keys are errors) and every value; an
// error names the file, the key path and what is wrong, e.g.
//   examples/x.yaml: groups[0].policies[1].steps[0].lower_bound: expected a number, got "abc"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/config/tune_spec.h"
#include "core/group.h"
#include "core/status.h"

namespace shoal {

// The `controller:` section: the reconcile loop's timings. `shoal serve`
// gives them to the reconciler; `shoal simulate` ignores them.
struct ControllerSpec {
  Seconds inventory_period = 60;               // how often the cloud's instances are compared with the state
  Seconds orphan_grace = 60;                   // an instance of no configured group lives this long
  Seconds activity_retention = 90 * 24 * kHour;  // activities older than this are pruned; 0 keeps all
};

// The `provider:` section: where `shoal serve` runs instances. The
// simulator ignores it. What each provider needs of a group is checked when
// the daemon starts with it (a config for the other provider still parses).
enum class ProviderType : std::uint8_t {
  kLocal,  // processes on this machine behind HAProxy (the default)
  kAws,    // EC2 instances behind an ELBv2 target group
};
std::string_view ToString(ProviderType type);
bool ParseProviderType(std::string_view text, ProviderType* out);

// How instances start Shoal's spot agent (adapters/aws/agent_user_data.h).
struct AwsAgentSpec {
  std::string report_url;  // the daemon's API as instances reach it ("" = no agent)
  std::string binary = "/usr/local/bin/shoal";
  std::string binary_url;     // "" = the image has the binary
  std::string binary_sha256;  // required with binary_url
  bool enabled() const { return !report_url.empty(); }
};

struct AwsProviderSpec {
  std::string region;    // "" = AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::string endpoint;  // "" = AWS_ENDPOINT_URL[_<SERVICE>], else AWS's own (an emulator's URL, for tests)
  std::string profile;   // "" = AWS_PROFILE, else "default"
  std::string owner = "shoal";  // the shoal:owner tag: which daemon's instances are whose
  std::string image;     // the AMI every group boots
  std::vector<std::string> subnets;          // one per zone of the spot pools; none = the default VPC's
  std::vector<std::string> security_groups;  // ids
  std::string instance_profile;              // name ("" = none)
  std::string key_name;                      // ("" = none; Shoal never needs one)
  std::vector<std::pair<std::string, std::string>> tags;  // added to every instance
  std::string spot_queue;  // SQS URL EventBridge sends spot events to ("" = none)
  AwsAgentSpec agent;      // the agent on each instance (report_url "" = none)
  // How far behind the clock CloudWatch is read (whole minutes): EC2's and
  // ELB's one-minute data lands one to three minutes after the minute ends.
  Seconds metrics_delay = 180;
};

struct ProviderSpec {
  ProviderType type = ProviderType::kLocal;
  AwsProviderSpec aws;
};

// Where groups' releases are (docs/RELEASES.md): the store `shoal release`
// publishes to, and its environment folder.
struct ReleasesSpec {
  std::string store;  // file:///path or s3://bucket/prefix; "" = SHOAL_STORE, else DATA/releases
  std::string env = "prod";
};

// The `logs:` section: the embedded store of instances' stdout/stderr
// (docs/LOGS.md). Lines older than `retention` or beyond `max_size` (the
// oldest first) are deleted.
struct LogsSpec {
  Seconds retention = 7 * 24 * kHour;        // 0 = no age limit
  std::int64_t max_size = std::int64_t{1} << 30;  // bytes; 0 = no size limit
  // Kafka: "" = the collector writes the embedded store directly; else the
  // lines go through this topic and the daemon's indexer fills the store
  // (read at start).
  std::string kafka_brokers;               // "host:port[,host:port...]"
  std::string kafka_topic = "shoal-logs";
};

// "1073741824", "512MiB", "1GiB", "64KiB", "2TiB" (also kB/MB/GB: powers of
// 1000): the number of bytes, or nullopt.
std::optional<std::int64_t> ParseByteSize(std::string_view text);

// The `inventory:` section: the files `shoal serve` rewrites on every
// membership change for Nagios and Prometheus (docs/CONFIG.md).
struct InventorySpec {
  std::string dir;  // absolute; "" = DATA_DIR/inventory
  bool nagios = true;      // DIR/shoal-nagios.cfg
  bool prometheus = true;  // DIR/shoal-file-sd.json
  std::string nagios_host_template = "generic-host";
  std::string nagios_service_template = "generic-service";
  std::string nagios_check_command = "check_tcp!$_HOSTPORT$";

  friend bool operator==(const InventorySpec&, const InventorySpec&) = default;
};

struct Config {
  std::string source;  // file name (for messages)
  std::vector<GroupSpec> groups;
  ControllerSpec controller;
  ProviderSpec provider;
  ReleasesSpec releases;
  LogsSpec logs;
  InventorySpec inventory;
  std::vector<TuneParam> tune;  // what `shoal tune` may change (tune_spec.h); nothing else reads it

  // Index of the group named `name`, or -1.
  int FindGroup(std::string_view name) const;
};

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& source_name);
Result<Config> LoadConfigFile(const std::string& path);
// The file's text, or an error naming it (what LoadConfigFile parses).
Result<std::string> ReadConfigText(const std::string& path);

}  // namespace shoal
