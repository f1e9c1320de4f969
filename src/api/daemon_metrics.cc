#include "api/daemon_metrics.h"

#include <map>

#include "api/build_info.h"
#include "core/instance.h"

namespace shoal {
namespace {

const std::vector<double> kTickBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kRequestBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};

class CountingLoggerImpl final : public Logger {
 public:
  CountingLoggerImpl(Logger* inner, MetricsRegistry* registry, MetricsRegistry::Handle errors)
      : inner_(inner), registry_(registry), errors_(errors) {}
  void Write(const LogEvent& event) override {
    if (event.level == LogLevel::kWarn || event.level == LogLevel::kError) {
      std::string code = "none";
      for (const LogField& f : event.fields) {
        if (f.key == "code") code = f.value;
      }
      registry_->Increment(errors_, {event.event, code});
    }
    if (inner_ != nullptr) inner_->Write(event);
  }

 private:
  Logger* inner_;
  MetricsRegistry* registry_;
  MetricsRegistry::Handle errors_;
};

std::string PoolName(const GroupSpec& spec, const Instance& in) {
  if (in.pool >= 0 && static_cast<std::size_t>(in.pool) < spec.capacity.spot_pools.size()) {
    return spec.capacity.spot_pools[in.pool].name;
  }
  return "on-demand/" + spec.capacity.on_demand_type;
}

constexpr InstanceState kLiveStates[] = {InstanceState::kPending,   InstanceState::kProvisioning,
                                         InstanceState::kInService, InstanceState::kDraining,
                                         InstanceState::kUnhealthy, InstanceState::kInterrupted,
                                         InstanceState::kTerminating};
constexpr AlarmState kAlarmStates[] = {AlarmState::kOk, AlarmState::kAlarm, AlarmState::kInsufficientData};
constexpr DeployPhase kDeployPhases[] = {DeployPhase::kRolling, DeployPhase::kRollingBack, DeployPhase::kSucceeded,
                                         DeployPhase::kRolledBack};

struct PoolKey {
  std::string pool;
  std::string market;
  auto operator<=>(const PoolKey&) const = default;
};

// Every pool of a group, spot pools in config order and then on-demand, so
// each series exists (at 0) from the start.
std::vector<PoolKey> Pools(const GroupSpec& spec) {
  std::vector<PoolKey> pools;
  for (const PoolSpec& p : spec.capacity.spot_pools) pools.push_back({p.name, "spot"});
  pools.push_back({"on-demand/" + spec.capacity.on_demand_type, "on-demand"});
  return pools;
}

void RenderFleet(const FleetFacts& f, PrometheusText& out) {
  const std::vector<GroupSpec>& groups = f.config->groups;
  const auto group_state = [&](std::size_t g) -> const GroupState* {
    return g < f.states->size() ? &(*f.states)[g] : nullptr;
  };
  out.Family("shoal_build_info", "gauge", "The release and git commit this daemon was built from (always 1).");
  out.Sample("shoal_build_info", {{"version", BuildVersion()}, {"commit", BuildCommit()}}, 1);

  out.Family("shoal_group_desired_capacity", "gauge", "The group's desired capacity, in capacity units.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (const GroupState* s = group_state(g)) out.Sample("shoal_group_desired_capacity", {{"group", groups[g].name}}, s->desired);
  }
  out.Family("shoal_group_min_capacity", "gauge", "The group's configured minimum capacity (units).");
  for (const GroupSpec& spec : groups) out.Sample("shoal_group_min_capacity", {{"group", spec.name}}, spec.min);
  out.Family("shoal_group_max_capacity", "gauge", "The group's configured maximum capacity (units).");
  for (const GroupSpec& spec : groups) out.Sample("shoal_group_max_capacity", {{"group", spec.name}}, spec.max);
  out.Family("shoal_group_launches_pending", "gauge",
             "Launches the group has asked of the cloud whose instance is not known yet.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (const GroupState* s = group_state(g)) {
      out.Sample("shoal_group_launches_pending", {{"group", groups[g].name}}, static_cast<double>(s->launches.size()));
    }
  }

  out.Family("shoal_instances", "gauge",
             "Instances by group, pool, market and lifecycle state (pending, provisioning, in-service, draining, "
             "unhealthy, interrupted, terminating).");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr) continue;
    std::map<std::pair<PoolKey, InstanceState>, int> counts;
    for (const PoolKey& p : Pools(groups[g])) {
      for (const InstanceState st : kLiveStates) counts[{p, st}] = 0;
    }
    for (const Instance& in : s->instances) {
      if (in.state == InstanceState::kTerminated) continue;
      ++counts[{PoolKey{PoolName(groups[g], in), std::string(ToString(in.market))}, in.state}];
    }
    for (const auto& [key, n] : counts) {
      out.Sample("shoal_instances",
                 {{"group", groups[g].name}, {"pool", key.first.pool}, {"market", key.first.market},
                  {"state", std::string(ToString(key.second))}},
                 n);
    }
  }

  out.Family("shoal_instances_in_service_by_release", "gauge", "In-service instances by the release they run.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr) continue;
    std::map<int, int> versions;
    for (const Instance& in : s->instances) {
      if (in.state == InstanceState::kInService) ++versions[in.version];
    }
    for (const auto& [v, n] : versions) {
      out.Sample("shoal_instances_in_service_by_release", {{"group", groups[g].name}, {"release", std::to_string(v)}}, n);
    }
  }

  out.Family("shoal_alarm_state", "gauge", "1 for the alarm's current state (OK, ALARM, INSUFFICIENT_DATA), 0 for the others.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr) continue;
    for (std::size_t a = 0; a < groups[g].alarms.size() && a < s->alarm_states.size(); ++a) {
      for (const AlarmState st : kAlarmStates) {
        out.Sample("shoal_alarm_state",
                   {{"group", groups[g].name}, {"alarm", groups[g].alarms[a].name}, {"state", std::string(ToString(st))}},
                   s->alarm_states[a] == st ? 1 : 0);
      }
    }
  }

  out.Family("shoal_deploy_active", "gauge", "1 while a deploy of the group is rolling or rolling back.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr) continue;
    out.Sample("shoal_deploy_active", {{"group", groups[g].name}}, s->deploy && s->deploy->active() ? 1 : 0);
  }
  out.Family("shoal_deploy_phase", "gauge",
             "1 for the phase of the group's last deploy (rolling, rolling-back, succeeded, rolled-back), 0 for the "
             "others; no series before the group's first deploy.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr || !s->deploy) continue;
    for (const DeployPhase p : kDeployPhases) {
      out.Sample("shoal_deploy_phase", {{"group", groups[g].name}, {"phase", std::string(ToString(p))}},
                 s->deploy->phase == p ? 1 : 0);
    }
  }
  out.Family("shoal_deploy_target_release", "gauge", "The release the group's last deploy moves to (0: no deploy yet).");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr) continue;
    out.Sample("shoal_deploy_target_release", {{"group", groups[g].name}},
               s->deploy ? s->deploy->request.to_version : 0);
  }
  out.Family("shoal_deploy_replaced_instances", "gauge", "Instances the group's last deploy has replaced so far.");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    if (s == nullptr) continue;
    out.Sample("shoal_deploy_replaced_instances", {{"group", groups[g].name}}, s->deploy ? s->deploy->replaced : 0);
  }

  const auto observation = [&](std::size_t g) -> const Observation* {
    return f.observations != nullptr && g < f.observations->size() ? &(*f.observations)[g] : nullptr;
  };
  out.Family("shoal_spot_price_usd_per_hour", "gauge", "The spot price of each pool as the loop last saw it (USD per instance-hour).");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Observation* o = observation(g);
    if (o == nullptr) continue;
    for (std::size_t p = 0; p < groups[g].capacity.spot_pools.size() && p < o->pools.size(); ++p) {
      out.Sample("shoal_spot_price_usd_per_hour", {{"group", groups[g].name}, {"pool", groups[g].capacity.spot_pools[p].name}},
                 o->pools[p].price);
    }
  }
  out.Family("shoal_on_demand_price_usd_per_hour", "gauge", "The on-demand price of the group's on-demand type (USD per instance-hour).");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Observation* o = observation(g);
    if (o == nullptr) continue;
    out.Sample("shoal_on_demand_price_usd_per_hour",
               {{"group", groups[g].name}, {"instance_type", groups[g].capacity.on_demand_type}}, o->on_demand_price);
  }
  out.Family("shoal_cost_usd_per_hour", "gauge",
             "What the group's instances cost now, by pool: every instance not yet terminated at its pool's current "
             "price (USD per hour).");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupState* s = group_state(g);
    const Observation* o = observation(g);
    if (s == nullptr || o == nullptr) continue;
    std::map<PoolKey, double> cost;
    for (const PoolKey& p : Pools(groups[g])) cost[p] = 0;
    for (const Instance& in : s->instances) {
      if (in.state == InstanceState::kTerminated) continue;
      const bool spot = in.market == Market::kSpot && in.pool >= 0 && static_cast<std::size_t>(in.pool) < o->pools.size();
      cost[{PoolName(groups[g], in), std::string(ToString(in.market))}] +=
          spot ? o->pools[in.pool].price : o->on_demand_price;
    }
    for (const auto& [key, usd] : cost) {
      out.Sample("shoal_cost_usd_per_hour", {{"group", groups[g].name}, {"pool", key.pool}, {"market", key.market}}, usd);
    }
  }

  out.Family("shoal_state_commit_failures_total", "counter", "Ticks whose changes the state store could not commit.");
  out.Sample("shoal_state_commit_failures_total", {}, static_cast<double>(f.failed_commits));
  out.Family("shoal_inventory_failures_total", "counter", "Inventory passes that could not list the cloud's instances.");
  out.Sample("shoal_inventory_failures_total", {}, static_cast<double>(f.inventory_failures));
}

}  // namespace

std::string ApiRoute(std::string_view path) {
  static const char* const kExact[] = {"/healthz",       "/metrics",          "/v1/groups",
                                       "/v1/instances",  "/v1/activities",    "/v1/spot/interrupt",
                                       "/v1/spot/shortage", "/v1/plan",       "/v1/apply",
                                       "/v1/agent/events"};
  for (const char* e : kExact) {
    if (path == e) return e;
  }
  constexpr std::string_view kGroups = "/v1/groups/";
  if (path.substr(0, kGroups.size()) == kGroups) {
    const std::string_view rest = path.substr(kGroups.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) return rest.empty() ? "other" : "/v1/groups/{name}";
    const std::string_view action = rest.substr(slash + 1);
    if (slash > 0 && (action == "scale" || action == "deploy" || action == "revert")) {
      return "/v1/groups/{name}/" + std::string(action);
    }
  }
  return "other";
}

DaemonMetrics::DaemonMetrics() {
  activities_ = registry_.AddCounter("shoal_activities_total",
                                     "Committed activities by group and kind (scale-out, spot-notice, deploy, ...).",
                                     {"group", "kind"});
  interruptions_ = registry_.AddCounter("shoal_spot_interruptions_total",
                                        "Spot interruption notices by group and pool.", {"group", "pool"});
  rebalances_ = registry_.AddCounter("shoal_spot_rebalance_recommendations_total",
                                     "Spot rebalance recommendations (instance at risk) by group and pool.",
                                     {"group", "pool"});
  fallbacks_ = registry_.AddCounter("shoal_on_demand_fallbacks_total",
                                    "Times no spot pool could take a launch and on-demand was launched instead.",
                                    {"group"});
  errors_ = registry_.AddCounter("shoal_errors_total",
                                 "Warnings and errors the daemon logged, by log event and status code (none: the "
                                 "event carries no code).",
                                 {"event", "code"});
  requests_ = registry_.AddCounter("shoal_api_requests_total", "API requests answered, by method, route and HTTP status.",
                                   {"method", "route", "code"});
  request_seconds_ = registry_.AddHistogram("shoal_api_request_duration_seconds",
                                            "Time to answer an API request, from its last byte received to the answer "
                                            "written.",
                                            {"method", "route"}, kRequestBuckets);
  tick_seconds_ = registry_.AddHistogram("shoal_reconcile_duration_seconds",
                                         "Duration of one reconcile loop pass (provider upkeep and the reconciler's tick).",
                                         {}, kTickBuckets);
}

Logger* DaemonMetrics::CountingLogger(Logger* inner) {
  counting_logger_ = std::make_unique<CountingLoggerImpl>(inner, &registry_, errors_);
  return counting_logger_.get();
}

void DaemonMetrics::CountActivity(const Activity& a) {
  registry_.Increment(activities_, {a.group, std::string(ToString(a.kind))});
  if (a.kind == ActivityKind::kFallbackOnDemand) registry_.Increment(fallbacks_, {a.group});
}

void DaemonMetrics::TickTook(double seconds) { registry_.Observe(tick_seconds_, {}, seconds); }

void DaemonMetrics::RequestServed(std::string_view method, std::string_view path, int status, double seconds) {
  const std::string m = method == "GET" || method == "POST" ? std::string(method) : "other";
  const std::string route = ApiRoute(path);
  registry_.Increment(requests_, {m, route, std::to_string(status)});
  registry_.Observe(request_seconds_, {m, route}, seconds);
}

void DaemonMetrics::NoteFleet(const Config& config, const std::vector<GroupState>& states) {
  std::lock_guard lock(seen_mu_);
  std::set<InstanceId> noticed, at_risk;
  for (std::size_t g = 0; g < config.groups.size() && g < states.size(); ++g) {
    const GroupSpec& spec = config.groups[g];
    // Every series from the start, so rate() and increase() see the first one.
    registry_.Increment(fallbacks_, {spec.name}, 0);
    for (const PoolSpec& p : spec.capacity.spot_pools) {
      registry_.Increment(interruptions_, {spec.name, p.name}, 0);
      registry_.Increment(rebalances_, {spec.name, p.name}, 0);
    }
    for (const Instance& in : states[g].instances) {
      if (in.notice_deadline != kNever) {
        noticed.insert(in.id);
        if (!noticed_.contains(in.id)) registry_.Increment(interruptions_, {spec.name, PoolName(spec, in)});
      }
      if (in.at_risk()) {
        at_risk.insert(in.id);
        if (!at_risk_.contains(in.id)) registry_.Increment(rebalances_, {spec.name, PoolName(spec, in)});
      }
    }
  }
  // Instances gone from the state are forgotten; an id is never reused.
  noticed_ = std::move(noticed);
  at_risk_ = std::move(at_risk);
}

std::string DaemonMetrics::Render(const FleetFacts& facts) const {
  PrometheusText out;
  if (facts.config != nullptr && facts.states != nullptr) RenderFleet(facts, out);
  registry_.Render(&out);
  return out.text();
}

}  // namespace shoal
