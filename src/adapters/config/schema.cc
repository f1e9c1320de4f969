// The table itself. Durations render as seconds, enums in the config's
// spelling, optional values as null. Keys are listed in the order the docs
// (docs/CONFIG.md) list them; a new key of the config is added here, read in
// its reader, and documented there.
#include "adapters/config/schema.h"

#include <optional>
#include <string>

namespace shoal::config_internal {
namespace {

constexpr PolicyTypes kSimple = 1 << 0;
constexpr PolicyTypes kStep = 1 << 1;
constexpr PolicyTypes kTargetTracking = 1 << 2;
constexpr PolicyTypes kPredictive = 1 << 3;

template <typename T>
Json Optional(const std::optional<T>& v) {
  return v ? Json(*v) : Json();
}

template <typename Spec>
Json Named(const SpecMap<Spec>& map, const std::vector<Spec>& items) {
  Json out = Json::object();
  for (const Spec& item : items) out[item.name] = map.Render(item);
  return out;
}

Json Policies(const std::vector<PolicySpec>& policies) {
  Json out = Json::object();
  for (const PolicySpec& p : policies) out[p.name] = PolicyMap().Render(p, TypeBit(p.type));
  return out;
}

Json Steps(const std::vector<StepAdjustment>& steps) {
  Json out = Json::array();
  for (const StepAdjustment& s : steps) out.push_back(StepMap().Render(s));
  return out;
}

Json Str(std::string_view text) { return Json(std::string(text)); }


constexpr std::string_view kNewInstancesOnly = "instances launched from now on; running ones keep theirs";
constexpr std::string_view kRestartOnly = "a running daemon refuses this change: restart `shoal serve` with the file";

}  // namespace

PolicyTypes TypeBit(PolicyType type) {
  switch (type) {
    case PolicyType::kSimple: return kSimple;
    case PolicyType::kStep: return kStep;
    case PolicyType::kTargetTracking: return kTargetTracking;
    case PolicyType::kPredictive: return kPredictive;
  }
  return kAllPolicyTypes;
}

std::vector<std::string_view> KeyNames(const MapShape& map, PolicyTypes types) {
  std::vector<std::string_view> names;
  for (const KeyShape& k : map.keys) {
    if ((k.types & types) != 0) names.push_back(k.name);
  }
  return names;
}

Json RenderTune(const Config& c) {
  Json out = Json::object();
  for (const TuneParam& p : c.tune) {
    if (p.range) {
      const double unit = p.minutes ? 60 : 1;  // durations in seconds, like the other durations
      out[p.path] = Json::array({p.low * unit, p.high * unit});
    } else {
      out[p.path] = Json{{"choices", p.choices}};
    }
  }
  return out;
}

const SpecMap<Config>& TopMap() {
  static const SpecMap<Config> map = std::move(
      SpecMap<Config>("top level")
          .Nested("groups", KeyKind::kNamedList, GroupMap().shape(),
                  [](const Config& c) { return Named(GroupMap(), c.groups); })
          .Nested("controller", KeyKind::kSection, ControllerMap().shape(),
                  [](const Config& c) { return ControllerMap().Render(c.controller); })
          .Nested("provider", KeyKind::kSection, ProviderMap().shape(),
                  [](const Config& c) { return ProviderMap().Render(c.provider); })
          .Nested("releases", KeyKind::kSection, ReleasesMap().shape(),
                  [](const Config& c) { return ReleasesMap().Render(c.releases); })
          .Nested("logs", KeyKind::kSection, LogsMap().shape(),
                  [](const Config& c) { return LogsMap().Render(c.logs); })
          .Value("tune", "{groups.0.max: [2, 8]}", RenderTune, kAllPolicyTypes,
                 "read by shoal tune only; the daemon ignores it")
          .Nested("inventory", KeyKind::kSection, InventoryMap().shape(),
                  [](const Config& c) { return InventoryMap().Render(c.inventory); }));
  return map;
}

const SpecMap<InventorySpec>& InventoryMap() {
  static const SpecMap<InventorySpec> map = std::move(
      SpecMap<InventorySpec>("inventory")
          .Value("dir", "/var/lib/nagios4/shoal", [](const InventorySpec& v) { return Json(v.dir); })
          .Value("nagios", "false", [](const InventorySpec& v) { return Json(v.nagios); })
          .Value("prometheus", "false", [](const InventorySpec& v) { return Json(v.prometheus); })
          .Value("nagios_host_template", "linux-server",
                 [](const InventorySpec& v) { return Json(v.nagios_host_template); })
          .Value("nagios_service_template", "local-service",
                 [](const InventorySpec& v) { return Json(v.nagios_service_template); })
          .Value("nagios_check_command", "check_http",
                 [](const InventorySpec& v) { return Json(v.nagios_check_command); }));
  return map;
}

const SpecMap<ReleasesSpec>& ReleasesMap() {
  static const SpecMap<ReleasesSpec> map = std::move(
      SpecMap<ReleasesSpec>("releases")
          .Value("store", "s3://artifacts/releases", [](const ReleasesSpec& r) { return Json(r.store); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("env", "staging", [](const ReleasesSpec& r) { return Json(r.env); }, kAllPolicyTypes,
                 kNewInstancesOnly));
  return map;
}

const SpecMap<LogsSpec>& LogsMap() {
  static const SpecMap<LogsSpec> map = std::move(
      SpecMap<LogsSpec>("logs")
          .Value("retention", "30d", [](const LogsSpec& l) { return Json(l.retention); })
          .Value("max_size", "512MiB", [](const LogsSpec& l) { return Json(l.max_size); })
          .Value("kafka_brokers", "127.0.0.1:9092", [](const LogsSpec& l) { return Json(l.kafka_brokers); })
          .Value("kafka_topic", "logs-prod", [](const LogsSpec& l) { return Json(l.kafka_topic); }));
  return map;
}

const SpecMap<ControllerSpec>& ControllerMap() {
  static const SpecMap<ControllerSpec> map = std::move(
      SpecMap<ControllerSpec>("controller")
          .Value("inventory_period", "30s", [](const ControllerSpec& c) { return Json(c.inventory_period); })
          .Value("orphan_grace", "5m", [](const ControllerSpec& c) { return Json(c.orphan_grace); })
          .Value("activity_retention", "7d", [](const ControllerSpec& c) { return Json(c.activity_retention); }));
  return map;
}

const SpecMap<GroupSpec>& GroupMap() {
  static const SpecMap<GroupSpec> map = std::move(
      SpecMap<GroupSpec>("group")
          .Value("name", "web2", [](const GroupSpec& g) { return Json(g.name); })
          .Value("service", "other", [](const GroupSpec& g) { return Json(g.service); })
          .Value("min", "2", [](const GroupSpec& g) { return Json(g.min); })
          .Value("max", "6", [](const GroupSpec& g) { return Json(g.max); })
          .Value("desired", "3", [](const GroupSpec& g) { return Json(g.desired); }, kAllPolicyTypes,
                 "the capacity at start: apply keeps the running desired; `shoal scale` sets it")
          .Value("default_cooldown", "10m", [](const GroupSpec& g) { return Json(g.default_cooldown); })
          .Value("drain_timeout", "1m", [](const GroupSpec& g) { return Json(g.drain_timeout); })
          .Nested("capacity", KeyKind::kSection, CapacityMap().shape(),
                  [](const GroupSpec& g) { return CapacityMap().Render(g.capacity); })
          .Nested("alarms", KeyKind::kNamedList, AlarmMap().shape(),
                  [](const GroupSpec& g) { return Named(AlarmMap(), g.alarms); })
          .Nested("policies", KeyKind::kNamedList, PolicyMap().shape(),
                  [](const GroupSpec& g) { return Policies(g.policies); })
          .Nested("spot", KeyKind::kSection, SpotMap().shape(),
                  [](const GroupSpec& g) { return SpotMap().Render(g.spot); })
          .Nested("warm_pool", KeyKind::kSection, WarmPoolMap().shape(),
                  [](const GroupSpec& g) { return WarmPoolMap().Render(g.warm_pool); })
          .Nested("health_check", KeyKind::kSection, HealthCheckMap().shape(),
                  [](const GroupSpec& g) { return HealthCheckMap().Render(g.health_check); })
          .Nested("launch", KeyKind::kSection, LaunchMap().shape(),
                  [](const GroupSpec& g) { return LaunchMap().Render(g.launch); })
          .Nested("deploy", KeyKind::kSection, DeployMap().shape(),
                  [](const GroupSpec& g) { return DeployMap().Render(g.deploy); })
          .Value("listen_port", "9090", [](const GroupSpec& g) { return Json(g.listen_port); }));
  return map;
}

const SpecMap<CapacitySpec>& CapacityMap() {
  static const SpecMap<CapacitySpec> map = std::move(
      SpecMap<CapacitySpec>("capacity")
          .Value("on_demand_base", "2", [](const CapacitySpec& c) { return Json(c.on_demand_base); })
          .Value("on_demand_percent_above_base", "25",
                 [](const CapacitySpec& c) { return Json(c.on_demand_percent_above_base); })
          .Value("on_demand_type", "c5.large", [](const CapacitySpec& c) { return Json(c.on_demand_type); })
          .Value("on_demand_weight", "2", [](const CapacitySpec& c) { return Json(c.on_demand_weight); })
          .Value("allocation_strategy", "capacity-optimized",
                 [](const CapacitySpec& c) { return Str(ToString(c.strategy)); })
          .Value("spot_instance_pools", "3", [](const CapacitySpec& c) { return Json(c.spot_instance_pools); })
          .Nested("spot_pools", KeyKind::kNamedList, PoolMap().shape(),
                  [](const CapacitySpec& c) { return Named(PoolMap(), c.spot_pools); }));
  return map;
}

const SpecMap<PoolSpec>& PoolMap() {
  static const SpecMap<PoolSpec> map = std::move(
      SpecMap<PoolSpec>("spot pool")
          .Value("name", "c5-b", [](const PoolSpec& p) { return Json(p.name); })
          .Value("instance_type", "c5.large", [](const PoolSpec& p) { return Json(p.instance_type); })
          .Value("zone", "us-east-1b", [](const PoolSpec& p) { return Json(p.zone); })
          .Value("weight", "2", [](const PoolSpec& p) { return Json(p.weight); })
          .Value("bid", "0.2", [](const PoolSpec& p) { return Json(p.bid_usd_per_hour); }));
  return map;
}

const SpecMap<SpotHandlingSpec>& SpotMap() {
  static const SpecMap<SpotHandlingSpec> map = std::move(
      SpecMap<SpotHandlingSpec>("spot")
          .Value("on_notice", kNoticeBumpGroup,
                 [](const SpotHandlingSpec& s) {
                   return Str(s.on_notice == NoticeAction::kReplace         ? kNoticeReplace
                              : s.on_notice == NoticeAction::kBumpGroup     ? kNoticeBumpGroup
                              : s.on_notice == NoticeAction::kBumpGroupOnly ? kNoticeBumpGroupOnly
                                                                            : kNoticeNone);
                 })
          .Value("bump_group", "web-ondemand", [](const SpotHandlingSpec& s) { return Json(s.bump_group); })
          .Value("avoid_pool_after_interruption", "1h",
                 [](const SpotHandlingSpec& s) { return Json(s.avoid_pool_after_interruption); })
          .Value("avoid_pool_after_capacity_error", "5m",
                 [](const SpotHandlingSpec& s) { return Json(s.avoid_pool_after_capacity_error); })
          .Value("fallback_to_on_demand", "false",
                 [](const SpotHandlingSpec& s) { return Json(s.fallback_to_on_demand); })
          .Value("rebalance_to_spot", "false", [](const SpotHandlingSpec& s) { return Json(s.rebalance_to_spot); })
          .Value("rebalance_max_in_flight", "4",
                 [](const SpotHandlingSpec& s) { return Json(s.rebalance_max_in_flight); })
          .Value("capacity_rebalance", "false",
                 [](const SpotHandlingSpec& s) { return Json(s.capacity_rebalance); }));
  return map;
}

const SpecMap<DeploySettings>& DeployMap() {
  static const SpecMap<DeploySettings> map = std::move(
      SpecMap<DeploySettings>("deploy")
          .Value("batch", "50%", [](const DeploySettings& d) { return Json(FormatBatch(d)); })
          .Value("min_healthy", "75%", [](const DeploySettings& d) { return Json(FormatPercent(d.min_healthy_percent)); })
          .Value("batch_timeout", "15m", [](const DeploySettings& d) { return Json(d.batch_timeout); })
          .Value("analysis", "5m", [](const DeploySettings& d) { return Json(d.analysis); })
          .Value("max_error_increase", "0.5", [](const DeploySettings& d) { return Json(d.max_error_increase); })
          .Value("max_latency_ratio", "2", [](const DeploySettings& d) { return Json(d.max_latency_ratio); })
          .Value("min_requests", "500", [](const DeploySettings& d) { return Json(d.min_requests); })
          .Value("strategy", "rolling", [](const DeploySettings& d) { return Json(std::string(ToString(d.strategy))); })
          .Value("keep_old", "10m", [](const DeploySettings& d) { return Json(d.keep_old); }));
  return map;
}

const SpecMap<WarmPoolSpec>& WarmPoolMap() {
  static const SpecMap<WarmPoolSpec> map = std::move(
      SpecMap<WarmPoolSpec>("warm_pool")
          .Value("size", "3", [](const WarmPoolSpec& w) { return Json(w.size); })
          .Value("pool", "on-demand", [](const WarmPoolSpec& w) { return Json(w.pool); }));
  return map;
}

const SpecMap<HealthCheckSpec>& HealthCheckMap() {
  static const SpecMap<HealthCheckSpec> map = std::move(
      SpecMap<HealthCheckSpec>("health_check")
          .Value("path", "/ready", [](const HealthCheckSpec& h) { return Json(h.path); })
          .Value("interval", "10s", [](const HealthCheckSpec& h) { return Json(h.interval); })
          .Value("rise", "3", [](const HealthCheckSpec& h) { return Json(h.rise); })
          .Value("fall", "5", [](const HealthCheckSpec& h) { return Json(h.fall); })
          .Value("grace", "10m", [](const HealthCheckSpec& h) { return Json(h.grace); }));
  return map;
}

const SpecMap<LaunchSpec>& LaunchMap() {
  static const SpecMap<LaunchSpec> map = std::move(
      SpecMap<LaunchSpec>("launch")
          .Value("release", "latest", [](const LaunchSpec& l) { return Json(l.release); }, kAllPolicyTypes,
                 kNewInstancesOnly)
          .Value("provision", R"([["/bin/mkdir", "-p", "{dir}/www"]])",
                 [](const LaunchSpec& l) { return Json(l.provision); }, kAllPolicyTypes, kNewInstancesOnly)
          .Value("command", R"(["/bin/sleep", "60"])", [](const LaunchSpec& l) { return Json(l.command); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("env", "{MODE: fast}",
                 [](const LaunchSpec& l) {
                   Json env = Json::object();
                   for (const auto& [k, v] : l.env) env[k] = v;
                   return env;
                 },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("cpu_share", "0.5", [](const LaunchSpec& l) { return Json(l.cpu_share); }, kAllPolicyTypes,
                 kNewInstancesOnly)
          .Nested("aws", KeyKind::kSection, AwsLaunchMap().shape(),
                  [](const LaunchSpec& l) { return AwsLaunchMap().Render(l.aws); }));
  return map;
}

const SpecMap<AwsLaunchSpec>& AwsLaunchMap() {
  static const SpecMap<AwsLaunchSpec> map = std::move(
      SpecMap<AwsLaunchSpec>("launch.aws")
          .Value("user_data", "\"#!/bin/sh\\necho hi\\n\"", [](const AwsLaunchSpec& a) { return Json(a.user_data); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("port", "8081", [](const AwsLaunchSpec& a) { return Json(a.port); }, kAllPolicyTypes,
                 kNewInstancesOnly)
          .Value("target_group", "web-blue", [](const AwsLaunchSpec& a) { return Json(a.target_group); }));
  return map;
}

const SpecMap<ProviderSpec>& ProviderMap() {
  static const SpecMap<ProviderSpec> map = std::move(
      SpecMap<ProviderSpec>("provider")
          .Value("type", "aws", [](const ProviderSpec& p) { return Str(ToString(p.type)); }, kAllPolicyTypes,
                 kRestartOnly)
          .Nested("aws", KeyKind::kSection, AwsProviderMap().shape(),
                  [](const ProviderSpec& p) { return AwsProviderMap().Render(p.aws); }));
  return map;
}

const SpecMap<AwsProviderSpec>& AwsProviderMap() {
  static const SpecMap<AwsProviderSpec> map = std::move(
      SpecMap<AwsProviderSpec>("provider.aws")
          .Value("region", "eu-west-1", [](const AwsProviderSpec& a) { return Json(a.region); }, kAllPolicyTypes,
                 kRestartOnly)
          .Value("endpoint", "http://127.0.0.1:5001", [](const AwsProviderSpec& a) { return Json(a.endpoint); },
                 kAllPolicyTypes, kRestartOnly)
          .Value("profile", "ops", [](const AwsProviderSpec& a) { return Json(a.profile); }, kAllPolicyTypes,
                 kRestartOnly)
          .Value("owner", "team-web", [](const AwsProviderSpec& a) { return Json(a.owner); }, kAllPolicyTypes,
                 kRestartOnly)
          .Value("image", "ami-0fedcba9876543210", [](const AwsProviderSpec& a) { return Json(a.image); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("subnets", "[subnet-0123456789abcdef0]", [](const AwsProviderSpec& a) { return Json(a.subnets); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("security_groups", "[sg-0123456789abcdef0]",
                 [](const AwsProviderSpec& a) { return Json(a.security_groups); }, kAllPolicyTypes,
                 kNewInstancesOnly)
          .Value("instance_profile", "web-role", [](const AwsProviderSpec& a) { return Json(a.instance_profile); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("key_name", "ops-key", [](const AwsProviderSpec& a) { return Json(a.key_name); }, kAllPolicyTypes,
                 kNewInstancesOnly)
          .Value("tags", "{team: web}",
                 [](const AwsProviderSpec& a) {
                   Json tags = Json::object();
                   for (const auto& [k, v] : a.tags) tags[k] = v;
                   return tags;
                 },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("spot_queue", "https://sqs.us-east-1.amazonaws.com/123456789012/spot-events",
                 [](const AwsProviderSpec& a) { return Json(a.spot_queue); }, kAllPolicyTypes, kRestartOnly)
          .Nested("agent", KeyKind::kSection, AwsAgentMap().shape(),
                  [](const AwsProviderSpec& a) { return AwsAgentMap().Render(a.agent); })
          .Value("metrics_delay", "2m", [](const AwsProviderSpec& a) { return Json(a.metrics_delay); }));
  return map;
}

const SpecMap<AwsAgentSpec>& AwsAgentMap() {
  static const SpecMap<AwsAgentSpec> map = std::move(
      SpecMap<AwsAgentSpec>("provider.aws.agent")
          .Value("report_url", "http://10.0.0.5:7400", [](const AwsAgentSpec& a) { return Json(a.report_url); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("binary", "/usr/local/bin/shoal", [](const AwsAgentSpec& a) { return Json(a.binary); },
                 kAllPolicyTypes, kNewInstancesOnly)
          .Value("binary_url", "https://artifacts.example.com/shoal-1.0-amd64",
                 [](const AwsAgentSpec& a) { return Json(a.binary_url); }, kAllPolicyTypes, kNewInstancesOnly)
          .Value("binary_sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                 [](const AwsAgentSpec& a) { return Json(a.binary_sha256); }, kAllPolicyTypes, kNewInstancesOnly));
  return map;
}

const SpecMap<AlarmSpec>& AlarmMap() {
  static const SpecMap<AlarmSpec> map = std::move(
      SpecMap<AlarmSpec>("alarm")
          .Value("name", "cpu-low", [](const AlarmSpec& a) { return Json(a.name); })
          .Value("metric", "request_count_per_target", [](const AlarmSpec& a) { return Str(ToString(a.metric)); })
          .Value("statistic", "Maximum", [](const AlarmSpec& a) { return Str(ToString(a.statistic)); })
          .Value("period", "120", [](const AlarmSpec& a) { return Json(a.period_seconds); })
          .Value("evaluation_periods", "4", [](const AlarmSpec& a) { return Json(a.evaluation_periods); })
          .Value("datapoints_to_alarm", "3", [](const AlarmSpec& a) { return Json(a.datapoints_to_alarm); })
          .Value("comparison", "<", [](const AlarmSpec& a) { return Str(ToString(a.comparison)); })
          .Value("threshold", "40", [](const AlarmSpec& a) { return Json(a.threshold); })
          .Value("missing_data", "breaching", [](const AlarmSpec& a) { return Str(ToString(a.missing_data)); }));
  return map;
}

const SpecMap<PolicySpec>& PolicyMap() {
  constexpr PolicyTypes kAlarmed = kSimple | kStep;
  static const SpecMap<PolicySpec> map = std::move(
      SpecMap<PolicySpec>("policy")
          .Value("name", "surge", [](const PolicySpec& p) { return Json(p.name); })
          .Value("type", "target-tracking", [](const PolicySpec& p) { return Str(ToString(p.type)); })
          .Value("alarm", "cpu-high", [](const PolicySpec& p) { return Json(p.alarm); }, kAlarmed)
          .Value("adjustment_type", "exact", [](const PolicySpec& p) { return Str(ToString(p.adjustment_type)); },
                 kAlarmed)
          .Value("adjustment", "2", [](const PolicySpec& p) { return Json(p.scaling_adjustment); }, kSimple)
          .Value("min_adjustment_magnitude", "3", [](const PolicySpec& p) { return Json(p.min_adjustment_magnitude); },
                 kAlarmed)
          .Value("cooldown", "1m", [](const PolicySpec& p) { return Optional(p.cooldown); },
                 kSimple | kTargetTracking)
          .Nested("steps", KeyKind::kList, StepMap().shape(), [](const PolicySpec& p) { return Steps(p.steps); },
                  kStep)
          .Value("warmup", "2m", [](const PolicySpec& p) { return Json(p.warmup); }, kStep | kTargetTracking)
          .Value("metric", "request_count_per_target", [](const PolicySpec& p) { return Str(ToString(p.target_metric)); },
                 kTargetTracking)
          .Value("target", "40", [](const PolicySpec& p) { return Json(p.target_value); },
                 kTargetTracking | kPredictive)
          .Value("disable_scale_in", "true", [](const PolicySpec& p) { return Json(p.disable_scale_in); },
                 kTargetTracking)
          .Nested("alarm_shape", KeyKind::kSection, AlarmShapeMap().shape(),
                  [](const PolicySpec& p) { return AlarmShapeMap().Render(p.shape); }, kTargetTracking)
          .Value("lags", "[2, 14]", [](const PolicySpec& p) { return Json(p.lag_days); }, kPredictive)
          .Value("horizon", "30m", [](const PolicySpec& p) { return Json(Seconds{p.horizon_minutes} * kMinute); },
                 kPredictive)
          .Value("lag_choice_window", "1d",
                 [](const PolicySpec& p) { return Json(Seconds{p.lag_choice_minutes} * kMinute); }, kPredictive)
          .Value("level_window", "2h",
                 [](const PolicySpec& p) { return Json(Seconds{p.level_window_minutes} * kMinute); }, kPredictive)
          .Value("level_ratio", "0.6", [](const PolicySpec& p) { return Json(p.level_ratio); }, kPredictive)
          .Value("level_rise", "1.5", [](const PolicySpec& p) { return Json(p.level_rise); }, kPredictive)
          .Value("learn_periods", "false", [](const PolicySpec& p) { return Json(p.learn_periods); }, kPredictive)
          .Value("max_period", "2d",
                 [](const PolicySpec& p) { return Json(Seconds{p.max_period_minutes} * kMinute); }, kPredictive)
          .Value("repetitions", "4", [](const PolicySpec& p) { return Json(p.repetitions); }, kPredictive)
          .Value("short_period_repetitions", "1",
                 [](const PolicySpec& p) { return Json(p.short_period_repetitions); }, kPredictive)
          .Value("min_correlation", "0.5", [](const PolicySpec& p) { return Json(p.min_correlation); }, kPredictive)
          .Value("headroom_quantile", "0.999", [](const PolicySpec& p) { return Json(p.headroom_quantile); },
                 kPredictive));
  return map;
}

const SpecMap<StepAdjustment>& StepMap() {
  static const SpecMap<StepAdjustment> map = std::move(
      SpecMap<StepAdjustment>("step")
          .Value("lower", "5", [](const StepAdjustment& s) { return Optional(s.lower_bound); })
          .Value("upper", "20", [](const StepAdjustment& s) { return Optional(s.upper_bound); })
          .Value("adjustment", "20", [](const StepAdjustment& s) { return Json(s.adjustment); }));
  return map;
}

const SpecMap<TargetTrackingShape>& AlarmShapeMap() {
  static const SpecMap<TargetTrackingShape> map = std::move(
      SpecMap<TargetTrackingShape>("alarm_shape")
          .Nested("scale_out", KeyKind::kSection, ScaleOutMap().shape(),
                  [](const TargetTrackingShape& s) { return ScaleOutMap().Render(s); })
          .Nested("scale_in", KeyKind::kSection, ScaleInMap().shape(),
                  [](const TargetTrackingShape& s) { return ScaleInMap().Render(s); }));
  return map;
}

const SpecMap<TargetTrackingShape>& ScaleOutMap() {
  static const SpecMap<TargetTrackingShape> map = std::move(
      SpecMap<TargetTrackingShape>("alarm_shape.scale_out")
          .Value("evaluation_periods", "4",
                 [](const TargetTrackingShape& s) { return Json(s.scale_out_evaluation_periods); })
          .Value("datapoints", "3", [](const TargetTrackingShape& s) { return Json(s.scale_out_datapoints); }));
  return map;
}

const SpecMap<TargetTrackingShape>& ScaleInMap() {
  static const SpecMap<TargetTrackingShape> map = std::move(
      SpecMap<TargetTrackingShape>("alarm_shape.scale_in")
          .Value("evaluation_periods", "20",
                 [](const TargetTrackingShape& s) { return Json(s.scale_in_evaluation_periods); })
          .Value("datapoints", "12", [](const TargetTrackingShape& s) { return Json(s.scale_in_datapoints); })
          .Value("ratio", "0.8", [](const TargetTrackingShape& s) { return Json(s.scale_in_ratio); }));
  return map;
}

}  // namespace shoal::config_internal
