#include "adapters/config/group_reader.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/config/scaling_reader.h"
#include "adapters/release/release_layout.h"
#include "adapters/config/schema.h"

namespace shoal::config_internal {
namespace {

// Capacity units of one instance. AWS caps instance weights at 999; far
// below 0.01 the count of instances for a desired capacity overflows.
constexpr double kMinWeight = 0.01;
constexpr double kMaxWeight = 999;
// CPU cores of one capacity unit: the cgroup quota cannot express less
// than 1% of a core, and no machine has more than this many.
constexpr double kMinCpuShare = 0.01;
constexpr double kMaxCpuShare = 1024;
// HAProxy takes the interval in milliseconds as a 32-bit number, and a check
// rarer than hourly notices nothing in time.
constexpr Seconds kMaxCheckInterval = kHour;
// Time for the service to start listening, on top of the rise checks.
constexpr Seconds kMinStartSeconds = 5;
constexpr std::size_t kMaxHealthPathLength = 1024;
// A service names HAProxy's frontend and backend, which keep only some
// characters: "Web" and "web" would become one. Spelled as group names are.
constexpr std::size_t kMaxServiceLength = 63;

bool ParseNoticeAction(std::string_view text, NoticeAction* out) {
  if (text == kNoticeReplace) *out = NoticeAction::kReplace;
  else if (text == kNoticeBumpGroup) *out = NoticeAction::kBumpGroup;
  else if (text == kNoticeBumpGroupOnly) *out = NoticeAction::kBumpGroupOnly;
  else return false;
  return true;
}

std::string Shown(double v) {
  std::ostringstream text;
  text << v;
  return text.str();
}

void CheckWithin(const MapReader& m, std::string_view key, double value, double min, double max) {
  if (value < min || value > max) {
    m.FailAt(key, "must be between " + Shown(min) + " and " + Shown(max) + ", got " + Shown(value));
  }
}

// What HAProxy's check line can carry unchanged (its writer drops anything
// else, so a path the config accepted is never rewritten there).
bool IsHealthPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("/._~-?=&%").find(c) != std::string_view::npos;
}

std::string DescribeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == '\n') return "a newline";
  if (c == ' ') return "a space";
  if (u < 0x20 || u >= 0x7f) {
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string("the byte 0x") + kHex[u >> 4] + kHex[u & 0xf];
  }
  return std::string("'") + c + "'";
}

void CheckServiceName(const MapReader& m, const std::string& service) {
  const bool ok = service.size() <= kMaxServiceLength &&
                  std::all_of(service.begin(), service.end(),
                              [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
  if (!ok) {
    m.FailAt("service", "may hold only lowercase letters, digits and '-', at most " +
                            std::to_string(kMaxServiceLength) +
                            " characters (it names the load balancer's frontend and backend), got \"" + service + "\"");
  }
}

PoolSpec ReadPool(const MapReader& m) {
  m.AllowOnly(KeyNames(PoolMap().shape()));
  m.Require("instance_type");
  m.Require("zone");
  PoolSpec pool;
  m.String("instance_type", &pool.instance_type);
  m.String("zone", &pool.zone);
  pool.name = pool.instance_type + "/" + pool.zone;
  m.String("name", &pool.name);
  m.PositiveNumber("weight", &pool.weight);
  CheckWithin(m, "weight", pool.weight, kMinWeight, kMaxWeight);
  m.NonNegativeNumber("bid", &pool.bid_usd_per_hour);
  return pool;
}

CapacitySpec ReadCapacity(const MapReader& m) {
  m.AllowOnly(KeyNames(CapacityMap().shape()));
  CapacitySpec c;
  m.Int("on_demand_base", &c.on_demand_base);
  m.Int("on_demand_percent_above_base", &c.on_demand_percent_above_base, 0, 100);
  m.String("on_demand_type", &c.on_demand_type);
  m.PositiveNumber("on_demand_weight", &c.on_demand_weight);
  CheckWithin(m, "on_demand_weight", c.on_demand_weight, kMinWeight, kMaxWeight);
  m.Enum("allocation_strategy", &c.strategy, &ParseAllocationStrategy,
         NamesOf({AllocationStrategy::kLowestPrice, AllocationStrategy::kCapacityOptimized,
                  AllocationStrategy::kPriceCapacityOptimized}));
  m.Int("spot_instance_pools", &c.spot_instance_pools, 1);
  for (const MapReader& pool : m.List("spot_pools")) c.spot_pools.push_back(ReadPool(pool));
  return c;
}

SpotHandlingSpec ReadSpot(const MapReader& m, GroupLines* lines) {
  m.AllowOnly(KeyNames(SpotMap().shape()));
  SpotHandlingSpec s;
  m.Enum("on_notice", &s.on_notice, &ParseNoticeAction,
         {std::string(kNoticeReplace), std::string(kNoticeBumpGroup), std::string(kNoticeBumpGroupOnly)});
  m.String("bump_group", &s.bump_group);
  // Both mistakes would otherwise pass silently: a notice that bumps nothing,
  // or a bump_group that is never used.
  if (BumpsGroup(s.on_notice)) m.Require("bump_group");
  if (!BumpsGroup(s.on_notice) && m.Has("bump_group")) {
    m.FailAt("bump_group", "only used when on_notice is bump-group or bump-group-only");
  }
  lines->bump_group = m.LineOf("bump_group");
  m.Duration("avoid_pool_after_interruption", &s.avoid_pool_after_interruption);
  m.Duration("avoid_pool_after_capacity_error", &s.avoid_pool_after_capacity_error);
  m.Bool("fallback_to_on_demand", &s.fallback_to_on_demand);
  m.Bool("rebalance_to_spot", &s.rebalance_to_spot);
  m.Int("rebalance_max_in_flight", &s.rebalance_max_in_flight);
  m.Bool("capacity_rebalance", &s.capacity_rebalance);
  return s;
}

// The path goes into HAProxy's config as it is: refused here rather than
// rewritten there.
void CheckHealthPath(const MapReader& m, const std::string& path) {
  if (path.size() > kMaxHealthPathLength) {
    m.FailAt("path", "must be at most " + std::to_string(kMaxHealthPathLength) + " characters, got " +
                         std::to_string(path.size()));
  }
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!IsHealthPathChar(path[i])) {
      m.FailAt("path", "holds " + DescribeChar(path[i]) + " at position " + std::to_string(i) +
                           "; a health path may hold only letters, digits and / . _ ~ - ? = & %");
    }
  }
  if (path.front() != '/') m.FailAt("path", "must start with \"/\", got \"" + path + "\"");
}

DeploySettings ReadDeploy(const MapReader& m) {
  m.AllowOnly(KeyNames(DeployMap().shape()));
  DeploySettings d;
  if (m.Has("batch")) {
    std::string batch;
    m.String("batch", &batch);
    if (Status ok = ParseBatch(batch, &d); !ok.ok()) m.FailAt("batch", ok.message());
  }
  if (m.Has("min_healthy")) {
    std::string text;
    m.String("min_healthy", &text);
    if (Status ok = ParsePercent("min_healthy", text, &d.min_healthy_percent); !ok.ok()) m.FailAt("min_healthy", ok.message());
  }
  m.Duration("batch_timeout", &d.batch_timeout);
  m.Duration("analysis", &d.analysis);
  m.NonNegativeNumber("max_error_increase", &d.max_error_increase);
  m.PositiveNumber("max_latency_ratio", &d.max_latency_ratio);
  m.NonNegativeNumber("min_requests", &d.min_requests);
  if (Status ok = ValidateDeploySettings(d); !ok.ok()) m.FailHere(ok.message());
  return d;
}

WarmPoolSpec ReadWarmPool(const MapReader& m) {
  m.AllowOnly(KeyNames(WarmPoolMap().shape()));
  WarmPoolSpec w;
  m.Int("size", &w.size, 0, 1000);
  m.String("pool", &w.pool);
  return w;
}

HealthCheckSpec ReadHealthCheck(const MapReader& m) {
  m.AllowOnly(KeyNames(HealthCheckMap().shape()));
  HealthCheckSpec h;
  m.String("path", &h.path);
  CheckHealthPath(m, h.path);
  m.Duration("interval", &h.interval);
  if (h.interval == 0) m.FailAt("interval", "must be at least 1 second");
  if (h.interval > kMaxCheckInterval) m.FailAt("interval", "must be at most 1h, got " + std::to_string(h.interval) + "s");
  m.Int("rise", &h.rise, 1);
  m.Int("fall", &h.fall, 1);
  m.Duration("grace", &h.grace);
  // An instance is replaced when it is not in service after the grace: one
  // shorter than rise passing checks (plus a start) replaces every instance
  // before it can serve, for ever.
  const Seconds least = h.interval * h.rise + kMinStartSeconds;
  if (h.grace < least) {
    m.FailAt("grace", "must be at least interval x rise + " + std::to_string(kMinStartSeconds) + "s = " +
                          std::to_string(least) + "s, got " + std::to_string(h.grace) +
                          "s: an instance serves only after rise passing checks, and one not serving "
                          "after the grace is replaced, so every instance would be replaced for ever");
  }
  return h;
}

// EC2 takes at most 16 KiB of user data (before its base64 encoding).
constexpr std::size_t kMaxUserData = 16 * 1024;

AwsLaunchSpec ReadAwsLaunch(const MapReader& m) {
  m.AllowOnly(KeyNames(AwsLaunchMap().shape()));
  AwsLaunchSpec a;
  m.String("user_data", &a.user_data);
  if (a.user_data.size() > kMaxUserData) {
    m.FailAt("user_data", "is " + std::to_string(a.user_data.size()) +
                              " bytes; EC2 takes at most 16384 (fetch a larger script from S3 in it)");
  }
  m.Int("port", &a.port, 1, 65535);
  m.String("target_group", &a.target_group);
  return a;
}

LaunchSpec ReadLaunch(const MapReader& m) {
  m.AllowOnly(KeyNames(LaunchMap().shape()));
  LaunchSpec l;
  m.String("release", &l.release);
  // Versions start at 1; an instance records its version as an int.
  const std::optional<std::uint64_t> number = ParseVersionNumber(l.release);
  if (m.Has("release") && l.release != "latest" && l.release != "latest-stable" &&
      (!number || *number < 1 || *number > 2147483647u)) {
    m.FailAt("release", "must be latest-stable, latest or a version number, got \"" + l.release + "\"");
  }
  m.StringLists("provision", &l.provision);
  m.StringList("command", &l.command);
  m.Environment("env", &l.env);
  m.PositiveNumber("cpu_share", &l.cpu_share);
  CheckWithin(m, "cpu_share", l.cpu_share, kMinCpuShare, kMaxCpuShare);
  l.aws = ReadAwsLaunch(m.Map("aws"));
  return l;
}

}  // namespace

GroupSpec ReadGroup(const MapReader& m, GroupLines* lines) {
  m.AllowOnly(KeyNames(GroupMap().shape()));
  m.Require("name");
  m.Require("min");
  m.Require("max");
  GroupSpec g;
  lines->group = m.line();
  lines->name = m.LineOf("name");
  m.String("name", &g.name);
  g.service = g.name;
  m.String("service", &g.service);
  if (m.Has("service")) CheckServiceName(m, g.service);  // a default one is the group's name, checked as such
  m.Int("min", &g.min);
  m.Int("max", &g.max);
  g.desired = g.min;
  m.Int("desired", &g.desired);
  m.Duration("default_cooldown", &g.default_cooldown);
  m.Duration("drain_timeout", &g.drain_timeout);
  g.capacity = ReadCapacity(m.Map("capacity"));
  for (const MapReader& alarm : m.List("alarms")) g.alarms.push_back(ReadAlarm(alarm));
  for (const MapReader& policy : m.List("policies")) g.policies.push_back(ReadPolicy(policy));
  g.spot = ReadSpot(m.Map("spot"), lines);
  g.warm_pool = ReadWarmPool(m.Map("warm_pool"));
  g.health_check = ReadHealthCheck(m.Map("health_check"));
  g.deploy = ReadDeploy(m.Map("deploy"));
  g.launch = ReadLaunch(m.Map("launch"));
  m.Int("listen_port", &g.listen_port, 1, 65535);
  return g;
}

}  // namespace shoal::config_internal
