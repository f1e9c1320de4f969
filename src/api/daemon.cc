#include "api/daemon.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "adapters/config/config_json.h"
#include "adapters/data/prices.h"
#include "adapters/system/stream_logger.h"
#include "api/api_server.h"
#include "api/api_token.h"
#include "api/fault_points.h"
#include "api/daemon_impl.h"
#include "api/pid_file.h"

namespace shoal {
namespace {

// The live provider needs to know how to start a group and where its
// service listens; the simulator does not, so the config allows leaving them
// out and `serve` checks here. HAProxy would take a service port that is the
// API's, so that is refused too.
Status CheckLiveConfig(const Config& config, int api_port) {
  for (const GroupSpec& g : config.groups) {
    if (g.launch.command.empty()) {
      return Status::InvalidArgument(config.source + ": group '" + g.name +
                                     "' has no launch.command; `shoal serve` needs one (see docs/CONFIG.md)");
    }
    if (g.listen_port == 0) {
      return Status::InvalidArgument(config.source + ": group '" + g.name +
                                     "' has no listen_port; `shoal serve` puts its service behind HAProxy there");
    }
    if (g.listen_port == api_port) {
      return Status::InvalidArgument(config.source + ": group '" + g.name + "' has listen_port " +
                                     std::to_string(g.listen_port) +
                                     ", the port of the daemon's API (--api); give the service another port");
    }
  }
  return Status::Ok();
}

// Launch commands may name programs relative to the config file (like a
// compose file); instances run in their own directories, so make them absolute.
void ResolveCommandPaths(Config& config, const std::string& config_path) {
  const std::filesystem::path base = std::filesystem::absolute(config_path).parent_path();
  auto resolve = [&](std::vector<std::string>& argv) {
    if (argv.empty() || argv[0].find('/') == std::string::npos || argv[0][0] == '/') return;
    argv[0] = std::filesystem::weakly_canonical(base / argv[0]).string();
  };
  for (GroupSpec& g : config.groups) {
    resolve(g.launch.command);
    for (auto& step : g.launch.provision) resolve(step);
  }
}

Status MakeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create '" + dir + "': " + ec.message());
  return Status::Ok();
}

std::string SelfBinary() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string("shoal");
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

// The config's `controller:` section as the reconciler takes it.
ControllerOptions ControllerOptionsOf(const ControllerSpec& c) {
  ControllerOptions o;
  o.inventory_period = c.inventory_period;
  o.orphan_grace = c.orphan_grace;
  o.activity_retention = c.activity_retention;
  return o;
}

// The spot price feed: real (or Advisor-derived) paths for the pools the
// config names, from the bundled tables; a flat price when they cannot price them.
std::unique_ptr<SpotMarket> BuildPrices(const DaemonOptions& o, const Config& config, std::vector<std::string>* names) {
  std::vector<MarketPool> pools;
  std::set<std::string> seen;
  for (const GroupSpec& g : config.groups) {
    for (const PoolSpec& p : g.capacity.spot_pools) {
      if (!seen.insert(p.name).second) continue;
      pools.push_back({p.instance_type, p.zone});
      names->push_back(p.name);
    }
  }
  if (pools.empty() || o.spot_prices_csv.empty()) return nullptr;
  Result<PriceTables> tables = LoadPriceTables(o.spot_prices_csv, o.on_demand_csv, o.advisor_csv);
  if (!tables.ok()) {
    std::cerr << "event=spot_prices_unavailable reason=\"" << tables.status().message() << "\" price=flat\n";
    return nullptr;
  }
  SpotMarketOptions mo;
  mo.interruption_rate_scale = 0;  // live interruptions come from operators and prices, not from dice
  Result<SpotMarket> market = SpotMarket::Build(*tables, pools, mo);
  if (!market.ok()) {
    std::cerr << "event=spot_prices_unavailable reason=\"" << market.status().message() << "\" price=flat\n";
    return nullptr;
  }
  return std::make_unique<SpotMarket>(std::move(*market));
}

// A config text, checked as `serve` checks its file (clear errors, nothing changed).
Result<Config> ParseLive(const std::string& yaml, const std::string& source, const std::string& base_config,
                         int api_port) {
  Result<Config> next = ParseConfig(yaml, source);
  if (!next.ok()) return next.status();
  SHOAL_RETURN_IF_ERROR(CheckLiveConfig(*next, api_port));
  ResolveCommandPaths(*next, base_config);
  return next;
}

// The file given to `serve` wins, but when it differs from what the daemon
// last ran (an apply the file does not carry, or an edit made while the
// daemon was down) the differences are logged, like a plan, so an apply is
// never undone silently. Then the file becomes the last run config.
Status RecordStartingConfig(StateStore& store, const Config& config, const std::string& config_path,
                             const std::string& config_text, Seconds now) {
  Result<std::optional<ConfigRecord>> last = store.LoadLastConfig();
  if (!last.ok()) return last.status();
  if (last->has_value()) {
    const ConfigRecord& was = **last;
    // Only diffed, never run: no API port to clash with (0 is no port).
    Result<Config> before = ParseLive(was.yaml, was.source, config_path, /*api_port=*/0);
    if (!before.ok()) {
      std::cerr << "event=config_changed_since_last_run last_source=" << was.source
                << " note=\"the last run config no longer parses: " << before.status().message() << "\"\n";
    } else {
      const std::vector<std::string> changes = DiffConfigs(*before, config);
      if (!changes.empty()) {
        std::cerr << "event=config_changed_since_last_run last_source=" << was.source
                  << " last_saved_at=" << was.saved_at << " changes=" << changes.size() << " running="
                  << config_path << " note=\"the daemon runs " << config_path
                  << "; to keep the last apply, run `shoal apply -f` with it again\"\n";
        for (const std::string& c : changes) std::cerr << "  " << c << "\n";
      }
    }
  }
  return store.SaveLastConfig({config_path, config_text, now});
}

}  // namespace

void LogActivitySink::Record(const Activity& a) {
  LogInfo(log_, "activity")
      .With("group", a.group)
      .With("kind", ToString(a.kind))
      .With("from", a.from)
      .With("to", a.to)
      .With("cause", a.cause)
      .With("at", a.time);
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { Stop(); }

Result<std::unique_ptr<Daemon>> Daemon::Create(const DaemonOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->log = std::make_unique<StreamLogger>(&impl->clock, &std::cerr);
  // Absolute: HAProxy reads a relative socket path as host:port, and
  // instances run in their own directories.
  impl->options.data_dir = std::filesystem::absolute(options.data_dir).lexically_normal().string();
  // Read once: parsed here, and kept in the store as the config last run.
  Result<std::string> config_text = ReadConfigText(options.config_path);
  if (!config_text.ok()) return config_text.status();
  Result<Config> config = ParseConfig(*config_text, options.config_path);
  if (!config.ok()) return config.status();
  SHOAL_RETURN_IF_ERROR(CheckLiveConfig(*config, options.api_port));
  impl->config = std::move(*config);
  ResolveCommandPaths(impl->config, options.config_path);
  // The API's address is checked and bound before anything is created or
  // started, so a bad or busy --api leaves no HAProxy and no directory behind.
  impl->api = std::make_unique<ApiServer>();
  SHOAL_RETURN_IF_ERROR(impl->api->Bind(options.api_host, options.api_port));
  // A new data dir is private from the start; an existing one is made so
  // only once start-up succeeded, so a serve that fails changes nothing.
  std::error_code dir_error;
  const bool data_dir_existed = std::filesystem::is_directory(impl->options.data_dir, dir_error);
  SHOAL_RETURN_IF_ERROR(MakeDir(impl->options.data_dir));
  if (!data_dir_existed) chmod(impl->options.data_dir.c_str(), 0700);
  Result<std::string> token = LoadOrCreateToken(impl->options.data_dir + "/api-token");
  if (!token.ok()) return token.status();
  impl->token = *token;
  Result<std::string> agent_secret = LoadOrCreateToken(impl->options.data_dir + "/agent-secret");
  if (!agent_secret.ok()) return agent_secret.status();
  impl->agent_secret = *agent_secret;

  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(impl->options.data_dir + "/shoal.db");
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);
  impl->sink = std::make_unique<LogActivitySink>(impl->log.get());
  SHOAL_RETURN_IF_ERROR(RecordStartingConfig(*impl->store, impl->config, options.config_path, *config_text,
                                             impl->clock.Now()));

  std::vector<std::string> pool_names;
  impl->prices = BuildPrices(options, impl->config, &pool_names);
  impl->market = std::make_unique<LocalSpotMarket>(impl->prices.get(), pool_names, 0.03, options.notice_seconds);
  impl->imds = std::make_unique<ImdsServer>();

  LocalCloudOptions lo;
  lo.data_dir = impl->options.data_dir;
  lo.agent_binary = options.shoal_binary.empty() ? SelfBinary() : options.shoal_binary;
  lo.agent_report_url = "http://" + options.api_host + ":" + std::to_string(options.api_port);
  lo.agent_credential = [secret = impl->agent_secret](InstanceId id) { return AgentCredential(secret, id); };
  lo.log = impl->log.get();
  lo.cores = options.cores;
  std::map<std::string, GroupSpec> groups;
  for (const GroupSpec& g : impl->config.groups) groups[g.name] = g;
  impl->cloud = std::make_unique<LocalCloud>(lo, &impl->clock, groups, impl->market.get(), impl->imds.get());

  HaproxyOptions ho;
  ho.run_dir = impl->options.data_dir + "/haproxy";
  SHOAL_RETURN_IF_ERROR(MakeDir(ho.run_dir));
  ho.backends = Backends(impl->config);
  impl->haproxy_options = ho;
  impl->haproxy = std::make_unique<HaproxyProcess>(ho);
  SHOAL_RETURN_IF_ERROR(impl->haproxy->Start());
  impl->runtime = std::make_unique<HaproxyRuntime>(impl->haproxy->socket_path());
  std::map<std::string, HaproxyBackend> backend_of_group;
  for (const GroupSpec& g : impl->config.groups) {
    for (const HaproxyBackend& b : ho.backends) {
      if (b.name == g.service) backend_of_group[g.name] = b;
    }
  }
  impl->traffic = std::make_unique<HaproxyTraffic>(impl->runtime.get(), backend_of_group);

  Cloud* cloud_port = ArmCloudFaultPoints(impl->cloud.get(), &impl->faulty_cloud, impl->log.get());
  ControllerPorts ports{&impl->clock, cloud_port, impl->traffic.get(), &impl->metrics, impl->sink.get(),
                        impl->store.get(), impl->log.get()};
  impl->reconciler =
      std::make_unique<Reconciler>(impl->config.groups, ports, ControllerOptionsOf(impl->config.controller));
  SHOAL_RETURN_IF_ERROR(impl->reconciler->Restore());
  // Leftovers of instances that exited while no daemon ran (their agent).
  if (const int n = impl->cloud->StopStragglers(); n > 0) {
    std::cerr << "event=stragglers_killed instances=" << n << "\n";
  }
  if (data_dir_existed) chmod(impl->options.data_dir.c_str(), 0700);
  impl->Publish();
  std::cerr << "event=daemon_started config=" << options.config_path << " data_dir=" << impl->options.data_dir
            << " api=http://" << options.api_host << ":" << options.api_port
            << " cpu_enforcement=\"" << impl->cloud->cpu_enforcement() << "\" instance_cores=" << impl->cloud->cores()
            << "\n";
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::Run() {
  impl_->api->Serve(this);
  const std::string pid_file = impl_->options.data_dir + "/shoal.pid";
  if (const Status s = WritePidFile(pid_file); !s.ok()) {
    StreamLogger log(&impl_->clock, &std::cerr);
    LogWarn(&log, "pid_file_not_written").With("error", s.message()).With("note", "shoal down cannot stop this daemon");
  }
  const auto period = std::chrono::milliseconds(impl_->options.tick_millis);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->loop_running = true;
  }
  while (!impl_->stopping) {
    const auto next = std::chrono::steady_clock::now() + period;
    impl_->Tick();
    impl_->Publish();
    // Between ticks: the API's commands, as they come.
    std::unique_lock<std::mutex> lock(impl_->mu);
    while (!impl_->stopping && impl_->wake.wait_until(lock, next, [this] {
      return impl_->stopping.load() || !impl_->commands.empty();
    })) {
      if (impl_->stopping) break;
      lock.unlock();
      impl_->RunCommands();
      impl_->Publish();
      lock.lock();
    }
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->loop_running = false;
  }
  impl_->RunCommands();  // answers what was asked while stopping
  impl_->api->Stop();
  std::remove(pid_file.c_str());
  std::cerr << "event=daemon_stopped instances=left_running\n";
  return Status::Ok();
}

void Daemon::Stop() {
  if (!impl_) return;
  impl_->stopping = true;
  impl_->wake.notify_all();
}

namespace {

std::map<std::string, HaproxyBackend> BackendOfGroup(const Config& config, const std::vector<HaproxyBackend>& backends) {
  std::map<std::string, HaproxyBackend> out;
  for (const GroupSpec& g : config.groups) {
    for (const HaproxyBackend& b : backends) {
      if (b.name == g.service) out[g.name] = b;
    }
  }
  return out;
}

}  // namespace


static std::string ChangesJson(const std::vector<std::string>& changes, bool applied) {
  return nlohmann::json{{"changes", changes}, {"applied", applied}}.dump();
}

Result<std::string> Daemon::Plan(const std::string& yaml, const std::string& source) {
  Result<Config> next = ParseLive(yaml, source, impl_->options.config_path, impl_->options.api_port);
  if (!next.ok()) return next.status();
  return ChangesJson(DiffConfigs(impl_->Snapshot()->config, *next), false);
}

Result<std::string> Daemon::Apply(const std::string& yaml, const std::string& source) {
  Result<Config> next = ParseLive(yaml, source, impl_->options.config_path, impl_->options.api_port);
  if (!next.ok()) return next.status();
  // On the loop thread: the HAProxy replacement and the reconfigure take
  // seconds, and API reads go on from the snapshot meanwhile.
  return impl_->RunOnLoop([this, yaml, source, next = std::move(*next)]() mutable {
    return impl_->ApplyConfig(yaml, source, std::move(next));
  });
}

Result<std::string> Daemon::Impl::ApplyConfig(const std::string& yaml, const std::string& source, Config next) {
  std::vector<std::string> changes = DiffConfigs(config, next);
  if (changes.empty()) return ChangesJson(changes, false);
  // Written before it is acted upon: a restart then knows what ran. Put back
  // when the apply fails, so a refused apply leaves no trace.
  Result<std::optional<ConfigRecord>> previous = store->LoadLastConfig();
  if (!previous.ok()) return previous.status();
  SHOAL_RETURN_IF_ERROR(store->SaveLastConfig({source, yaml, clock.Now()}));
  // A new or changed service needs HAProxy's frontends rewritten: the
  // process is replaced softly and the new one starts with the servers of
  // the old one, in their states. If it cannot start, the old one serves on
  // untouched and nothing of the apply is kept.
  const std::vector<HaproxyBackend> backends = Backends(next);
  HaproxyOptions ho = haproxy_options;
  ho.backends = backends;
  if (HaproxyProcess::RenderConfig(ho) != HaproxyProcess::RenderConfig(haproxy_options)) {
    auto replacement = std::make_unique<HaproxyProcess>(ho);
    const Status started = replacement->Start(traffic->Servers());
    if (!started.ok()) {
      const Status restored = previous->has_value() ? store->SaveLastConfig(**previous) : Status::Ok();
      const std::string put_back = !previous->has_value() ? "none stored before"
                                   : restored.ok()         ? "restored"
                                                           : "not restored: " + restored.message();
      LogWarn(log.get(), "config_apply_refused")
          .With("source", source)
          .With("code", ToString(started.code()))
          .With("error", started.message())
          .With("last_config", put_back);
      return started.WithContext(source + ": HAProxy cannot serve the new services, nothing was changed");
    }
    haproxy = std::move(replacement);
    haproxy_options = ho;
  }
  traffic->SetBackends(BackendOfGroup(next, backends));
  std::map<std::string, GroupSpec> groups;
  for (const GroupSpec& g : next.groups) groups[g.name] = g;
  cloud->SetGroups(groups);
  Result<std::vector<std::string>> done = reconciler->Reconfigure(next.groups);
  if (!done.ok()) return done.status();
  for (const std::string& d : *done) changes.push_back(d);
  reconciler->SetOptions(ControllerOptionsOf(next.controller));
  config = std::move(next);
  LogInfo(log.get(), "config_applied").With("source", source).With("changes", changes.size());
  return ChangesJson(changes, true);
}

const std::string& Daemon::token() const { return impl_->token; }

bool Daemon::AgentMayReport(const std::string& credential, const std::string& instance) const {
  const std::optional<InstanceId> id = InstanceId::Parse(instance);
  return id && !credential.empty() && TokenMatches(credential, AgentCredential(impl_->agent_secret, *id));
}
int Daemon::api_port() const { return impl_->options.api_port; }

void Daemon::Impl::Publish() {
  auto snap = std::make_shared<DaemonSnapshot>();
  snap->config = config;
  for (std::size_t g = 0; g < config.groups.size(); ++g) {
    snap->states.push_back(reconciler->state(g));
  }
  std::lock_guard<std::mutex> lock(snapshot_mu);
  snapshot = std::move(snap);
}

std::shared_ptr<const DaemonSnapshot> Daemon::Impl::Snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu);
  return snapshot;
}

Result<std::string> Daemon::Impl::RunOnLoop(std::function<Result<std::string>()> work) {
  auto command = std::make_shared<Command>();
  command->work = std::move(work);
  std::future<Result<std::string>> answer = command->done.get_future();
  {
    std::unique_lock<std::mutex> lock(mu);
    if (!loop_running) {
      // No loop (yet, or any more): nothing else touches the state now.
      lock.unlock();
      Result<std::string> r = command->work();
      Publish();
      return r;
    }
    commands.push_back(command);
  }
  wake.notify_all();
  // Bounded: an apply that restarts HAProxy takes seconds, never this long.
  if (answer.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    return Status::Unavailable("the daemon did not get to the request within 120 s; it may still be done");
  }
  return answer.get();
}

void Daemon::Impl::RunCommands() {
  std::deque<std::shared_ptr<Command>> todo;
  {
    std::lock_guard<std::mutex> lock(mu);
    todo.swap(commands);
  }
  for (const std::shared_ptr<Command>& c : todo) c->done.set_value(c->work());
}

void Daemon::Impl::Tick() {
  const std::int64_t now = clock.Now();
  SampleMetrics(now);
  std::deque<GroupInstanceEvent> reported;
  {
    std::lock_guard<std::mutex> lock(mu);
    reported.swap(agent_events);
  }
  for (const GroupInstanceEvent& e : reported) {
    // Agents report notices the provider may also have seen: applying a
    // notice twice is harmless (the instance is already interrupted).
    if (Status s = reconciler->ApplyExternal(e); !s.ok()) {
      LogWarn(log.get(), "agent_event_not_applied")
          .With("group", e.group)
          .With("instance", e.observation.id.str())
          .With("error", s.message());
    }
  }
  WatchLoadBalancer(now);
  // A failed commit is logged by the reconciler and stays queued; the
  // daemon keeps ticking so it is written as soon as the store recovers.
  reconciler->Tick();
}

void Daemon::Impl::WatchLoadBalancer(std::int64_t now) {
  if (haproxy->Running()) {
    haproxy_failures = 0;
    return;
  }
  if (now < haproxy_retry_at) return;
  const int was = haproxy->RecordedPid();
  // The servers as the adapter knows them: those serving start UP, the others
  // in MAINT until the next poll readies them behind their checks.
  const std::vector<HaproxyServer> servers = traffic->Servers();
  const Status started = haproxy->Start(servers);
  const std::string old_pid = was > 0 ? "(pid " + std::to_string(was) + ") " : "";
  if (!started.ok()) {
    ++haproxy_failures;
    const int wait = std::min(60, 1 << std::min(haproxy_failures - 1, 6));
    haproxy_retry_at = now + wait;
    LogError(log.get(), "load_balancer_restart_failed")
        .With("old_pid", was)
        .With("attempt", haproxy_failures)
        .With("retry_in_s", wait)
        .With("code", ToString(started.code()))
        .With("error", started.message());
    if (haproxy_failures == 1) {
      RecordLoadBalancer(now, [&](const GroupSpec&) {
        return "HAProxy " + old_pid + "is not running and could not be restarted: " + started.message() +
               "; retrying";
      });
    }
    return;
  }
  haproxy_failures = 0;
  const int pid = haproxy->Pid();
  LogWarn(log.get(), "load_balancer_restarted")
      .With("old_pid", was)
      .With("pid", pid)
      .With("servers", servers.size());
  RecordLoadBalancer(now, [&](const GroupSpec& g) {
    const std::string backend = BackendProxyName(g.service);
    const auto n = std::count_if(servers.begin(), servers.end(),
                                 [&](const HaproxyServer& s) { return s.backend == backend; });
    return "HAProxy " + old_pid + "was not running: restarted it (pid " + std::to_string(pid) + ") with the " +
           std::to_string(n) + " server(s) of the group";
  });
}

void Daemon::Impl::RecordLoadBalancer(std::int64_t now,
                                      const std::function<std::string(const GroupSpec&)>& cause_of) {
  for (std::size_t g = 0; g < config.groups.size(); ++g) {
    const int desired = reconciler->state(g).desired;
    const Status s = reconciler->RecordActivity(
        {now, config.groups[g].name, ActivityKind::kLoadBalancer, cause_of(config.groups[g]), desired, desired});
    if (!s.ok()) {
      // Kept in the reconciler's queue and written with its next commit.
      LogWarn(log.get(), "activity_not_committed").With("group", config.groups[g].name).With("error", s.message());
    }
  }
}

void Daemon::Impl::SampleMetrics(std::int64_t now) {
  const std::int64_t seconds = last_sample == 0 ? 1 : std::max<std::int64_t>(1, now - last_sample);
  last_sample = now;
  std::map<InstanceId, double> cpu;
  for (const CpuSample& s : cloud->SampleCpu()) cpu[s.id] = s.percent;
  const std::map<InstanceId, double> rates = traffic->RequestRates();
  for (std::size_t g = 0; g < config.groups.size(); ++g) {
    const GroupState& state = reconciler->state(g);
    std::vector<double> serving_cpu;
    double units = 0;
    double rps = 0;
    for (const Instance& in : state.instances) {
      if (in.state != InstanceState::kInService) continue;
      units += in.weight;
      if (auto c = cpu.find(in.id); c != cpu.end()) serving_cpu.push_back(c->second);
      if (auto r = rates.find(in.id); r != rates.end()) rps += r->second;
    }
    metrics.Sample(config.groups[g].name, now, seconds, serving_cpu, units, rps);
  }
}

}  // namespace shoal
