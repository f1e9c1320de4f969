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
#include "adapters/system/stream_logger.h"
#include "api/api_server.h"
#include "api/api_token.h"
#include "api/fault_points.h"
#include "api/daemon_impl.h"
#include "api/pid_file.h"
#include "core/hourly_price.h"
#include "providers/make_provider.h"

namespace shoal {
namespace {

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

// The config's `controller:` section as the reconciler takes it, and what
// the provider's load balancer needs of it.
ControllerOptions ControllerOptionsOf(const Config& config) {
  const ControllerSpec& c = config.controller;
  ControllerOptions o;
  o.inventory_period = c.inventory_period;
  o.orphan_grace = c.orphan_grace;
  o.activity_retention = c.activity_retention;
  // ELB refuses to register an instance that is not running yet.
  o.register_after_boot = config.provider.type == ProviderType::kAws;
  return o;
}

// A config text, checked as `serve` checks its file (clear errors, nothing changed).
Result<Config> ParseLive(const std::string& yaml, const std::string& source, const std::string& base_config,
                         int api_port) {
  Result<Config> next = ParseConfig(yaml, source);
  if (!next.ok()) return next.status();
  SHOAL_RETURN_IF_ERROR(PrepareLiveConfig(&*next, base_config, api_port));
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
  if (metrics_ != nullptr) metrics_->CountActivity(a);
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { Stop(); }

Result<std::unique_ptr<Daemon>> Daemon::Create(const DaemonOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->log = std::make_unique<StreamLogger>(&impl->clock, &std::cerr);
  impl->counted_log = impl->metrics.CountingLogger(impl->log.get());
  // Absolute: HAProxy reads a relative socket path as host:port, and
  // instances run in their own directories.
  impl->options.data_dir = std::filesystem::absolute(options.data_dir).lexically_normal().string();
  // Read once: parsed here, and kept in the store as the config last run.
  Result<std::string> config_text = ReadConfigText(options.config_path);
  if (!config_text.ok()) return config_text.status();
  Result<Config> config = ParseConfig(*config_text, options.config_path);
  if (!config.ok()) return config.status();
  SHOAL_RETURN_IF_ERROR(PrepareLiveConfig(&*config, options.config_path, options.api_port));
  impl->config = std::move(*config);
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
  impl->sink = std::make_unique<LogActivitySink>(impl->counted_log, &impl->metrics);
  impl->inventory = std::make_unique<FileInventory>(impl->options.data_dir, impl->counted_log);
  Result<std::unique_ptr<LogShipper>> logs =
      LogShipper::Open(impl->options.data_dir, impl->counted_log, [d = impl.get()] {
        const std::shared_ptr<const DaemonSnapshot> snap = d->Snapshot();
        const LogsSpec spec = snap ? snap->config.logs : d->config.logs;
        return LogRetention{spec.retention * 1000000, spec.max_size};
      },
      impl->config.logs);
  if (!logs.ok()) return logs.status();
  impl->logs = std::move(*logs);
  SHOAL_RETURN_IF_ERROR(RecordStartingConfig(*impl->store, impl->config, options.config_path, *config_text,
                                             impl->clock.Now()));

  ProviderContext pc;
  pc.data_dir = impl->options.data_dir;
  pc.config_path = options.config_path;
  pc.api_url = "http://" + options.api_host + ":" + std::to_string(options.api_port);
  pc.api_port = options.api_port;
  pc.shoal_binary = options.shoal_binary.empty() ? SelfBinary() : options.shoal_binary;
  pc.agent_credential = [secret = impl->agent_secret](InstanceId id) { return AgentCredential(secret, id); };
  pc.launch_credential = [secret = impl->agent_secret](const std::string& launch_token) {
    return AgentLaunchCredential(secret, launch_token);
  };
  pc.spot_prices_csv = options.spot_prices_csv;
  pc.on_demand_csv = options.on_demand_csv;
  pc.advisor_csv = options.advisor_csv;
  pc.notice_seconds = options.notice_seconds;
  pc.cores = options.cores;
  pc.clock = &impl->clock;
  pc.log = impl->counted_log;
  // Kept in the reconciler's queue when it cannot be written now, and
  // written with its next commit.
  pc.record = [d = impl.get()](Activity a) {
    if (Status s = d->reconciler->RecordActivity(a); !s.ok()) {
      LogWarn(d->counted_log, "activity_not_committed").With("group", a.group).With("error", s.message());
    }
  };
  Result<std::unique_ptr<Provider>> provider = MakeProvider(impl->config, std::move(pc));
  if (!provider.ok()) return provider.status();
  impl->provider = std::move(*provider);

  Cloud* cloud_port = ArmCloudFaultPoints(impl->provider->cloud(), &impl->faulty_cloud, impl->counted_log);
  ControllerPorts ports{&impl->clock,     cloud_port,         impl->provider->traffic(), impl->provider->metrics(),
                        impl->sink.get(), impl->store.get(), impl->counted_log};
  impl->reconciler =
      std::make_unique<Reconciler>(impl->config.groups, ports, ControllerOptionsOf(impl->config));
  SHOAL_RETURN_IF_ERROR(impl->reconciler->Restore());
  const std::string provider_line = impl->provider->Started();
  if (data_dir_existed) chmod(impl->options.data_dir.c_str(), 0700);
  impl->Publish();
  std::cerr << "event=daemon_started config=" << options.config_path << " data_dir=" << impl->options.data_dir
            << " api=http://" << options.api_host << ":" << options.api_port << " " << provider_line << "\n";
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Status Daemon::Run() {
  impl_->api->Serve(this);
  impl_->logs->Start();
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
    const auto started = std::chrono::steady_clock::now();
    const auto next = started + period;
    impl_->Tick();
    impl_->metrics.TickTook(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    impl_->Publish();
    // Between ticks: the API's commands, as they come.
    std::unique_lock<std::mutex> lock(impl_->mu);
    while (!impl_->stopping && impl_->wake.wait_until(lock, next, [this] {
      return impl_->stopping.load() || !impl_->commands.empty();
    })) {
      if (impl_->stopping) break;
      lock.unlock();
      impl_->RunCommands();  // publishes what they changed
      lock.lock();
    }
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->loop_running = false;
  }
  impl_->RunCommands();  // answers what was asked while stopping
  impl_->api->Stop();
  impl_->logs->Stop();
  std::remove(pid_file.c_str());
  std::cerr << "event=daemon_stopped instances=left_running\n";
  return Status::Ok();
}

void Daemon::Stop() {
  if (!impl_) return;
  impl_->stopping = true;
  impl_->wake.notify_all();
}

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
  // The provider first (a new service needs HAProxy's frontends rewritten):
  // when it cannot take the config, the old one runs on untouched and
  // nothing of the apply is kept.
  Status taken = CheckProviderChange(config.provider, next.provider);
  if (taken.ok()) taken = provider->Reconfigure(next);
  if (!taken.ok()) {
    const Status restored = previous->has_value() ? store->SaveLastConfig(**previous) : Status::Ok();
    const std::string put_back = !previous->has_value() ? "none stored before"
                                 : restored.ok()         ? "restored"
                                                         : "not restored: " + restored.message();
    LogWarn(counted_log, "config_apply_refused")
        .With("source", source)
        .With("code", ToString(taken.code()))
        .With("error", taken.message())
        .With("last_config", put_back);
    return taken.WithContext(source + ": nothing was changed");
  }
  Result<std::vector<std::string>> done = reconciler->Reconfigure(next.groups);
  if (!done.ok()) return done.status();
  for (const std::string& d : *done) changes.push_back(d);
  reconciler->SetOptions(ControllerOptionsOf(next));
  config = std::move(next);
  LogInfo(counted_log, "config_applied").With("source", source).With("changes", changes.size());
  return ChangesJson(changes, true);
}

std::string Daemon::MetricsText() {
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  FleetFacts facts;
  facts.config = &snap->config;
  facts.states = &snap->states;
  facts.observations = &snap->observations;
  facts.failed_commits = snap->failed_commits;
  facts.inventory_failures = snap->inventory_failures;
  return impl_->metrics.Render(facts);
}

void Daemon::RequestServed(std::string_view method, std::string_view path, int status, double seconds) {
  impl_->metrics.RequestServed(method, path, status, seconds);
}

const std::string& Daemon::token() const { return impl_->token; }

bool Daemon::AgentMayReport(const std::string& credential, const std::string& instance) const {
  const std::optional<InstanceId> id = InstanceId::Parse(instance);
  if (!id || credential.empty()) return false;
  if (TokenMatches(credential, AgentCredential(impl_->agent_secret, *id))) return true;
  // An agent whose credential was written before its instance had an id
  // (EC2): it holds its launch token's credential, checked against the
  // token the daemon recorded for that instance.
  const std::shared_ptr<const DaemonSnapshot> snap = impl_->Snapshot();
  if (!snap) return false;
  for (const GroupState& state : snap->states) {
    for (const Instance& in : state.instances) {
      if (in.id != *id) continue;
      return !in.launch_token.empty() &&
             TokenMatches(credential, AgentLaunchCredential(impl_->agent_secret, in.launch_token));
    }
  }
  return false;
}
int Daemon::api_port() const { return impl_->options.api_port; }

void Daemon::Impl::Publish() {
  auto snap = std::make_shared<DaemonSnapshot>();
  snap->config = config;
  for (std::size_t g = 0; g < config.groups.size(); ++g) {
    snap->states.push_back(reconciler->state(g));
    const Observation* seen = reconciler->last_observation(config.groups[g].name);
    snap->observations.push_back(seen != nullptr ? *seen : Observation{});
  }
  snap->failed_commits = reconciler->failed_commits();
  snap->inventory_failures = reconciler->inventory_failures();
  metrics.NoteFleet(snap->config, snap->states);
  // The membership change is noticed here, where every tick and command
  // ends: the files follow it before the next tick (a no-op when the
  // in-service and draining instances are the ones last written).
  inventory->Configure(config.inventory);
  inventory->Update(InventoryHosts(config.groups, snap->states));
  // The dashboard's history: what runs now and what it costs at the prices
  // the loop last observed (as /metrics reports them; no cloud call here).
  std::vector<std::string> names;
  for (std::size_t g = 0; g < config.groups.size(); ++g) {
    const GroupSpec& spec = config.groups[g];
    const GroupState& state = snap->states[g];
    const Observation& seen = snap->observations[g];
    HistoryPoint p;
    p.minute = MinuteOf(clock.Now());
    p.desired = state.desired;
    for (const Instance& in : state.instances) {
      if (in.state == InstanceState::kInService) ++p.in_service;
      if (CountsTowardCapacity(in.state)) ++p.capacity;
      p.cost_per_hour += HourlyPrice(in, seen);
    }
    history.Record(spec.name, p);
    names.push_back(spec.name);
  }
  history.Retain(names);
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
  std::vector<Result<std::string>> answers;
  answers.reserve(todo.size());
  for (const std::shared_ptr<Command>& c : todo) answers.push_back(c->work());
  // Published before anyone is answered: a read (or a scrape of /metrics)
  // made after an answer sees what the command changed.
  if (!todo.empty()) Publish();
  for (std::size_t i = 0; i < todo.size(); ++i) todo[i]->done.set_value(std::move(answers[i]));
}

std::vector<const GroupState*> Daemon::Impl::States() const {
  std::vector<const GroupState*> out;
  for (std::size_t g = 0; g < config.groups.size(); ++g) out.push_back(&reconciler->state(g));
  return out;
}

void Daemon::Impl::Tick() {
  const std::int64_t now = clock.Now();
  provider->BeforeTick(now, States());
  std::deque<GroupInstanceEvent> reported;
  {
    std::lock_guard<std::mutex> lock(mu);
    reported.swap(agent_events);
  }
  for (const GroupInstanceEvent& e : reported) {
    // Agents report notices the provider may also have seen: applying a
    // notice twice is harmless (the instance is already interrupted).
    if (Status s = reconciler->ApplyExternal(e); !s.ok()) {
      LogWarn(counted_log, "agent_event_not_applied")
          .With("group", e.group)
          .With("instance", e.observation.id.str())
          .With("error", s.message());
    }
  }
  // A failed commit is logged by the reconciler and stays queued; the
  // daemon keeps ticking so it is written as soon as the store recovers.
  reconciler->Tick();
}

}  // namespace shoal
