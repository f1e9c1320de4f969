#include "adapters/config/group_reader.h"

#include <string>
#include <vector>

#include "adapters/config/scaling_reader.h"

namespace shoal::config_internal {
namespace {

constexpr std::string_view kReplace = "replace";
constexpr std::string_view kBumpGroup = "bump-group";

// NoticeAction has no spelling in the core (only the config names it).
bool ParseNoticeAction(std::string_view text, NoticeAction* out) {
  if (text == kReplace) *out = NoticeAction::kReplace;
  else if (text == kBumpGroup) *out = NoticeAction::kBumpGroup;
  else return false;
  return true;
}

PoolSpec ReadPool(const MapReader& m) {
  m.AllowOnly({"name", "instance_type", "zone", "weight", "bid"});
  m.Require("instance_type");
  m.Require("zone");
  PoolSpec pool;
  m.String("instance_type", &pool.instance_type);
  m.String("zone", &pool.zone);
  pool.name = pool.instance_type + "/" + pool.zone;
  m.String("name", &pool.name);
  m.PositiveNumber("weight", &pool.weight);
  m.NonNegativeNumber("bid", &pool.bid_usd_per_hour);
  return pool;
}

CapacitySpec ReadCapacity(const MapReader& m) {
  m.AllowOnly({"on_demand_base", "on_demand_percent_above_base", "on_demand_type",
               "on_demand_weight", "allocation_strategy", "spot_instance_pools", "spot_pools"});
  CapacitySpec c;
  m.Int("on_demand_base", &c.on_demand_base);
  m.Int("on_demand_percent_above_base", &c.on_demand_percent_above_base, 0, 100);
  m.String("on_demand_type", &c.on_demand_type);
  m.PositiveNumber("on_demand_weight", &c.on_demand_weight);
  m.Enum("allocation_strategy", &c.strategy, &ParseAllocationStrategy,
         NamesOf({AllocationStrategy::kLowestPrice, AllocationStrategy::kCapacityOptimized,
                  AllocationStrategy::kPriceCapacityOptimized}));
  m.Int("spot_instance_pools", &c.spot_instance_pools, 1);
  for (const MapReader& pool : m.List("spot_pools")) c.spot_pools.push_back(ReadPool(pool));
  return c;
}

SpotHandlingSpec ReadSpot(const MapReader& m, GroupLines* lines) {
  m.AllowOnly({"on_notice", "bump_group", "avoid_pool_after_interruption",
               "avoid_pool_after_capacity_error", "fallback_to_on_demand", "rebalance_to_spot",
               "rebalance_max_in_flight"});
  SpotHandlingSpec s;
  m.Enum("on_notice", &s.on_notice, &ParseNoticeAction,
         {std::string(kReplace), std::string(kBumpGroup)});
  m.String("bump_group", &s.bump_group);
  // Both mistakes would otherwise pass silently: a notice that bumps nothing,
  // or a bump_group that is never used.
  if (s.on_notice == NoticeAction::kBumpGroup) m.Require("bump_group");
  if (s.on_notice != NoticeAction::kBumpGroup && m.Has("bump_group")) {
    m.FailAt("bump_group", "only used when on_notice is bump-group");
  }
  lines->bump_group = m.LineOf("bump_group");
  m.Duration("avoid_pool_after_interruption", &s.avoid_pool_after_interruption);
  m.Duration("avoid_pool_after_capacity_error", &s.avoid_pool_after_capacity_error);
  m.Bool("fallback_to_on_demand", &s.fallback_to_on_demand);
  m.Bool("rebalance_to_spot", &s.rebalance_to_spot);
  m.Int("rebalance_max_in_flight", &s.rebalance_max_in_flight);
  return s;
}

HealthCheckSpec ReadHealthCheck(const MapReader& m) {
  m.AllowOnly({"path", "interval", "rise", "fall", "grace"});
  HealthCheckSpec h;
  m.String("path", &h.path);
  if (h.path.front() != '/') m.FailAt("path", "must start with \"/\", got \"" + h.path + "\"");
  m.Duration("interval", &h.interval);
  if (h.interval == 0) m.FailAt("interval", "must be at least 1 second");
  m.Int("rise", &h.rise, 1);
  m.Int("fall", &h.fall, 1);
  m.Duration("grace", &h.grace);
  return h;
}

LaunchSpec ReadLaunch(const MapReader& m) {
  m.AllowOnly({"provision", "command", "env", "cpu_share"});
  LaunchSpec l;
  m.StringLists("provision", &l.provision);
  m.StringList("command", &l.command);
  m.Environment("env", &l.env);
  m.PositiveNumber("cpu_share", &l.cpu_share);
  return l;
}

}  // namespace

GroupSpec ReadGroup(const MapReader& m, GroupLines* lines) {
  m.AllowOnly({"name", "service", "min", "max", "desired", "default_cooldown", "drain_timeout",
               "capacity", "alarms", "policies", "spot", "health_check", "launch", "listen_port"});
  m.Require("name");
  m.Require("min");
  m.Require("max");
  GroupSpec g;
  lines->group = m.line();
  lines->name = m.LineOf("name");
  m.String("name", &g.name);
  g.service = g.name;
  m.String("service", &g.service);
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
  g.health_check = ReadHealthCheck(m.Map("health_check"));
  g.launch = ReadLaunch(m.Map("launch"));
  m.Int("listen_port", &g.listen_port, 1, 65535);
  return g;
}

}  // namespace shoal::config_internal
