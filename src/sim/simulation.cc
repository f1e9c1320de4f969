#include "sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "adapters/config/duration.h"
#include "adapters/sim/sim_world.h"
#include "adapters/sim/spot_market.h"
#include "adapters/system/stream_logger.h"
#include "controller/reconciler.h"
#include "sim/control_plane.h"
#include "sim/invariants.h"

namespace shoal {

Result<SimDeployPlan> ParseSimDeploy(std::string_view text) {
  const std::string shown(text.substr(0, 80));
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--deploy \"" + shown + "\": " + why +
                                   " (like web@2h=2 or web@90m=3,errors=5 or web@1h=2,unhealthy or web@1h=2,latency_ms=80 or web@1h=2,blue-green)");
  };
  const std::size_t at = text.find('@');
  const std::size_t eq = text.find('=');
  if (at == std::string_view::npos || eq == std::string_view::npos || eq < at || at == 0) return bad("expected GROUP@TIME=VERSION");
  SimDeployPlan d;
  d.group = std::string(text.substr(0, at));
  const std::optional<Seconds> when = config_internal::ParseDuration(text.substr(at + 1, eq - at - 1));
  if (!when) return bad("the time must be a duration like 2h or 90m");
  d.at = *when;
  std::string_view rest = text.substr(eq + 1);
  const std::size_t comma = rest.find(',');
  const std::string version(rest.substr(0, comma));
  if (version.empty() || version.size() > 9 || version.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(version) < 1) {
    return bad("the version must be a number of 1 or more");
  }
  d.to_version = std::stoi(version);
  while (comma != std::string_view::npos && !rest.empty()) {
    rest = rest.substr(rest.find(',') == std::string_view::npos ? rest.size() : rest.find(',') + 1);
    if (rest.empty()) break;
    const std::string item(rest.substr(0, rest.find(',')));
    if (item == "unhealthy") {
      d.release.healthy = false;
    } else if (item == "blue-green") {
      d.blue_green = true;
    } else if (item.rfind("errors=", 0) == 0 || item.rfind("latency_ms=", 0) == 0) {
      const bool errors = item[0] == 'e';
      const std::string value = item.substr(item.find('=') + 1);
      char* endp = nullptr;
      const double v = std::strtod(value.c_str(), &endp);
      if (value.empty() || endp != value.c_str() + value.size() || !(v >= 0) || v > (errors ? 100 : 600000)) {
        return bad(std::string(errors ? "errors must be a percentage 0..100" : "latency_ms must be 0..600000"));
      }
      (errors ? d.release.error_percent : d.release.response_ms) = v;
    } else {
      return bad("unknown part \"" + item + "\"");
    }
  }
  return d;
}
namespace {

constexpr double kBaselineCpu = 0.8;  // baselines serve every minute at <= 80% CPU

// Keeps every activity, in order, and hashes them as they come.
class ActivityLog final : public ActivitySink {
 public:
  void Record(const Activity& a) override {
    if (checker_ != nullptr) checker_->CheckActivity(a);
    log_.push_back(a);
    const std::string line = std::to_string(a.time) + "|" + a.group + "|" + std::string(ToString(a.kind)) +
                             "|" + std::to_string(a.from) + "|" + std::to_string(a.to) + "|" + a.cause + "\n";
    for (unsigned char c : line) {
      hash_ ^= c;
      hash_ *= 1099511628211ULL;
    }
  }
  std::vector<Activity>& log() { return log_; }
  std::uint64_t hash() const { return hash_; }
  void set_checker(InvariantChecker* checker) { checker_ = checker; }

 private:
  std::vector<Activity> log_;
  std::uint64_t hash_ = 1469598103934665603ULL;
  InvariantChecker* checker_ = nullptr;
};

// The market every config is measured in: the standard pools of the region
// (the baseline type and its two-vCPU peers in every zone) plus any other
// pool a config names. The oracle's cheapest price is taken over all of them,
// so configs that use only standard pools share one oracle.
std::vector<MarketPool> MarketPools(const Config& config, const std::string& region,
                                    const std::string& baseline_type) {
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<MarketPool> pools;
  auto add = [&](const std::string& type, const std::string& zone) {
    if (seen.insert({type, zone}).second) pools.push_back({type, zone});
  };
  for (const std::string& type : {baseline_type, std::string("m5.large"), std::string("c5.large")}) {
    for (const char* z : {"a", "b", "c", "d", "e", "f"}) add(type, region + z);
  }
  for (const GroupSpec& g : config.groups) {
    for (const PoolSpec& p : g.capacity.spot_pools) add(p.instance_type, p.zone);
  }
  return pools;
}

std::string Hex(std::uint64_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 15];
  return s;
}

double CheapestUnitPrice(const SpotMarket& market, const std::vector<MarketPool>& pools,
                         const std::map<std::string, double>& weights, Seconds t) {
  double best = 1e300;
  for (std::size_t p = 0; p < pools.size(); ++p) {
    const auto w = weights.find(pools[p].instance_type);
    best = std::min(best, market.Price(p, t) / (w == weights.end() ? 1.0 : w->second));
  }
  return best;
}

}  // namespace

Result<SimReport> RunSimulation(const Config& config, const Trace& trace, const PriceTables& prices,
                                const SimOptions& options) {
  if (trace.requests.empty() || trace.peak() <= 0) {
    return Status::InvalidArgument(trace.source + ": the trace has no requests; nothing to simulate");
  }
  if (options.peak_instances < 1) return Status::InvalidArgument("--peak-instances must be at least 1");
  if (options.rebalance_lead_min > options.rebalance_lead_max) {
    return Status::InvalidArgument("--rebalance-lead-min (" + std::to_string(options.rebalance_lead_min) +
                                   ") is above --rebalance-lead-max (" + std::to_string(options.rebalance_lead_max) +
                                   ")");
  }
  const Seconds start = static_cast<Seconds>(options.warmup_minutes) * kMinute;
  const Seconds end = start + static_cast<Seconds>(trace.requests.size()) * kMinute;

  const std::vector<MarketPool> pools = MarketPools(config, options.region, options.baseline_type);
  SpotMarketOptions mo;
  mo.region = options.region;
  mo.seed = options.seed;
  mo.horizon = end + kHour;
  mo.interruption_rate_scale = options.interruption_scale;
  Result<SpotMarket> market = SpotMarket::Build(prices, pools, mo);
  if (!market.ok()) return market.status();
  const double baseline_price = market->OnDemandPrice(options.baseline_type);
  if (baseline_price <= 0) {
    return Status::InvalidArgument("no on-demand price for the baseline type " + options.baseline_type + " in " +
                                   options.region);
  }

  SimEnvironment env;
  env.capacity_per_unit_rpm =
      (options.scale_peak_rpm > 0 ? options.scale_peak_rpm : trace.peak()) / options.peak_instances;
  env.boot_seconds = options.boot_seconds;
  env.warm_start_seconds = options.warm_start_seconds;
  env.notice_seconds = options.notice_seconds;
  env.rebalance_fraction = options.rebalance_fraction;
  env.rebalance_lead_min = options.rebalance_lead_min;
  env.rebalance_lead_max = options.rebalance_lead_max;
  env.start_offset = start;
  env.seed = options.seed;
  std::map<std::string, std::string> group_service;
  std::map<std::string, const std::vector<double>*> service_demand;
  for (const GroupSpec& g : config.groups) {
    group_service[g.name] = g.service;
    service_demand[g.service] = &trace.requests;  // every service sees the trace
  }
  SimWorld world(env, &*market, pools, group_service, service_demand);
  ActivityLog log;
  std::optional<FaultSpec> faults = options.faults;
  if (faults && faults->stop_at < 0) faults->stop_at = start + (end - start) * 3 / 4;
  InvariantOptions io;
  io.faults_stop = faults ? faults->stop_at : -1;
  InvariantChecker checker(io);
  if (faults) log.set_checker(&checker);
  std::unique_ptr<StreamLogger> logger;
  if (options.log != nullptr) logger = std::make_unique<StreamLogger>(&world, options.log, LogLevel::kDebug);
  Result<std::unique_ptr<SimControlPlane>> plane =
      SimControlPlane::Create(config.groups, &world, &log, logger.get(), faults, options.seed);
  if (!plane.ok()) return plane.status();
  SimControlPlane& cp = **plane;

  auto tick = [&](Seconds t, Seconds previous) -> Status {
    const bool was_up = cp.up();
    SHOAL_RETURN_IF_ERROR(cp.Tick(t));
    if (!faults) return Status::Ok();
    if (!was_up) checker.Down(previous, t);
    if (cp.up()) checker.AfterTick(t, ViewOf(*cp.controller()), world.AliveInstances());
    return Status::Ok();
  };
  for (const SimDeployPlan& d : options.deploys) {
    bool known = false;
    for (const GroupSpec& g : config.groups) known = known || g.name == d.group;
    if (!known) return Status::InvalidArgument("--deploy: no group named '" + d.group + "' in the config");
    world.SetRelease(d.to_version, d.release);
  }
  std::vector<bool> deploy_started(options.deploys.size(), false);
  std::vector<SimDeployOutcome> deploy_outcomes(options.deploys.size());
  // The operator's deploys, each once its time has come (retried while the
  // control plane is down).
  auto start_deploys = [&](Seconds t) {
    for (std::size_t i = 0; i < options.deploys.size(); ++i) {
      const SimDeployPlan& d = options.deploys[i];
      if (deploy_started[i] || t < start + d.at) continue;
      const int g = cp.up() ? cp.controller()->FindGroup(d.group) : -1;
      if (g < 0) continue;
      DeployRequest request;
      request.to_version = d.to_version;
      request.ref = std::to_string(d.to_version);
      request.settings = config.groups[g].deploy;
      if (d.blue_green) request.settings.strategy = DeployStrategy::kBlueGreen;
      request.cause = "simulated operator: deploy " + std::to_string(d.to_version);
      const Status s = cp.StartDeploy(d.group, std::move(request));
      if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kIoError) continue;
      deploy_started[i] = true;
      deploy_outcomes[i].result = s.ok() ? "" : "refused: " + s.message();
      if (s.ok()) deploy_outcomes[i].id = cp.controller()->state(g).deploy->id;
    }
  };
  // Each started deploy's outcome as the controller last showed it: a group
  // keeps only its newest deploy, so an earlier one is read before a later
  // one replaces it (and once more at the end).
  auto read_deploys = [&]() {
    if (!cp.up()) return;
    for (std::size_t i = 0; i < options.deploys.size(); ++i) {
      SimDeployOutcome& o = deploy_outcomes[i];
      if (!deploy_started[i] || o.id == 0) continue;  // not started, or refused
      const int g = cp.controller()->FindGroup(options.deploys[i].group);
      const std::optional<DeployState>& d = cp.controller()->state(g).deploy;
      if (!d || d->id != o.id) continue;
      o.from_version = d->from_version;
      o.phase = std::string(ToString(d->phase));
      o.result = d->result;
      o.started_at = d->started_at - start;
      o.ended_at = d->ended_at > 0 ? d->ended_at - start : -1;
    }
  };
  if (options.split_minute < 0 || options.split_minute >= static_cast<std::int64_t>(trace.requests.size())) {
    return Status::InvalidArgument("split minute " + std::to_string(options.split_minute) +
                                   " is outside the trace's minutes 0.." +
                                   std::to_string(trace.requests.size() - 1));
  }
  // The cost up to the split, taken before anything at that second runs:
  // what a run of the trace cut there would be billed.
  const Seconds split_at = start + static_cast<Seconds>(options.split_minute) * kMinute;
  std::optional<double> cost_before_split;
  SHOAL_RETURN_IF_ERROR(tick(0, 0));
  Seconds previous = 0;
  for (Seconds next_minute = kMinute;;) {
    const Seconds event = world.NextEventTime();
    const Seconds t = (event != kNever && event < next_minute) ? event : next_minute;
    if (options.split_minute > 0 && !cost_before_split && t >= split_at) {
      cost_before_split = world.AccruedCost(split_at);
    }
    if (t >= end) break;
    world.AdvanceTo(t);
    if (t == next_minute) cp.EachMinute();
    if (t == next_minute && !options.deploys.empty()) {
      read_deploys();
      start_deploys(t);
    }
    SHOAL_RETURN_IF_ERROR(tick(t, previous));
    previous = t;
    if (t == next_minute) next_minute += kMinute;
  }
  if (faults) {
    world.AdvanceTo(end);
    SHOAL_RETURN_IF_ERROR(tick(end, previous));
    checker.CheckLedger(cp.ledger());
    // Crashes stop with the other faults, so the control plane is up at the
    // end unless the trace ends within a restart's downtime of them.
    if (cp.up()) checker.AtEnd(end, ViewOf(*cp.controller()), world.AliveInstances());
  }
  world.Finish(end);
  read_deploys();
  for (std::size_t i = 0; i < options.deploys.size(); ++i) {
    SimDeployOutcome& o = deploy_outcomes[i];
    o.group = options.deploys[i].group;
    o.to_version = options.deploys[i].to_version;
    if (!deploy_started[i]) o.phase = "not-started";
    if (deploy_started[i] && o.phase.empty() && !o.result.empty()) o.phase = "refused";
  }

  SimReport r;
  r.deploys = std::move(deploy_outcomes);
  r.config = config.source;
  r.trace = trace.source;
  r.minutes = static_cast<std::int64_t>(trace.requests.size());
  r.trace_start = start;
  r.total_requests = trace.total() * static_cast<double>(service_demand.size());
  r.peak_instances = options.peak_instances;
  r.seed = options.seed;
  const double hours = static_cast<double>(r.minutes) / 60.0;
  r.static_ondemand_instances = static_cast<int>(std::ceil(options.peak_instances / kBaselineCpu - 1e-9));
  r.static_ondemand_cost_usd =
      r.static_ondemand_instances * baseline_price * hours * static_cast<double>(service_demand.size());

  std::map<std::string, double> weights;
  for (const GroupSpec& g : config.groups) {
    for (const PoolSpec& p : g.capacity.spot_pools) weights[p.instance_type] = p.weight;
  }
  const double cap = env.capacity_per_unit_rpm;
  double util_sum = 0;
  int util_minutes = 0;
  r.series.pool_names.reserve(pools.size());
  for (const MarketPool& p : pools) r.series.pool_names.push_back(p.instance_type + "/" + p.zone);
  r.series.pool_units.assign(pools.size(), {});
  if (options.split_minute > 0) r.split = SimSplit{options.split_minute, {}, {}};
  for (const auto& [service, demand] : service_demand) {
    const std::vector<MinuteRecord>& minutes = world.Minutes(service);
    for (std::size_t m = 0; m < trace.requests.size(); ++m) {
      const std::size_t at = m + static_cast<std::size_t>(options.warmup_minutes);
      if (at >= minutes.size()) break;
      const MinuteRecord& rec = minutes[at];
      r.lost_requests += rec.lost;
      if (r.split) {
        SimSplitPart& part = static_cast<std::int64_t>(m) < r.split->minute ? r.split->before : r.split->from;
        part.lost_requests += rec.lost;
        part.total_requests += trace.requests[m];
      }
      const double capacity = rec.capacity_units * cap;
      const double util = capacity > 0 ? rec.demand / capacity : (rec.demand > 0 ? 1e9 : 0);
      if (util > 0.9) ++r.hot_minutes;
      if (capacity > 0) {
        util_sum += std::min(1.0, util);
        ++util_minutes;
      }
      const double need = std::ceil(rec.demand / cap / kBaselineCpu - 1e-9);
      r.oracle_cost_usd += need * CheapestUnitPrice(*market, pools, weights, start + static_cast<Seconds>(m) * kMinute) / 60.0;
      if (service == service_demand.begin()->first) {
        r.series.demand_units.push_back(static_cast<float>(rec.demand / cap));
        r.series.on_demand_units.push_back(static_cast<float>(rec.on_demand_units));
        r.series.capacity_units.push_back(static_cast<float>(rec.capacity_units));
        r.series.lost_requests.push_back(static_cast<float>(rec.lost));
        for (std::size_t p = 0; p < pools.size(); ++p) r.series.pool_units[p].push_back(rec.pool_units[p]);
      }
    }
  }
  r.mean_utilization = util_minutes > 0 ? util_sum / util_minutes : 0;
  if (r.split) r.split->before.cost_usd = cost_before_split.value_or(0);  // from the split: once the bills are in
  for (const InstanceBill& b : world.Bills()) {
    r.cost_usd += b.cost;
    r.stopped_disk_cost_usd += b.stopped_disk_cost;
    const double h =
        static_cast<double>(std::max<Seconds>(0, b.ended - std::max(b.launched, start) - b.stopped_seconds)) / 3600.0;
    (b.market == Market::kSpot ? r.spot_instance_hours : r.ondemand_instance_hours) += h;
  }
  if (r.split) r.split->from.cost_usd = r.cost_usd - r.split->before.cost_usd;
  r.savings_pct = r.static_ondemand_cost_usd > 0 ? 100.0 * (1.0 - r.cost_usd / r.static_ondemand_cost_usd) : 0;
  r.cost_to_oracle = r.oracle_cost_usd > 0 ? r.cost_usd / r.oracle_cost_usd : 0;
  r.lost_pct = r.total_requests > 0 ? 100.0 * r.lost_requests / r.total_requests : 0;
  r.interruptions = world.interruptions();
  r.rebalance_recommendations = world.recommendations();
  r.max_instances = world.max_instances();
  r.activity_log = std::move(log.log());
  r.activities = static_cast<int>(r.activity_log.size());
  for (const Activity& a : r.activity_log) {
    if (a.kind == ActivityKind::kReplace) ++r.replacements;
    if (a.kind == ActivityKind::kFallbackOnDemand) ++r.fallbacks_to_ondemand;
  }
  r.fingerprint = Hex(log.hash());
  if (faults) {
    r.faulty = true;
    r.fault_spec = FormatFaultSpec(*faults);
    r.faults_stop = faults->stop_at - start;
    r.faults_injected = cp.faults()->counts();
    r.restarts = cp.restarts();
    r.violations = checker.violations();
  }
  std::set<std::string> used;
  for (const GroupSpec& g : config.groups) {
    for (const PoolSpec& p : g.capacity.spot_pools) used.insert(p.instance_type + "/" + p.zone);
  }
  for (std::size_t p = 0; p < pools.size(); ++p) {
    if (used.count(r.series.pool_names[p]) > 0) {
      r.price_sources.push_back(r.series.pool_names[p] + ": " + market->PriceSource(p));
    }
  }
  return r;
}

Status MeasureHeadroom(const Config& config, const Trace& trace, const PriceTables& prices,
                       const SimOptions& options, SimReport* r) {
  if (options.faults) return Status::Ok();
  Config without = config;
  HeadroomCost h;
  for (GroupSpec& g : without.groups) {
    for (PolicySpec& p : g.policies) {
      if (p.headroom_quantile <= 0) continue;
      h.quantiles.push_back(p.headroom_quantile);
      p.headroom_quantile = 0;
    }
  }
  if (h.quantiles.empty()) return Status::Ok();
  SimOptions quiet = options;
  quiet.log = nullptr;
  Result<SimReport> base = RunSimulation(without, trace, prices, quiet);
  if (!base.ok()) return base.status();
  h.cost_without_usd = base->cost_usd;
  h.cost_usd = r->cost_usd - base->cost_usd;
  h.lost_requests_without = base->lost_requests;
  h.lost_pct_without = base->lost_pct;
  h.hot_minutes_without = base->hot_minutes;
  r->headroom = h;
  return Status::Ok();
}

}  // namespace shoal
