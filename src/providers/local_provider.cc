#include "providers/local_provider.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "adapters/data/prices.h"
#include "adapters/system/system_clock.h"

namespace shoal {
namespace {

Status MakeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create '" + dir + "': " + ec.message());
  return Status::Ok();
}

std::vector<HaproxyBackend> Backends(const Config& config) {
  std::vector<HaproxyBackend> out;
  std::set<std::string> seen;
  for (const GroupSpec& g : config.groups) {
    if (!seen.insert(g.service).second) continue;
    HaproxyBackend b;
    b.name = g.service;
    b.listen_port = g.listen_port;
    b.health_path = g.health_check.path;
    b.check_interval_ms = static_cast<int>(g.health_check.interval * 1000);
    b.rise = g.health_check.rise;
    b.fall = g.health_check.fall;
    out.push_back(b);
  }
  return out;
}

std::map<std::string, HaproxyBackend> BackendOfGroup(const Config& config, const std::vector<HaproxyBackend>& backends) {
  std::map<std::string, HaproxyBackend> out;
  for (const GroupSpec& g : config.groups) {
    for (const HaproxyBackend& b : backends) {
      if (b.name == g.service) out[g.name] = b;
    }
  }
  return out;
}

std::map<std::string, GroupSpec> GroupsByName(const Config& config) {
  std::map<std::string, GroupSpec> groups;
  for (const GroupSpec& g : config.groups) groups[g.name] = g;
  return groups;
}

// The spot price feed: real (or Advisor-derived) paths for the pools the
// config names, from the bundled tables; a flat price when they cannot price them.
std::unique_ptr<SpotMarket> BuildPrices(const ProviderContext& c, const Config& config,
                                        std::vector<std::string>* names) {
  std::vector<MarketPool> pools;
  std::set<std::string> seen;
  for (const GroupSpec& g : config.groups) {
    for (const PoolSpec& p : g.capacity.spot_pools) {
      if (!seen.insert(p.name).second) continue;
      pools.push_back({p.instance_type, p.zone});
      names->push_back(p.name);
    }
  }
  if (pools.empty() || c.spot_prices_csv.empty()) return nullptr;
  Result<PriceTables> tables = LoadPriceTables(c.spot_prices_csv, c.on_demand_csv, c.advisor_csv);
  if (!tables.ok()) {
    LogWarn(c.log, "spot_prices_unavailable").With("reason", tables.status().message()).With("price", "flat");
    return nullptr;
  }
  SpotMarketOptions mo;
  mo.interruption_rate_scale = 0;  // live interruptions come from operators and prices, not from dice
  Result<SpotMarket> market = SpotMarket::Build(*tables, pools, mo);
  if (!market.ok()) {
    LogWarn(c.log, "spot_prices_unavailable").With("reason", market.status().message()).With("price", "flat");
    return nullptr;
  }
  return std::make_unique<SpotMarket>(std::move(*market));
}

DrillNotice FromLocal(const LocalNotice& n) { return {n.id, n.issued, n.terminate_at}; }

}  // namespace

Status LocalProvider::Prepare(Config* config, const std::string& config_path, int api_port) {
  for (const GroupSpec& g : config->groups) {
    if (g.launch.command.empty()) {
      return Status::InvalidArgument(config->source + ": group '" + g.name +
                                     "' has no launch.command; `shoal serve` needs one (see docs/CONFIG.md)");
    }
    if (g.listen_port == 0) {
      return Status::InvalidArgument(config->source + ": group '" + g.name +
                                     "' has no listen_port; `shoal serve` puts its service behind HAProxy there");
    }
    if (g.listen_port == api_port) {
      return Status::InvalidArgument(config->source + ": group '" + g.name + "' has listen_port " +
                                     std::to_string(g.listen_port) +
                                     ", the port of the daemon's API (--api); give the service another port");
    }
  }
  // Launch commands may name programs relative to the config file (like a
  // compose file); instances run in their own directories, so make them absolute.
  const std::filesystem::path base = std::filesystem::absolute(config_path).parent_path();
  auto resolve = [&](std::vector<std::string>& argv) {
    if (argv.empty() || argv[0].find('/') == std::string::npos || argv[0][0] == '/') return;
    argv[0] = std::filesystem::weakly_canonical(base / argv[0]).string();
  };
  for (GroupSpec& g : config->groups) {
    resolve(g.launch.command);
    for (auto& step : g.launch.provision) resolve(step);
  }
  return Status::Ok();
}

LocalProvider::LocalProvider(const Config& config, ProviderContext context)
    : config_(config), context_(std::move(context)) {}

LocalProvider::~LocalProvider() = default;

Result<std::unique_ptr<LocalProvider>> LocalProvider::Start(const Config& config, ProviderContext context) {
  std::unique_ptr<LocalProvider> p(new LocalProvider(config, std::move(context)));
  const ProviderContext& c = p->context_;
  std::vector<std::string> pool_names;
  p->prices_ = BuildPrices(c, config, &pool_names);
  p->market_ = std::make_unique<LocalSpotMarket>(p->prices_.get(), pool_names, 0.03, c.notice_seconds);
  p->imds_ = std::make_unique<ImdsServer>();

  LocalCloudOptions lo;
  lo.data_dir = c.data_dir;
  lo.agent_binary = c.shoal_binary;
  lo.agent_report_url = c.api_url;
  lo.agent_credential = c.agent_credential;
  lo.log = c.log;
  lo.cores = c.cores;
  p->releases_ = std::make_unique<ReleaseResolver>(c.data_dir, config.releases);
  lo.resolve_release = [resolver = p->releases_.get()](const std::string& service, const std::string& ref) {
    return resolver->Resolve(service, ref);
  };
  p->cloud_ = std::make_unique<LocalCloud>(lo, c.clock, GroupsByName(config), p->market_.get(), p->imds_.get());

  HaproxyOptions ho;
  ho.run_dir = c.data_dir + "/haproxy";
  SHOAL_RETURN_IF_ERROR(MakeDir(ho.run_dir));
  ho.backends = Backends(config);
  p->haproxy_options_ = ho;
  p->haproxy_ = std::make_unique<HaproxyProcess>(ho);
  SHOAL_RETURN_IF_ERROR(p->haproxy_->Start());
  p->runtime_ = std::make_unique<HaproxyRuntime>(p->haproxy_->socket_path());
  p->traffic_ = std::make_unique<HaproxyTraffic>(p->runtime_.get(), BackendOfGroup(config, ho.backends));
  return p;
}

std::string LocalProvider::Started() {
  // Leftovers of instances that exited while no daemon ran (their agent).
  if (const int n = cloud_->StopStragglers(); n > 0) {
    LogInfo(context_.log, "stragglers_killed").With("instances", n);
  }
  return "provider=local cpu_enforcement=\"" + cloud_->cpu_enforcement() +
         "\" instance_cores=" + std::to_string(cloud_->cores());
}

void LocalProvider::BeforeTick(Seconds now, const std::vector<const GroupState*>& states) {
  SampleMetrics(now, states);
  WatchLoadBalancer(now, states);
}

Status LocalProvider::Reconfigure(const Config& next) {
  // A new or changed service needs HAProxy's frontends rewritten: the
  // process is replaced softly and the new one starts with the servers of
  // the old one, in their states. If it cannot start, the old one serves on
  // untouched and nothing of the apply is kept.
  const std::vector<HaproxyBackend> backends = Backends(next);
  HaproxyOptions ho = haproxy_options_;
  ho.backends = backends;
  if (HaproxyProcess::RenderConfig(ho) != HaproxyProcess::RenderConfig(haproxy_options_)) {
    auto replacement = std::make_unique<HaproxyProcess>(ho);
    const Status started = replacement->Start(traffic_->Servers());
    if (!started.ok()) return started.WithContext("HAProxy cannot serve the new services");
    haproxy_ = std::move(replacement);
    haproxy_options_ = ho;
  }
  traffic_->SetBackends(BackendOfGroup(next, backends));
  cloud_->SetGroups(GroupsByName(next));
  releases_->SetSpec(next.releases);
  config_ = next;
  return Status::Ok();
}

Result<int> LocalProvider::ResolveRelease(const std::string& service, const std::string& ref) {
  Result<ReleaseToBoot> r = releases_->Resolve(service, ref);
  if (!r.ok()) return r.status();
  return r->version;
}

Result<DrillNotice> LocalProvider::Interrupt(InstanceId id, Seconds now) {
  Result<LocalNotice> n = market_->Interrupt(id, now);
  if (!n.ok()) return n.status();
  return FromLocal(*n);
}

Result<std::vector<DrillNotice>> LocalProvider::InterruptPool(const std::string& pool, Seconds now) {
  Result<std::vector<LocalNotice>> notices = market_->InterruptPool(pool, now);
  if (!notices.ok()) return notices.status();
  std::vector<DrillNotice> out;
  for (const LocalNotice& n : *notices) out.push_back(FromLocal(n));
  return out;
}

Status LocalProvider::SetShortage(const std::string& pool, Seconds until) {
  market_->SetShortage(pool, until);
  return Status::Ok();
}

void LocalProvider::SampleMetrics(Seconds now, const std::vector<const GroupState*>& states) {
  const Seconds seconds = last_sample_ == 0 ? 1 : std::max<Seconds>(1, now - last_sample_);
  last_sample_ = now;
  std::map<InstanceId, double> cpu;
  for (const CpuSample& s : cloud_->SampleCpu()) cpu[s.id] = s.percent;
  const std::map<InstanceId, ServerCounters> counters = traffic_->Counters();
  for (std::size_t g = 0; g < config_.groups.size() && g < states.size(); ++g) {
    std::vector<double> serving_cpu;
    double units = 0;
    // Every instance HAProxy counts for, in service or not: a draining one
    // still answers its in-flight requests for its release.
    std::vector<InstanceCounters> answered;
    for (const Instance& in : states[g]->instances) {
      if (auto c = counters.find(in.id); c != counters.end()) {
        answered.push_back({in.id, in.version, c->second.responses, c->second.errors,
                            static_cast<double>(c->second.response_time_ms)});
      }
      if (in.state != InstanceState::kInService) continue;
      units += in.weight;
      if (auto c = cpu.find(in.id); c != cpu.end()) serving_cpu.push_back(c->second);
    }
    metrics_.Sample(config_.groups[g].name, now, seconds, serving_cpu, units,
                    traffic_->BackendRequestRate(config_.groups[g].name));
    metrics_.SampleReleases(config_.groups[g].name, now, answered);
  }
}

void LocalProvider::WatchLoadBalancer(Seconds now, const std::vector<const GroupState*>& states) {
  if (haproxy_->Running()) {
    haproxy_failures_ = 0;
    return;
  }
  if (now < haproxy_retry_at_) return;
  const int was = haproxy_->RecordedPid();
  // The servers as the adapter knows them: those serving start UP, the others
  // in MAINT until the next poll readies them behind their checks.
  const std::vector<HaproxyServer> servers = traffic_->Servers();
  const Status started = haproxy_->Start(servers);
  const std::string old_pid = was > 0 ? "(pid " + std::to_string(was) + ") " : "";
  if (!started.ok()) {
    ++haproxy_failures_;
    const int wait = std::min(60, 1 << std::min(haproxy_failures_ - 1, 6));
    haproxy_retry_at_ = now + wait;
    LogError(context_.log, "load_balancer_restart_failed")
        .With("old_pid", was)
        .With("attempt", haproxy_failures_)
        .With("retry_in_s", wait)
        .With("code", ToString(started.code()))
        .With("error", started.message());
    if (haproxy_failures_ == 1) {
      RecordLoadBalancer(now, states, [&](const GroupSpec&) {
        return "HAProxy " + old_pid + "is not running and could not be restarted: " + started.message() +
               "; retrying";
      });
    }
    return;
  }
  haproxy_failures_ = 0;
  const int pid = haproxy_->Pid();
  LogWarn(context_.log, "load_balancer_restarted")
      .With("old_pid", was)
      .With("pid", pid)
      .With("servers", servers.size());
  RecordLoadBalancer(now, states, [&](const GroupSpec& g) {
    const std::string backend = BackendProxyName(g.service);
    const auto n = std::count_if(servers.begin(), servers.end(),
                                 [&](const HaproxyServer& s) { return s.backend == backend; });
    return "HAProxy " + old_pid + "was not running: restarted it (pid " + std::to_string(pid) + ") with the " +
           std::to_string(n) + " server(s) of the group";
  });
}

void LocalProvider::RecordLoadBalancer(Seconds now, const std::vector<const GroupState*>& states,
                                       const std::function<std::string(const GroupSpec&)>& cause_of) {
  if (!context_.record) return;
  for (std::size_t g = 0; g < config_.groups.size() && g < states.size(); ++g) {
    const int desired = states[g]->desired;
    context_.record({now, config_.groups[g].name, ActivityKind::kLoadBalancer, cause_of(config_.groups[g]), desired,
                     desired});
  }
}

Status LocalProvider::TearDown(const std::string& data_dir, std::ostream& out) {
  SystemClock clock;
  LocalCloudOptions lo;
  lo.data_dir = data_dir;
  lo.terminate_grace = 5;
  LocalCloud cloud(lo, &clock, {}, nullptr, nullptr);
  Result<std::vector<DescribedInstance>> running = cloud.Describe();
  if (!running.ok()) return running.status();
  int stopped = 0;
  for (const DescribedInstance& d : *running) {
    if (!d.running) continue;
    if (Status s = cloud.Terminate(d.id); !s.ok()) {
      std::cerr << "warning: cannot stop " << d.id.str() << ": " << s.message() << "\n";
      continue;
    }
    ++stopped;
  }
  // SIGTERM first: services finish what they serve; SIGKILL after the grace.
  if (stopped > 0 && !cloud.WaitForStops(std::chrono::seconds(lo.terminate_grace + 5))) {
    std::cerr << "warning: some instances were still stopping; they are being killed\n";
  }
  const int stragglers = cloud.StopStragglers();
  if (stragglers > 0) out << "killed the processes left by " << stragglers << " exited instance(s)\n";
  HaproxyOptions ho;
  ho.run_dir = data_dir + "/haproxy";
  HaproxyProcess haproxy(ho);
  if (haproxy.Running()) {
    if (Status s = haproxy.Stop(); !s.ok()) std::cerr << "warning: HAProxy did not stop: " << s.message() << "\n";
  }
  out << "terminated " << stopped << " instance(s) and HAProxy; state stays in " << data_dir << "\n";
  return Status::Ok();
}

}  // namespace shoal
