// The Traffic port on HAProxy. What HAProxy shows is compared each Poll with
// what this adapter last reported, so events are edges (UP after DOWN, ...)
// while the work it does is level-triggered: a registered server that is
// missing is re-added, one left in MAINT is readied.
#include <arpa/inet.h>

#include <charconv>
#include <chrono>
#include <mutex>
#include <optional>

#include "adapters/haproxy/haproxy.h"
#include "core/instance.h"

namespace shoal {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}


bool IsMissing(const Status& s) { return s.message().find("No such server") != std::string::npos; }
bool IsDuplicate(const Status& s) { return s.message().find("Already exists a server") != std::string::npos; }

struct Member {
  std::string group;
  std::string backend;  // proxy name
  std::string server;
  InstanceAddress address;
  bool draining = false;
  bool held = false;  // blue/green: checked, sent nothing (HAProxy's DRAIN state, not on its way out)
  bool drained_reported = false;
  bool reported_up = false;
  std::optional<ServerCounters> counters;  // as `show stat` last listed them
};

GroupInstanceEvent Event(const std::string& group, InstanceId id, InstanceEvent event) {
  GroupInstanceEvent e;
  e.group = group;
  e.observation.id = id;
  e.observation.event = event;
  return e;
}

// stot per second since the last Poll; after a counter reset (HAProxy
// restarted) or on the first Poll, HAProxy's one-second `rate`.
double RateFrom(std::int64_t last, std::int64_t now, double seconds, std::int64_t haproxy_rate) {
  if (last < 0 || now < last || seconds <= 0) return static_cast<double>(haproxy_rate);
  return static_cast<double>(now - last) / seconds;
}

}  // namespace

Status CheckServerAddress(const InstanceAddress& address) {
  in_addr parsed{};
  if (address.host.empty() || inet_pton(AF_INET, address.host.c_str(), &parsed) != 1) {
    return Status::InvalidArgument("address '" + address.host + "' is not an IPv4 address (HAProxy servers are registered by IPv4 literal)");
  }
  if (address.port <= 0 || address.port > 65535) {
    return Status::InvalidArgument("port " + std::to_string(address.port) + " is not in 1..65535");
  }
  return Status::Ok();
}

std::optional<InstanceAddress> ParseServerAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  InstanceAddress a;
  a.host = std::string(text.substr(0, colon));
  const std::string_view port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (ec != std::errc() || end != port.data() + port.size() || !CheckServerAddress(a).ok()) return std::nullopt;
  return a;
}

struct HaproxyTraffic::Impl {
  HaproxyRuntime* runtime;
  std::map<std::string, HaproxyBackend> backend_of_group;

  mutable std::mutex mu;
  std::map<InstanceId, Member> members;
  std::vector<GroupInstanceEvent> pending;  // facts known without HAProxy (draining an absent server)
  std::map<std::string, double> group_rate;
  std::map<std::string, std::int64_t> group_stot;
  std::optional<SteadyClock::time_point> last_poll;
  Status last_status;

  const HaproxyBackend* Config(const std::string& group) const {
    const auto it = backend_of_group.find(group);
    return it == backend_of_group.end() ? nullptr : &it->second;
  }

  // Registers `id` serving or held. One already known (adopted after a
  // restart: HAProxy may show it DRAIN, held or made serving in the state
  // before HAProxy was told) is set to what is asked; a new one is added.
  // Only live instances are registered; leaving ones are drained.
  Status Join(const std::string& group, InstanceId id, const InstanceAddress& address, bool held) {
    std::lock_guard lock(mu);
    const HaproxyBackend* cfg = Config(group);
    if (cfg == nullptr) return Status::NotFound("no HAProxy backend for group " + group);
    if (auto it = members.find(id); it != members.end()) {
      Member& known = it->second;
      if (known.held == held && !known.draining) return Status::Ok();
      SHOAL_RETURN_IF_ERROR(runtime->SetState(known.backend, known.server, held ? "drain" : "ready"));
      known.held = held;
      known.draining = false;
      known.drained_reported = false;
      return Status::Ok();
    }
    Member m;
    m.group = group;
    m.backend = BackendProxyName(cfg->name);
    m.server = id.str();
    m.address = address;
    m.held = held;
    SHOAL_RETURN_IF_ERROR(AddAndReady(m));
    members[id] = m;
    return Status::Ok();
  }

  // Adds the server and lets it take traffic: after `rise` checks for a new
  // one, at once for one that was serving before HAProxy lost it.
  Status AddAndReady(Member& m) {
    const HaproxyBackend* cfg = Config(m.group);
    Status added = runtime->AddServer(m.backend, m.server, m.address.host, m.address.port, *cfg);
    if (!added.ok() && !IsDuplicate(added)) return added;
    if (m.draining) return runtime->SetState(m.backend, m.server, "drain");
    // A server HAProxy already has (the daemon restarted, HAProxy did not)
    // keeps its health: forcing it down would refuse requests it serves.
    const bool existed = IsDuplicate(added);
    if (m.held) return runtime->Hold(m.backend, m.server, /*wait_for_checks=*/!m.reported_up && !existed);
    return runtime->Ready(m.backend, m.server, /*wait_for_checks=*/!m.reported_up && !existed);
  }

  using StatIndex = std::map<std::pair<std::string, std::string>, const ServerStat*>;

  Status RestoreMissing(const StatIndex& index) {
    Status first_error;
    for (auto& [id, m] : members) {
      if (index.count({m.backend, m.server}) != 0) continue;
      Status s = AddAndReady(m);
      if (!s.ok() && first_error.ok()) first_error = s;
    }
    return first_error;
  }

  // Servers named like instances in our backends that this adapter does not
  // know (the daemon restarted while HAProxy kept them) are tracked again,
  // at the address HAProxy has for them. The BACKEND and FRONTEND rows are
  // named like ids too, but have no address.
  void Adopt(const std::vector<ServerStat>& stats) {
    std::map<std::string, std::string> group_of_backend;
    for (const auto& [group, cfg] : backend_of_group) group_of_backend[BackendProxyName(cfg.name)] = group;
    for (const ServerStat& s : stats) {
      const auto group = group_of_backend.find(s.backend);
      const auto id = InstanceId::Parse(s.server);
      const std::optional<InstanceAddress> address = ParseServerAddress(s.address);
      if (group == group_of_backend.end() || !id || !address || members.count(*id) != 0) continue;
      Member m;
      m.group = group->second;
      m.backend = s.backend;
      m.server = s.server;
      m.address = *address;
      m.draining = s.status == "DRAIN";
      members[*id] = m;
    }
  }

  void Observe(InstanceId id, Member& m, const ServerStat& s, std::vector<GroupInstanceEvent>& out) {
    m.counters = ServerCounters{s.http_responses, s.http_responses_5xx, s.response_time_ms};
    if (m.held) {
      // Held: HAProxy shows DRAIN while its checks pass, DOWN otherwise.
      if (StartsWith(s.status, "MAINT")) {
        Status hold = runtime->Hold(m.backend, m.server, !m.reported_up);
        if (!hold.ok()) last_status = hold;
      } else if ((StartsWith(s.status, "DRAIN") || StartsWith(s.status, "UP")) && !m.reported_up) {
        out.push_back(Event(m.group, id, InstanceEvent::kHealthy));
        m.reported_up = true;
      } else if (StartsWith(s.status, "DOWN") && m.reported_up) {
        out.push_back(Event(m.group, id, InstanceEvent::kUnhealthy));
        m.reported_up = false;
      }
      return;
    }
    if (m.draining) {
      // Health no longer matters to an instance on its way out.
      if (!m.drained_reported && s.current_sessions == 0) {
        out.push_back(Event(m.group, id, InstanceEvent::kDrained));
        m.drained_reported = true;
      }
      return;
    }
    if (StartsWith(s.status, "MAINT")) {
      // Left half-registered (Register failed after add): finish it.
      Status ready = runtime->Ready(m.backend, m.server, !m.reported_up);
      if (!ready.ok()) last_status = ready;
    } else if (StartsWith(s.status, "UP") && !m.reported_up) {
      out.push_back(Event(m.group, id, InstanceEvent::kHealthy));
      m.reported_up = true;
    } else if (StartsWith(s.status, "DOWN") && m.reported_up) {
      out.push_back(Event(m.group, id, InstanceEvent::kUnhealthy));
      m.reported_up = false;
    }
  }

  void ObserveBackends(const std::vector<ServerStat>& stats, double seconds) {
    for (const auto& [group, cfg] : backend_of_group) {
      for (const ServerStat& s : stats) {
        if (s.backend != BackendProxyName(cfg.name) || s.server != "BACKEND") continue;
        const auto last = group_stot.find(group);
        group_rate[group] = RateFrom(last == group_stot.end() ? -1 : last->second, s.total_sessions, seconds,
                                     s.request_rate);
        group_stot[group] = s.total_sessions;
      }
    }
  }

  std::vector<GroupInstanceEvent> PollLocked() {
    std::vector<GroupInstanceEvent> out;
    out.swap(pending);
    auto stats = runtime->ShowStat();
    if (!stats.ok()) {
      last_status = stats.status();
      // An unreachable HAProxy serves nothing; its last rate must not be
      // reported on for as long as it is down.
      group_rate.clear();
      return out;
    }
    last_status = Status::Ok();
    const auto now = SteadyClock::now();
    const double seconds = last_poll ? std::chrono::duration<double>(now - *last_poll).count() : 0;
    last_poll = now;
    Adopt(*stats);
    StatIndex index;
    for (const ServerStat& s : *stats) index[{s.backend, s.server}] = &s;
    for (auto& [id, m] : members) {
      const auto it = index.find({m.backend, m.server});
      if (it != index.end()) Observe(id, m, *it->second, out);
    }
    ObserveBackends(*stats, seconds);
    Status restored = RestoreMissing(index);
    if (!restored.ok()) last_status = restored;
    return out;
  }
};

HaproxyTraffic::HaproxyTraffic(HaproxyRuntime* runtime, std::map<std::string, HaproxyBackend> backend_of_group)
    : impl_(std::make_shared<Impl>()) {
  impl_->runtime = runtime;
  impl_->backend_of_group = std::move(backend_of_group);
}

void HaproxyTraffic::SetBackends(std::map<std::string, HaproxyBackend> backend_of_group) {
  std::lock_guard lock(impl_->mu);
  impl_->backend_of_group = std::move(backend_of_group);
}

Status HaproxyTraffic::Register(const std::string& group, InstanceId id, const InstanceAddress& address) {
  SHOAL_RETURN_IF_ERROR(CheckServerAddress(address).WithContext("registering " + id.str()));
  return impl_->Join(group, id, address, /*held=*/false);
}

Status HaproxyTraffic::RegisterHeld(const std::string& group, InstanceId id, const InstanceAddress& address) {
  SHOAL_RETURN_IF_ERROR(CheckServerAddress(address).WithContext("registering " + id.str() + " held"));
  return impl_->Join(group, id, address, /*held=*/true);
}

Status HaproxyTraffic::SetServing(const std::string& group, InstanceId id, bool serving) {
  std::lock_guard lock(impl_->mu);
  const HaproxyBackend* cfg = impl_->Config(group);
  if (cfg == nullptr) return Status::NotFound("no HAProxy backend for group " + group);
  auto it = impl_->members.find(id);
  if (it == impl_->members.end()) {
    return Status::Unavailable("instance " + id.str() + " is not registered with HAProxy (yet)");
  }
  Member& m = it->second;
  if (m.draining) return Status::Ok();  // on its way out: it stays drained
  // ready from DRAIN keeps the server's health: an UP server serves at once.
  SHOAL_RETURN_IF_ERROR(impl_->runtime->SetState(m.backend, m.server, serving ? "ready" : "drain"));
  m.held = !serving;
  return Status::Ok();
}

Status HaproxyTraffic::Drain(const std::string& group, InstanceId id) {
  std::lock_guard lock(impl_->mu);
  const HaproxyBackend* cfg = impl_->Config(group);
  if (cfg == nullptr) return Status::NotFound("no HAProxy backend for group " + group);
  auto it = impl_->members.find(id);
  if (it != impl_->members.end() && it->second.draining) return Status::Ok();
  const std::string backend = BackendProxyName(cfg->name);
  Status s = impl_->runtime->SetState(backend, id.str(), "drain");
  if (IsMissing(s)) {
    // Never added (or already gone): nothing can be in flight.
    impl_->members.erase(id);
    impl_->pending.push_back(Event(group, id, InstanceEvent::kDrained));
    return Status::Ok();
  }
  SHOAL_RETURN_IF_ERROR(s);
  Member& m = impl_->members[id];
  m.group = group;
  m.backend = backend;
  m.server = id.str();
  m.draining = true;
  m.held = false;
  m.drained_reported = false;
  return Status::Ok();
}

Status HaproxyTraffic::Deregister(const std::string& group, InstanceId id) {
  std::lock_guard lock(impl_->mu);
  const HaproxyBackend* cfg = impl_->Config(group);
  if (cfg == nullptr) return Status::NotFound("no HAProxy backend for group " + group);
  SHOAL_RETURN_IF_ERROR(impl_->runtime->DeleteServer(BackendProxyName(cfg->name), id.str()));
  impl_->members.erase(id);
  return Status::Ok();
}

std::vector<GroupInstanceEvent> HaproxyTraffic::Poll() {
  std::lock_guard lock(impl_->mu);
  return impl_->PollLocked();
}

Status HaproxyTraffic::Restore() {
  std::lock_guard lock(impl_->mu);
  auto stats = impl_->runtime->ShowStat();
  if (!stats.ok()) return stats.status();
  Impl::StatIndex index;
  for (const ServerStat& s : *stats) index[{s.backend, s.server}] = &s;
  return impl_->RestoreMissing(index);
}

std::vector<HaproxyServer> HaproxyTraffic::Servers() const {
  std::lock_guard lock(impl_->mu);
  std::vector<HaproxyServer> out;
  for (const auto& [id, m] : impl_->members) {
    out.push_back({m.backend, m.server, m.address.host, m.address.port,
                   /*disabled=*/m.draining || m.held || !m.reported_up});
  }
  return out;
}

Status HaproxyTraffic::LastPollStatus() const {
  std::lock_guard lock(impl_->mu);
  return impl_->last_status;
}

std::map<InstanceId, ServerCounters> HaproxyTraffic::Counters() const {
  std::lock_guard lock(impl_->mu);
  std::map<InstanceId, ServerCounters> out;
  for (const auto& [id, m] : impl_->members) {
    if (m.counters) out[id] = *m.counters;
  }
  return out;
}

double HaproxyTraffic::BackendRequestRate(const std::string& group) const {
  std::lock_guard lock(impl_->mu);
  const auto it = impl_->group_rate.find(group);
  return it == impl_->group_rate.end() ? 0 : it->second;
}

}  // namespace shoal
