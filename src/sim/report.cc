#include "sim/report.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "adapters/json/activity_json.h"

namespace shoal {
namespace {

double Round(double v, int decimals) {
  const double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

std::string DayClock(Seconds t) {
  return fmt::format("{}d{:02}:{:02}:{:02}", t / 86400, (t / 3600) % 24, (t / 60) % 60, t % 60);
}

}  // namespace

std::string FormatReportJson(const SimReport& r) {
  nlohmann::ordered_json j;
  j["config"] = r.config;
  j["trace"] = r.trace;
  j["minutes"] = r.minutes;
  j["total_requests"] = r.total_requests;
  j["peak_instances"] = r.peak_instances;
  j["seed"] = r.seed;
  j["cost_usd"] = Round(r.cost_usd, 4);
  j["static_ondemand_cost_usd"] = Round(r.static_ondemand_cost_usd, 4);
  j["static_ondemand_instances"] = r.static_ondemand_instances;
  j["oracle_cost_usd"] = Round(r.oracle_cost_usd, 4);
  j["savings_pct"] = Round(r.savings_pct, 2);
  j["cost_to_oracle"] = Round(r.cost_to_oracle, 3);
  j["lost_requests"] = Round(r.lost_requests, 1);
  j["lost_pct"] = Round(r.lost_pct, 5);
  j["hot_minutes"] = r.hot_minutes;
  j["interruptions"] = r.interruptions;
  j["rebalance_recommendations"] = r.rebalance_recommendations;
  j["replacements"] = r.replacements;
  j["fallbacks_to_ondemand"] = r.fallbacks_to_ondemand;
  j["activities"] = r.activities;
  j["max_instances"] = r.max_instances;
  j["mean_utilization"] = Round(r.mean_utilization, 4);
  j["spot_instance_hours"] = Round(r.spot_instance_hours, 2);
  j["ondemand_instance_hours"] = Round(r.ondemand_instance_hours, 2);
  if (r.stopped_disk_cost_usd > 0) j["stopped_disk_cost_usd"] = Round(r.stopped_disk_cost_usd, 4);
  j["fingerprint"] = r.fingerprint;
  j["price_sources"] = r.price_sources;
  if (r.headroom) {
    nlohmann::ordered_json h;
    h["quantiles"] = r.headroom->quantiles;
    h["cost_usd"] = Round(r.headroom->cost_usd, 4);
    h["cost_without_usd"] = Round(r.headroom->cost_without_usd, 4);
    h["lost_requests_without"] = Round(r.headroom->lost_requests_without, 1);
    h["lost_pct_without"] = Round(r.headroom->lost_pct_without, 5);
    h["hot_minutes_without"] = r.headroom->hot_minutes_without;
    j["headroom"] = h;
  }
  if (!r.deploys.empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const SimDeployOutcome& d : r.deploys) {
      list.push_back({{"group", d.group}, {"id", d.id}, {"from_version", d.from_version}, {"to_version", d.to_version},
                      {"phase", d.phase}, {"result", d.result}, {"started_at", d.started_at}, {"ended_at", d.ended_at}});
    }
    j["deploys"] = list;
  }
  if (r.faulty) {
    j["faults"] = r.fault_spec;
    j["faults_stop_seconds"] = r.faults_stop;
    j["faults_injected"] = r.faults_injected;
    j["restarts"] = r.restarts;
    j["violations"] = r.violations;
  }
  return j.dump(2) + "\n";
}

std::string FormatReportText(const SimReport& r) {
  std::string out;
  auto line = [&](const std::string& k, const std::string& v) { out += fmt::format("  {:<26} {}\n", k, v); };
  out += fmt::format("Simulated {} on {} ({} minutes, {:.0f} requests, peak = {} instances, seed {})\n\n",
                     r.config, r.trace, r.minutes, r.total_requests, r.peak_instances, r.seed);
  out += "Cost\n";
  line("cost_usd", fmt::format("{:.2f}", r.cost_usd));
  line("static_ondemand_cost_usd", fmt::format("{:.2f}  ({} on-demand instances, all the time)", r.static_ondemand_cost_usd,
                                               r.static_ondemand_instances));
  line("oracle_cost_usd", fmt::format("{:.2f}", r.oracle_cost_usd));
  line("savings_pct", fmt::format("{:.2f}  (vs static on-demand)", r.savings_pct));
  line("cost_to_oracle", fmt::format("{:.3f}  (1.0 is the limit)", r.cost_to_oracle));
  line("spot_instance_hours", fmt::format("{:.1f}", r.spot_instance_hours));
  line("ondemand_instance_hours", fmt::format("{:.1f}", r.ondemand_instance_hours));
  if (r.stopped_disk_cost_usd > 0) {
    line("stopped_disk_cost_usd", fmt::format("{:.2f}  (warm pool, included in cost_usd)", r.stopped_disk_cost_usd));
  }
  out += "Service\n";
  line("lost_requests", fmt::format("{:.0f}  ({:.5f}% of requests)", r.lost_requests, r.lost_pct));
  line("hot_minutes", fmt::format("{}  (utilization > 90%)", r.hot_minutes));
  line("mean_utilization", fmt::format("{:.1f}%", 100 * r.mean_utilization));
  line("max_instances", fmt::format("{}", r.max_instances));
  out += "Spot\n";
  line("interruptions", fmt::format("{}", r.interruptions));
  line("rebalance_recommendations", fmt::format("{}", r.rebalance_recommendations));
  line("replacements", fmt::format("{}", r.replacements));
  line("fallbacks_to_ondemand", fmt::format("{}", r.fallbacks_to_ondemand));
  out += "Activity\n";
  line("activities", fmt::format("{}", r.activities));
  line("fingerprint", r.fingerprint);
  if (r.headroom) {
    out += "Headroom (the same run without it)\n";
    line("headroom_cost_usd", fmt::format("{:.2f}  (cost without: {:.2f})", r.headroom->cost_usd,
                                          r.headroom->cost_without_usd));
    line("lost_requests_without", fmt::format("{:.0f}  ({:.5f}% of requests)", r.headroom->lost_requests_without,
                                              r.headroom->lost_pct_without));
    line("hot_minutes_without", fmt::format("{}", r.headroom->hot_minutes_without));
  }
  if (!r.deploys.empty()) {
    out += "Deploys\n";
    for (const SimDeployOutcome& d : r.deploys) {
      line("  " + d.group + " -> " + std::to_string(d.to_version),
           fmt::format("{} at {}{}{}", d.phase, d.started_at >= 0 ? DayClock(d.started_at) : std::string("-"),
                       d.ended_at >= 0 ? ", ended " + DayClock(d.ended_at) : std::string(),
                       d.result.empty() ? std::string() : ": " + d.result));
    }
  }
  if (r.faulty) {
    out += "Faults\n";
    line("faults", r.fault_spec);
    line("faults_stop", DayClock(r.faults_stop) + "  (trace time; the world must converge after it)");
    for (const auto& [kind, n] : r.faults_injected) line("  " + kind, fmt::format("{}", n));
    line("restarts", fmt::format("{}  (control-plane crashes recovered)", r.restarts));
    line("violations", fmt::format("{}", r.violations.size()));
    for (const std::string& v : r.violations) out += "    " + v + "\n";
  }
  if (!r.price_sources.empty()) {
    out += "Prices\n";
    for (const std::string& s : r.price_sources) out += "  " + s + "\n";
  }
  return out;
}

std::string FormatMinutesCsv(const SimReport& r) {
  const SimSeries& s = r.series;
  std::string out = "minute,demand_units,capacity_units,on_demand_units,lost_requests\n";
  for (std::size_t m = 0; m < s.demand_units.size(); ++m) {
    out += fmt::format("{},{:.3f},{:.3f},{:.3f},{:.1f}\n", m, s.demand_units[m], s.capacity_units[m],
                       s.on_demand_units[m], s.lost_requests[m]);
  }
  return out;
}

std::string FormatActivityLog(const SimReport& r) {
  std::string out;
  for (const Activity& a : r.activity_log) {
    out += fmt::format("{}  {:<20} {:<18} {:>4} -> {:<4} {}\n", DayClock(a.time), a.group, ToString(a.kind), a.from,
                       a.to, a.cause);
  }
  return out;
}

std::string FormatActivityLogJson(const SimReport& r) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Activity& a : r.activity_log) {
    Activity from_trace_start = a;
    from_trace_start.time -= r.trace_start;
    nlohmann::ordered_json j;
    AddActivityFields(from_trace_start, j);
    out.push_back(std::move(j));
  }
  return out.dump(2) + "\n";
}

}  // namespace shoal
