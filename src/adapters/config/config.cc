// ParseConfig: YAML text -> checked Config. The per-field reading lives in
// group_reader.cc / scaling_reader.cc; this file holds the top level, the
// checks across groups, and the file reading.
#include "adapters/config/config.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "adapters/aws/agent_user_data.h"
#include "adapters/blob/store_url.h"
#include "adapters/release/release_file.h"
#include "adapters/config/field_names.h"
#include "adapters/config/group_reader.h"
#include "adapters/config/schema.h"
#include "adapters/config/tune_reader.h"
#include "adapters/config/yaml_reader.h"

namespace shoal {
namespace {

using config_internal::ConfigError;
using config_internal::Fail;
using config_internal::GroupLines;
using config_internal::MapReader;

std::string GroupPath(std::size_t i) { return "groups[" + std::to_string(i) + "]"; }

// Bounds of the controller's timings. A pass lists every instance of the
// cloud (an API call each time on a real cloud), so not more often than
// every 10 s; and no billed instance should stay untracked for hours.
constexpr Seconds kMinInventoryPeriod = 10;
constexpr Seconds kMaxInventoryPeriod = kHour;
constexpr Seconds kMaxOrphanGrace = 24 * kHour;
// A retention shorter than an hour would prune what `shoal get activities`
// is read for (the incident still going on).
constexpr Seconds kMinActivityRetention = kHour;

std::string InSeconds(Seconds s) { return std::to_string(s) + "s"; }

ControllerSpec ReadController(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::ControllerMap().shape()));
  ControllerSpec c;
  m.Duration("inventory_period", &c.inventory_period);
  if (c.inventory_period < kMinInventoryPeriod || c.inventory_period > kMaxInventoryPeriod) {
    m.FailAt("inventory_period", "must be between 10s and 1h, got " + InSeconds(c.inventory_period));
  }
  m.Duration("orphan_grace", &c.orphan_grace);
  if (c.orphan_grace > kMaxOrphanGrace) {
    m.FailAt("orphan_grace", "must be at most 24h, got " + InSeconds(c.orphan_grace));
  }
  m.Duration("activity_retention", &c.activity_retention);
  if (c.activity_retention != 0 && c.activity_retention < kMinActivityRetention) {
    m.FailAt("activity_retention",
             "must be 0 (keep everything) or at least 1h, got " + InSeconds(c.activity_retention));
  }
  return c;
}

// Names AWS gives: ami-…, subnet-…, sg-… and 8 or 17 hex digits.
void CheckAwsId(const MapReader& m, std::string_view key, const std::string& id, std::string_view prefix) {
  const bool ok = id.size() > prefix.size() + 1 && id.compare(0, prefix.size(), prefix) == 0 &&
                  id[prefix.size()] == '-' && id.size() <= prefix.size() + 1 + 17 &&
                  id.find_first_not_of("0123456789abcdef", prefix.size() + 1) == std::string::npos;
  if (!ok) {
    m.FailAt(key, "\"" + id + "\" is not an id like " + std::string(prefix) + "-0123456789abcdef0");
  }
}

AwsAgentSpec ReadAwsAgent(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::AwsAgentMap().shape()));
  AwsAgentSpec a;
  if (!m.Has("report_url") && !m.Has("binary") && !m.Has("binary_url") && !m.Has("binary_sha256")) return a;
  m.Require("report_url");
  m.String("report_url", &a.report_url);
  m.String("binary", &a.binary);
  m.String("binary_url", &a.binary_url);
  m.String("binary_sha256", &a.binary_sha256);
  const Status ok = aws::CheckAgentBootstrap({a.report_url, a.binary, a.binary_url, a.binary_sha256});
  if (!ok.ok()) m.FailAt("report_url", ok.message());
  return a;
}

AwsProviderSpec ReadAwsProvider(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::AwsProviderMap().shape()));
  AwsProviderSpec a;
  m.String("region", &a.region);
  if (!a.region.empty() && a.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    m.FailAt("region", "\"" + a.region + "\" is not a region name like us-east-1");
  }
  m.String("endpoint", &a.endpoint);
  if (!a.endpoint.empty() && a.endpoint.rfind("http://", 0) != 0 && a.endpoint.rfind("https://", 0) != 0) {
    m.FailAt("endpoint", "must be an http:// or https:// URL, got \"" + a.endpoint + "\"");
  }
  m.String("profile", &a.profile);
  m.String("owner", &a.owner);
  if (a.owner.size() > 63 || a.owner.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                                 std::string::npos) {
    m.FailAt("owner", "at most 63 letters, digits, '.', '_' or '-', got \"" + a.owner + "\"");
  }
  m.String("image", &a.image);
  if (m.Has("image")) CheckAwsId(m, "image", a.image, "ami");
  if (m.Has("subnets")) {
    m.StringList("subnets", &a.subnets);
    for (const std::string& s : a.subnets) CheckAwsId(m, "subnets", s, "subnet");
  }
  if (m.Has("security_groups")) {
    m.StringList("security_groups", &a.security_groups);
    for (const std::string& s : a.security_groups) CheckAwsId(m, "security_groups", s, "sg");
  }
  m.String("instance_profile", &a.instance_profile);
  m.String("key_name", &a.key_name);
  m.StringMap("tags", &a.tags, 128, 256);  // EC2's limits
  for (const auto& [key, value] : a.tags) {
    if (key.rfind("shoal:", 0) == 0 || key.rfind("aws:", 0) == 0) {
      m.FailAt("tags", "tag \"" + key + "\": the shoal: and aws: prefixes are reserved");
    }
  }
  m.String("spot_queue", &a.spot_queue);
  if (!a.spot_queue.empty() && a.spot_queue.rfind("http://", 0) != 0 && a.spot_queue.rfind("https://", 0) != 0) {
    m.FailAt("spot_queue", "must be the queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>), got \"" +
                               a.spot_queue + "\"");
  }
  a.agent = ReadAwsAgent(m.Map("agent"));
  m.Duration("metrics_delay", &a.metrics_delay);
  if (a.metrics_delay % 60 != 0 || a.metrics_delay > 15 * 60) {
    m.FailAt("metrics_delay", "must be whole minutes from 0 to 15m (CloudWatch's data is per minute), got " +
                                  std::to_string(a.metrics_delay) + "s");
  }
  return a;
}

ProviderSpec ReadProvider(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::ProviderMap().shape()));
  ProviderSpec p;
  m.Enum("type", &p.type, ParseProviderType, {"local", "aws"});
  p.aws = ReadAwsProvider(m.Map("aws"));
  return p;
}

ReleasesSpec ReadReleases(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::ReleasesMap().shape()));
  ReleasesSpec r;
  m.String("store", &r.store);
  if (m.Has("store")) {
    if (Result<StoreUrl> url = ParseStoreUrl(r.store); !url.ok()) m.FailAt("store", url.status().message());
  }
  m.String("env", &r.env);
  if (Status ok = ValidateName("env", r.env); !ok.ok()) m.FailAt("env", ok.message());
  return r;
}

// The smallest store worth having: a few minutes of a chatty instance.
constexpr std::int64_t kMinLogsMaxSize = std::int64_t{1} << 20;

LogsSpec ReadLogs(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::LogsMap().shape()));
  LogsSpec l;
  m.Duration("retention", &l.retention);
  if (m.Has("max_size")) {
    std::string text;
    m.String("max_size", &text);
    const std::optional<std::int64_t> bytes = ParseByteSize(text);
    if (!bytes) {
      m.FailAt("max_size", "expected a size like 1GiB, 512MiB or a number of bytes, got \"" + text + "\"");
    } else if (*bytes != 0 && *bytes < kMinLogsMaxSize) {
      m.FailAt("max_size", "must be 0 (no limit) or at least 1MiB, got " + text);
    } else {
      l.max_size = *bytes;
    }
  }
  if (m.Has("kafka_brokers")) {
    m.String("kafka_brokers", &l.kafka_brokers);
    static const std::regex brokers(R"([A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}(,[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5})*)");
    if (!std::regex_match(l.kafka_brokers, brokers)) {
      m.FailAt("kafka_brokers", "expected host:port[,host:port...], got \"" + l.kafka_brokers + "\"");
    }
  }
  if (m.Has("kafka_topic")) {
    m.String("kafka_topic", &l.kafka_topic);
    static const std::regex topic("[A-Za-z0-9._-]{1,249}");
    if (!std::regex_match(l.kafka_topic, topic)) {
      m.FailAt("kafka_topic", "expected 1-249 of A-Z a-z 0-9 . _ -, got \"" + l.kafka_topic + "\"");
    }
  }
  return l;
}

// Nagios reads a ';' as the start of a comment and a line as one
// directive: neither may get into a generated object definition.
void CheckNagiosText(const MapReader& m, std::string_view key, const std::string& text) {
  if (text.empty()) m.FailAt(key, "must not be empty");
  if (text.find_first_of(";\n\r\t") != std::string::npos) {
    m.FailAt(key, "must not contain ';', tabs or line breaks, got \"" + text + "\"");
  }
}

InventorySpec ReadInventory(const MapReader& m) {
  m.AllowOnly(config_internal::KeyNames(config_internal::InventoryMap().shape()));
  InventorySpec v;
  m.String("dir", &v.dir);
  if (m.Has("dir") && (v.dir.empty() || v.dir.front() != '/')) {
    m.FailAt("dir", "must be an absolute path, got \"" + v.dir + "\" (leave it out for DATA_DIR/inventory)");
  }
  m.Bool("nagios", &v.nagios);
  m.Bool("prometheus", &v.prometheus);
  m.String("nagios_host_template", &v.nagios_host_template);
  CheckNagiosText(m, "nagios_host_template", v.nagios_host_template);
  m.String("nagios_service_template", &v.nagios_service_template);
  CheckNagiosText(m, "nagios_service_template", v.nagios_service_template);
  m.String("nagios_check_command", &v.nagios_check_command);
  CheckNagiosText(m, "nagios_check_command", v.nagios_check_command);
  return v;
}

std::vector<GroupSpec> ReadTop(const YAML::Node& root, const std::string& source,
                               std::vector<GroupLines>* lines, ControllerSpec* controller, ProviderSpec* provider,
                               ReleasesSpec* releases, LogsSpec* logs, InventorySpec* inventory) {
  if (!root.IsDefined() || root.IsNull()) {
    Fail(source, 0, "", "the file is empty; expected a mapping with the key \"groups\"");
  }
  MapReader top(source, root, "", 1);
  top.AllowOnly(config_internal::KeyNames(config_internal::TopMap().shape()));
  *controller = ReadController(top.Map("controller"));
  *provider = ReadProvider(top.Map("provider"));
  *releases = ReadReleases(top.Map("releases"));
  *logs = ReadLogs(top.Map("logs"));
  *inventory = ReadInventory(top.Map("inventory"));
  top.Require("groups");
  std::vector<GroupSpec> groups;
  for (const MapReader& g : top.List("groups")) {
    lines->emplace_back();
    groups.push_back(config_internal::ReadGroup(g, &lines->back()));
  }
  if (groups.empty()) top.FailAt("groups", "must list at least one group");
  return groups;
}

// Validate(GroupSpec) knows each group alone and names it in its message;
// the file and the group's line are added here.
Status ValidateEach(const Config& config, const std::vector<GroupLines>& lines) {
  for (std::size_t i = 0; i < config.groups.size(); ++i) {
    Status s = Validate(config.groups[i]);
    if (!s.ok()) {
      return Status::InvalidArgument(
          config_internal::FormatError(config.source, lines[i].group, "",
                                       config_internal::WithConfigKeyNames(s.message())));
    }
  }
  return Status::Ok();
}

Status CheckUniqueNames(const Config& config, const std::vector<GroupLines>& lines) {
  for (std::size_t i = 0; i < config.groups.size(); ++i) {
    int first = config.FindGroup(config.groups[i].name);
    if (first != static_cast<int>(i)) {
      return Status::InvalidArgument(config_internal::FormatError(
          config.source, lines[i].name, GroupPath(i) + ".name",
          "duplicate group name \"" + config.groups[i].name + "\" (also " + GroupPath(first) + ")"));
    }
  }
  return Status::Ok();
}

// The seed's cron job raised the on-demand group of the *same* service; a
// bump into another service's group would add capacity where demand is not.
Status CheckBumpGroups(const Config& config, const std::vector<GroupLines>& lines) {
  for (std::size_t i = 0; i < config.groups.size(); ++i) {
    const GroupSpec& g = config.groups[i];
    if (!BumpsGroup(g.spot.on_notice)) continue;
    std::string path = GroupPath(i) + ".spot.bump_group";
    auto error = [&](const std::string& what) {
      return Status::InvalidArgument(
          config_internal::FormatError(config.source, lines[i].bump_group, path, what));
    };
    int target = config.FindGroup(g.spot.bump_group);
    if (target < 0) return error("no group named \"" + g.spot.bump_group + "\"");
    if (target == static_cast<int>(i)) return error("must name another group, not the group itself");
    const std::string& other_service = config.groups[target].service;
    if (other_service != g.service) {
      return error("group \"" + g.spot.bump_group + "\" serves \"" + other_service +
                   "\", not this group's service \"" + g.service + "\"");
    }
  }
  return Status::Ok();
}

// One service is one load-balancer frontend: its groups share the port, and
// two services cannot share one.
Status CheckListenPorts(const Config& config, const std::vector<GroupLines>& lines) {
  for (std::size_t i = 0; i < config.groups.size(); ++i) {
    const GroupSpec& g = config.groups[i];
    for (std::size_t j = 0; j < i; ++j) {
      const GroupSpec& o = config.groups[j];
      const bool same_service = o.service == g.service;
      if (same_service && o.listen_port != g.listen_port) {
        return Status::InvalidArgument(config_internal::FormatError(
            config.source, lines[i].group, GroupPath(i) + ".listen_port",
            "groups of service \"" + g.service + "\" must share one listen_port (" + GroupPath(j) + " has " +
                std::to_string(o.listen_port) + ", this one " + std::to_string(g.listen_port) + ")"));
      }
      if (!same_service && g.listen_port != 0 && o.listen_port == g.listen_port) {
        return Status::InvalidArgument(config_internal::FormatError(
            config.source, lines[i].group, GroupPath(i) + ".listen_port",
            "port " + std::to_string(g.listen_port) + " is already the port of service \"" + o.service + "\""));
      }
    }
  }
  return Status::Ok();
}

Result<Config> ParseChecked(std::string_view yaml_text, const std::string& source) {
  YAML::Node root = YAML::Load(std::string(yaml_text));
  std::vector<GroupLines> lines;
  Config config;
  config.source = source;
  config.groups = ReadTop(root, source, &lines, &config.controller, &config.provider, &config.releases,
                          &config.logs, &config.inventory);
  config.tune = config_internal::ReadTune(root, source);
  SHOAL_RETURN_IF_ERROR(ValidateEach(config, lines));
  SHOAL_RETURN_IF_ERROR(CheckUniqueNames(config, lines));
  SHOAL_RETURN_IF_ERROR(CheckBumpGroups(config, lines));
  SHOAL_RETURN_IF_ERROR(CheckListenPorts(config, lines));
  return config;
}

}  // namespace

std::optional<std::int64_t> ParseByteSize(std::string_view text) {
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > (std::int64_t{1} << 50)) return std::nullopt;
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  const std::string_view unit = text.substr(i);
  const std::pair<std::string_view, std::int64_t> units[] = {
      {"", 1},          {"B", 1},
      {"KiB", 1LL << 10}, {"MiB", 1LL << 20}, {"GiB", 1LL << 30}, {"TiB", 1LL << 40},
      {"kB", 1000},     {"KB", 1000},     {"MB", 1000000}, {"GB", 1000000000}, {"TB", 1000000000000}};
  for (const auto& [name, factor] : units) {
    if (unit != name) continue;
    if (n > (std::int64_t{1} << 62) / factor) return std::nullopt;
    return n * factor;
  }
  return std::nullopt;
}

std::string_view ToString(ProviderType type) {
  switch (type) {
    case ProviderType::kLocal: return "local";
    case ProviderType::kAws: return "aws";
  }
  return "local";
}

bool ParseProviderType(std::string_view text, ProviderType* out) {
  if (text == "local") {
    *out = ProviderType::kLocal;
  } else if (text == "aws") {
    *out = ProviderType::kAws;
  } else {
    return false;
  }
  return true;
}

int Config::FindGroup(std::string_view name) const {
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& source_name) {
  try {
    return ParseChecked(yaml_text, source_name);
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.what());
  } catch (const YAML::Exception& e) {
    // Syntax errors (ParserException) and anything else yaml-cpp reports.
    std::string where = source_name;
    if (!e.mark.is_null()) {
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    }
    return Status::InvalidArgument(where + ": YAML syntax error: " + e.msg);
  }
}

Result<std::string> ReadConfigText(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::IoError("cannot read config '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  int read_errno = errno;
  std::fclose(file);
  if (failed) {
    return Status::IoError("cannot read config '" + path + "': " + std::strerror(read_errno));
  }
  return text;
}

Result<Config> LoadConfigFile(const std::string& path) {
  Result<std::string> text = ReadConfigText(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path);
}

}  // namespace shoal
