#include "adapters/config/config_json.h"

#include <nlohmann/json.hpp>

namespace shoal {
namespace {

using nlohmann::ordered_json;

ordered_json AlarmJson(const AlarmSpec& a) {
  return {{"metric", std::string(ToString(a.metric))},       {"statistic", std::string(ToString(a.statistic))},
          {"period", a.period_seconds},                      {"evaluation_periods", a.evaluation_periods},
          {"datapoints_to_alarm", a.datapoints_to_alarm},    {"comparison", std::string(ToString(a.comparison))},
          {"threshold", a.threshold},                        {"missing_data", std::string(ToString(a.missing_data))}};
}

ordered_json PolicyJson(const PolicySpec& p) {
  ordered_json j = {{"type", std::string(ToString(p.type))}};
  switch (p.type) {
    case PolicyType::kSimple:
    case PolicyType::kStep: {
      j["alarm"] = p.alarm;
      j["adjustment_type"] = std::string(ToString(p.adjustment_type));
      j["min_adjustment_magnitude"] = p.min_adjustment_magnitude;
      if (p.type == PolicyType::kSimple) {
        j["adjustment"] = p.scaling_adjustment;
        j["cooldown"] = p.cooldown ? ordered_json(*p.cooldown) : ordered_json();
      } else {
        ordered_json steps = ordered_json::array();
        for (const StepAdjustment& s : p.steps) {
          steps.push_back({{"lower", s.lower_bound ? ordered_json(*s.lower_bound) : ordered_json()},
                           {"upper", s.upper_bound ? ordered_json(*s.upper_bound) : ordered_json()},
                           {"adjustment", s.adjustment}});
        }
        j["steps"] = steps;
        j["warmup"] = p.warmup;
      }
      break;
    }
    case PolicyType::kTargetTracking:
      j["metric"] = std::string(ToString(p.target_metric));
      j["target"] = p.target_value;
      j["warmup"] = p.warmup;
      j["disable_scale_in"] = p.disable_scale_in;
      j["alarm_shape"] = {{"scale_out", {{"evaluation_periods", p.shape.scale_out_evaluation_periods},
                                         {"datapoints", p.shape.scale_out_datapoints}}},
                          {"scale_in", {{"evaluation_periods", p.shape.scale_in_evaluation_periods},
                                        {"datapoints", p.shape.scale_in_datapoints},
                                        {"ratio", p.shape.scale_in_ratio}}}};
      break;
    case PolicyType::kPredictive:
      j["target"] = p.target_value;
      j["lags"] = p.lag_days;
      j["horizon_minutes"] = p.horizon_minutes;
      break;
  }
  return j;
}

ordered_json GroupJson(const GroupSpec& g) {
  ordered_json j;
  j["service"] = g.service;
  j["listen_port"] = g.listen_port;
  j["min"] = g.min;
  j["max"] = g.max;
  j["default_cooldown"] = g.default_cooldown;
  j["drain_timeout"] = g.drain_timeout;
  ordered_json pools = ordered_json::object();
  for (const PoolSpec& p : g.capacity.spot_pools) {
    pools[p.name] = {{"instance_type", p.instance_type}, {"zone", p.zone}, {"weight", p.weight},
                     {"bid", p.bid_usd_per_hour}};
  }
  j["capacity"] = {{"on_demand_base", g.capacity.on_demand_base},
                   {"on_demand_percent_above_base", g.capacity.on_demand_percent_above_base},
                   {"on_demand_type", g.capacity.on_demand_type},
                   {"allocation_strategy", std::string(ToString(g.capacity.strategy))},
                   {"spot_instance_pools", g.capacity.spot_instance_pools},
                   {"spot_pools", pools}};
  ordered_json alarms = ordered_json::object();
  for (const AlarmSpec& a : g.alarms) alarms[a.name] = AlarmJson(a);
  j["alarms"] = alarms;
  ordered_json policies = ordered_json::object();
  for (const PolicySpec& p : g.policies) policies[p.name] = PolicyJson(p);
  j["policies"] = policies;
  j["spot"] = {{"on_notice", g.spot.on_notice == NoticeAction::kReplace ? "replace" : "bump-group"},
               {"bump_group", g.spot.bump_group},
               {"fallback_to_on_demand", g.spot.fallback_to_on_demand},
               {"rebalance_to_spot", g.spot.rebalance_to_spot},
               {"rebalance_max_in_flight", g.spot.rebalance_max_in_flight}};
  j["health_check"] = {{"path", g.health_check.path}, {"interval", g.health_check.interval},
                       {"rise", g.health_check.rise}, {"fall", g.health_check.fall}, {"grace", g.health_check.grace}};
  ordered_json env = ordered_json::object();
  for (const auto& [k, v] : g.launch.env) env[k] = v;
  j["launch"] = {{"provision", g.launch.provision}, {"command", g.launch.command}, {"env", env},
                 {"cpu_share", g.launch.cpu_share}};
  return j;
}

std::string Show(const ordered_json& v) { return v.is_null() ? "(none)" : v.dump(); }

void Diff(const std::string& path, const ordered_json& a, const ordered_json& b, std::vector<std::string>* out) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) {
        out->push_back("- " + path + "." + k);
      } else {
        Diff(path + "." + k, v, b.at(k), out);
      }
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k)) out->push_back("+ " + path + "." + k + " = " + v.dump());
    }
    return;
  }
  if (a != b) out->push_back("~ " + path + ": " + Show(a) + " -> " + Show(b));
}

}  // namespace

std::vector<std::string> DiffConfigs(const Config& running, const Config& next) {
  std::vector<std::string> out;
  for (const GroupSpec& g : running.groups) {
    const int n = next.FindGroup(g.name);
    if (n < 0) {
      out.push_back("- group " + g.name + " (its instances will be terminated)");
    } else {
      Diff("group " + g.name, GroupJson(g), GroupJson(next.groups[n]), &out);
    }
  }
  for (const GroupSpec& g : next.groups) {
    if (running.FindGroup(g.name) < 0) out.push_back("+ group " + g.name + " (min " + std::to_string(g.min) + ", max " + std::to_string(g.max) + ")");
  }
  return out;
}

}  // namespace shoal
