// The daemon's API operations: reads render the snapshot the loop thread
// published (no lock the loop holds), writes run on the loop thread
// (RunOnLoop). Every error names what is wrong.
#include <limits>

#include <nlohmann/json.hpp>

#include "adapters/inventory/inventory_render.h"
#include "adapters/json/activity_json.h"
#include "api/api_requests.h"
#include "api/daemon_impl.h"
#include "core/syslog_line.h"

namespace shoal {
namespace {

using nlohmann::ordered_json;

ordered_json InstanceJson(const GroupSpec& spec, const Instance& in) {
  ordered_json j;
  j["id"] = in.id.str();
  j["group"] = spec.name;
  j["state"] = std::string(ToString(in.state));
  j["market"] = std::string(ToString(in.market));
  j["pool"] = in.pool >= 0 ? spec.capacity.spot_pools[in.pool].name : "on-demand/" + spec.capacity.on_demand_type;
  j["address"] = in.address.ToString();
  j["port"] = in.address.port;
  j["version"] = in.version;
  j["held"] = in.held;  // blue/green: registered and checked, sent no requests
  j["launched_at"] = in.launched_at;
  j["in_service_at"] = in.in_service_at;
  if (in.notice_deadline != kNever) j["notice_deadline"] = in.notice_deadline;
  if (in.at_risk()) j["rebalance_recommended_at"] = in.rebalance_recommended_at;
  return j;
}

ordered_json TrafficJson(const ReleaseTraffic& t) {
  ordered_json j;
  j["version"] = t.version;
  j["requests"] = t.requests;
  j["errors"] = t.errors;
  j["error_percent"] = t.requests > 0 ? 100.0 * t.errors / t.requests : 0.0;
  j["mean_response_ms"] = t.requests > 0 ? t.response_ms_sum / t.requests : 0.0;
  return j;
}

ordered_json DeployJson(const DeployState& d) {
  ordered_json j;
  j["id"] = d.id;
  j["phase"] = std::string(ToString(d.phase));
  j["from_version"] = d.from_version;
  j["to_version"] = d.request.to_version;
  j["ref"] = d.request.ref;
  j["instance"] = d.request.only.empty() ? ordered_json() : ordered_json(d.request.only.str());
  j["cause"] = d.request.cause;
  j["strategy"] = std::string(ToString(d.request.settings.strategy));
  j["keep_old"] = d.request.settings.keep_old;
  j["batch"] = FormatBatch(d.request.settings);
  j["batches"] = d.batches;
  j["batch_open"] = d.batch_open;
  j["replaced"] = d.replaced;
  j["started_at"] = d.started_at;
  j["phase_since"] = d.phase_since;
  j["ended_at"] = d.ended_at;
  j["analysing_until"] = d.analysis_until;
  j["new_release"] = TrafficJson(d.new_traffic);
  j["old_releases"] = TrafficJson(d.old_traffic);
  j["result"] = d.result;
  return j;
}

ordered_json GroupSummary(const GroupSpec& spec, const GroupState& state) {
  int serving = 0, starting = 0, leaving = 0, spot = 0, on_demand = 0;
  for (const Instance& in : state.instances) {
    if (in.state == InstanceState::kInService) ++serving;
    if (in.state == InstanceState::kPending || in.state == InstanceState::kProvisioning ||
        in.state == InstanceState::kStarting) {
      ++starting;
    }
    if (!CountsTowardCapacity(in.state)) ++leaving;
    if (CountsTowardCapacity(in.state)) (in.market == Market::kSpot ? spot : on_demand) += 1;
  }
  ordered_json j;
  j["name"] = spec.name;
  j["service"] = spec.service;
  j["min"] = spec.min;
  j["max"] = spec.max;
  j["desired"] = state.desired;
  j["in_service"] = serving;
  j["starting"] = starting;
  j["leaving"] = leaving;
  j["spot"] = spot;
  j["on_demand"] = on_demand;
  j["launching"] = state.launches.size();  // asked of the cloud, instance not known yet
  j["listen_port"] = spec.listen_port;
  ordered_json conditions = ordered_json::array();
  for (const Condition& c : state.conditions) {
    conditions.push_back({{"type", c.type},
                          {"code", std::string(ToString(c.code))},
                          {"message", c.message},
                          {"since", c.since},
                          {"last_seen", c.last_seen},
                          {"count", c.count}});
  }
  j["conditions"] = conditions;
  j["release"] = BootRelease(spec, state);
  // Serving only; held instances (blue/green) are listed apart.
  std::map<int, int> versions;
  std::map<int, int> held;
  for (const Instance& in : state.instances) {
    if (in.state == InstanceState::kInService) ++(in.held ? held : versions)[in.version];
  }
  ordered_json by_version = ordered_json::object();
  for (const auto& [v, n] : versions) by_version[std::to_string(v)] = n;
  j["in_service_by_version"] = by_version;
  ordered_json held_by_version = ordered_json::object();
  for (const auto& [v, n] : held) held_by_version[std::to_string(v)] = n;
  j["held_by_version"] = held_by_version;
  j["deploy"] = state.deploy ? DeployJson(*state.deploy) : ordered_json();
  return j;
}

// A row the store could not read in full shows its seq and why, so the list
// stays whole and the damage is visible.
ordered_json ActivityJson(const StoredActivity& s) {
  ordered_json j;
  j["seq"] = s.seq;
  if (!s.unreadable.empty()) {
    j["unreadable"] = s.unreadable;
    return j;
  }
  AddActivityFields(s.activity, j);
  return j;
}

// JSON out of text that came from files or hand edits: bytes that are not
// UTF-8 become U+FFFD instead of an exception.
std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }


}  // namespace

std::string Daemon::GroupsJson() {
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  ordered_json out = ordered_json::array();
  for (std::size_t g = 0; g < snap->config.groups.size(); ++g) {
    out.push_back(GroupSummary(snap->config.groups[g], snap->states[g]));
  }
  return Dump(out);
}

Result<std::string> Daemon::GroupJson(const std::string& name) {
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  const int g = snap->FindGroup(name);
  if (g < 0) return Status::NotFound("no group named '" + name + "'; `shoal get groups` lists them");
  const GroupSpec& spec = snap->config.groups[g];
  const GroupState& state = snap->states[g];
  ordered_json j = GroupSummary(spec, state);
  ordered_json alarms = ordered_json::array();
  for (std::size_t a = 0; a < spec.alarms.size(); ++a) {
    alarms.push_back({{"name", spec.alarms[a].name}, {"state", std::string(ToString(state.alarm_states[a]))}});
  }
  j["alarms"] = alarms;
  ordered_json policies = ordered_json::array();
  for (const PolicySpec& p : spec.policies) {
    policies.push_back({{"name", p.name}, {"type", std::string(ToString(p.type))}});
  }
  j["policies"] = policies;
  ordered_json instances = ordered_json::array();
  for (const Instance& in : state.instances) instances.push_back(InstanceJson(spec, in));
  j["instances"] = instances;
  j["simple_cooldown_until"] = state.simple_cooldown_until;
  return Dump(j);
}

std::string Daemon::InstancesJson(const std::string& group) {
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  ordered_json out = ordered_json::array();
  for (std::size_t g = 0; g < snap->config.groups.size(); ++g) {
    const GroupSpec& spec = snap->config.groups[g];
    if (!group.empty() && spec.name != group) continue;
    for (const Instance& in : snap->states[g].instances) out.push_back(InstanceJson(spec, in));
  }
  return Dump(out);
}

Result<std::string> Daemon::ActivitiesJson(const ActivitiesQuery& q) {
  Result<std::vector<StoredActivity>> list =
      q.after ? impl_->store->ListActivities(q.group, *q.after, q.limit)
              : impl_->store->ListLatestActivities(q.group, q.before.value_or(std::numeric_limits<std::int64_t>::max()),
                                                   q.since.value_or(std::numeric_limits<std::int64_t>::min()), q.limit);
  if (!list.ok()) return list.status();
  ordered_json out = ordered_json::array();
  for (const StoredActivity& s : *list) out.push_back(ActivityJson(s));
  return Dump(out);
}

Result<std::string> Daemon::GroupHistoryJson(const std::string& name, int minutes) {
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  const int g = snap->FindGroup(name);
  if (g < 0) return Status::NotFound("no group named '" + name + "'; `shoal get groups` lists them");
  const Seconds now = impl_->clock.Now();
  const std::vector<HistoryPoint> points = impl_->history.Read(name, MinuteOf(now), minutes);
  return HistoryJson(snap->config.groups[g], snap->states[g], points, now, minutes);
}

Result<std::string> Daemon::Scale(const std::string& group, int desired) {
  Impl& d = *impl_;
  return d.RunOnLoop([&d, group, desired]() -> Result<std::string> {
    SHOAL_RETURN_IF_ERROR(
        d.reconciler->SetDesired(group, desired, "operator: shoal scale --desired " + std::to_string(desired)));
    const int g = d.reconciler->FindGroup(group);
    return Dump(GroupSummary(d.config.groups[g], d.reconciler->state(g)));
  });
}

Result<std::string> Daemon::Deploy(const std::string& group, const DeployApiRequest& r) {
  Impl& d = *impl_;
  return d.RunOnLoop([&d, group, r]() -> Result<std::string> {
    const int g = d.reconciler->FindGroup(group);
    if (g < 0) return Status::NotFound("no group named '" + group + "'");
    const GroupSpec& spec = d.config.groups[g];
    DeployRequest request;
    request.ref = r.release;
    request.settings = spec.deploy;
    if (r.batch) SHOAL_RETURN_IF_ERROR(ParseBatch(*r.batch, &request.settings));
    if (r.min_healthy) {
      SHOAL_RETURN_IF_ERROR(ParsePercent("min_healthy", *r.min_healthy, &request.settings.min_healthy_percent));
    }
    if (r.analysis_seconds) request.settings.analysis = *r.analysis_seconds;
    if (r.strategy) request.settings.strategy = *r.strategy;
    if (r.keep_old_seconds) request.settings.keep_old = *r.keep_old_seconds;
    SHOAL_RETURN_IF_ERROR(ValidateDeploySettings(request.settings));
    if (request.settings.strategy == DeployStrategy::kBlueGreen && !d.provider->traffic()->CanHold()) {
      return Status::InvalidArgument(
          "group " + group + ": a blue/green deploy needs a load balancer that can hold an instance registered "
          "and health-checked without traffic; this provider's cannot (an ELBv2 target group sends requests to "
          "every healthy target): use --strategy rolling");
    }
    if (!r.instance.empty()) {
      const auto id = InstanceId::Parse(r.instance);
      if (!id) return Status::InvalidArgument("'" + r.instance + "' is not an instance id (`shoal get instances` lists them)");
      request.only = *id;
    }
    Result<int> version = d.provider->ResolveRelease(spec.service, r.release);
    if (!version.ok()) return version.status().WithContext("deploying " + r.release + " to group " + group);
    request.to_version = *version;
    request.cause = "operator: shoal deploy --release " + r.release +
                    (r.instance.empty() ? "" : " --instance " + r.instance) +
                    (request.settings.strategy == DeployStrategy::kBlueGreen ? " --strategy blue-green" : "");
    SHOAL_RETURN_IF_ERROR(d.reconciler->StartDeploy(group, std::move(request)));
    return Dump(GroupSummary(spec, d.reconciler->state(g)));
  });
}

Result<std::string> Daemon::Revert(const std::string& group) {
  Impl& d = *impl_;
  return d.RunOnLoop([&d, group]() -> Result<std::string> {
    const int g = d.reconciler->FindGroup(group);
    if (g < 0) return Status::NotFound("no group named '" + group + "'");
    SHOAL_RETURN_IF_ERROR(d.reconciler->Revert(group, d.config.groups[g].deploy));
    return Dump(GroupSummary(d.config.groups[g], d.reconciler->state(g)));
  });
}

Result<std::string> Daemon::InterruptInstance(const std::string& instance) {
  const auto id = InstanceId::Parse(instance);
  if (!id) return Status::InvalidArgument("'" + instance + "' is not an instance id (like i-000000000000002a; `shoal get instances` lists them)");
  // On the loop thread: the provider is the loop's.
  return impl_->RunOnLoop([d = impl_.get(), id = *id]() -> Result<std::string> {
    Result<DrillNotice> n = d->provider->Interrupt(id, d->clock.Now());
    if (!n.ok()) return n.status();
    return ordered_json{{"instance", n->id.str()}, {"issued", n->issued}, {"terminate_at", n->terminate_at}}.dump();
  });
}

Result<std::string> Daemon::InterruptPool(const std::string& pool) {
  return impl_->RunOnLoop([d = impl_.get(), pool]() -> Result<std::string> {
    Result<std::vector<DrillNotice>> notices = d->provider->InterruptPool(pool, d->clock.Now());
    if (!notices.ok()) return notices.status();
    ordered_json out = ordered_json::array();
    for (const DrillNotice& n : *notices) {
      out.push_back({{"instance", n.id.str()}, {"issued", n.issued}, {"terminate_at", n.terminate_at}});
    }
    return out.dump();
  });
}

Result<std::string> Daemon::Shortage(const std::string& pool, std::int64_t seconds) {
  if (seconds < 1 || seconds > 7 * 86400) {
    return Status::InvalidArgument("a shortage lasts between 1 second and 7 days, got " + std::to_string(seconds));
  }
  bool known = false;
  for (const GroupSpec& g : impl_->Snapshot()->config.groups) {
    for (const PoolSpec& p : g.capacity.spot_pools) known = known || p.name == pool;
  }
  if (!known) return Status::NotFound("no spot pool '" + pool + "' in the config; pools are named type/zone");
  const std::int64_t until = impl_->clock.Now() + seconds;
  return impl_->RunOnLoop([d = impl_.get(), pool, until]() -> Result<std::string> {
    SHOAL_RETURN_IF_ERROR(d->provider->SetShortage(pool, until));
    return ordered_json{{"pool", pool}, {"until", until}}.dump();
  });
}

Result<std::string> Daemon::AgentEvent(const std::string& instance, const std::string& event) {
  const auto id = InstanceId::Parse(instance);
  if (!id) return Status::InvalidArgument("'" + instance + "' is not an instance id");
  const Result<InstanceEvent> kind = AgentEventKind(event);
  if (!kind.ok()) return kind.status();
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  for (std::size_t g = 0; g < snap->config.groups.size(); ++g) {
    for (const Instance& in : snap->states[g].instances) {
      if (in.id != *id) continue;
      // Both reach the group's decision on the next tick: a notice drains and
      // replaces the instance; a recommendation has it replaced launch-first.
      GroupInstanceEvent e;
      e.group = snap->config.groups[g].name;
      const Seconds deadline =
          *kind == InstanceEvent::kNotice ? impl_->clock.Now() + impl_->options.notice_seconds : kNever;
      e.observation = {*id, *kind, deadline, ""};
      {
        std::lock_guard<std::mutex> lock(impl_->mu);
        impl_->agent_events.push_back(e);
      }
      impl_->wake.notify_all();
      return ordered_json{{"accepted", true}}.dump();
    }
  }
  return Status::NotFound("no instance " + instance);
}

std::string Daemon::InventoryJson() {
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  return RenderAnsibleList(InventoryHosts(snap->config.groups, snap->states));
}

}  // namespace shoal

namespace shoal {

Result<std::string> Daemon::LogsJson(const LogQuery& query) {
  Result<LogPage> page = impl_->logs->store()->Search(query);
  if (!page.ok()) return page.status();
  ordered_json lines = ordered_json::array();
  for (const StoredLog& l : page->lines) {
    const LogRecord& r = l.record;
    lines.push_back(ordered_json{{"seq", l.seq},
                                 {"time", FormatRfc3339Micros(r.time_us)},
                                 {"group", r.group},
                                 {"instance", r.instance},
                                 {"pool", r.pool},
                                 {"release", r.release},
                                 {"stream", r.stream},
                                 {"offset", r.offset},
                                 {"text", r.text},
                                 {"syslog", FormatSyslog(SyslogOf(r))}});
  }
  return ordered_json{{"lines", std::move(lines)}, {"cursor", page->cursor}}.dump(
      -1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace shoal
