#include <pthread.h>
#include <csignal>
#include <cstdlib>
#include <atomic>
#include <thread>
#include <iostream>
#include <memory>
#include <optional>

#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/config/config.h"
#include "adapters/local/proc_stat.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "api/api_server.h"
#include "api/daemon.h"
#include "api/pid_file.h"
#include "cli/api_client.h"
#include "cli/bundled_data.h"
#include "cli/cluster_commands.h"
#include "cli/number_checks.h"
#include "providers/make_provider.h"

namespace shoal {
namespace {

// The daemon's stop signals, blocked in every thread (set before any thread
// starts, so each inherits it) and taken by one thread with sigtimedwait:
// stopping then runs as ordinary code, not in a signal handler.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

class SignalWatcher {
 public:
  explicit SignalWatcher(Daemon* daemon)
      : thread_([this, daemon] {
          const sigset_t set = StopSignals();
          const timespec poll{0, 200 * 1000 * 1000};
          while (!done_) {
            if (sigtimedwait(&set, nullptr, &poll) > 0) daemon->Stop();
          }
        }) {}
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

struct ServeArgs {
  DaemonOptions options;
  std::string api = "127.0.0.1:7400";
};

int Serve(ServeArgs& a) {
  // Checked before anything else; the daemon binds it before it starts anything.
  Result<ApiAddress> api = ParseApiAddress(a.api);
  if (!api.ok()) {
    std::cerr << "error: " << api.status().message() << "\n";
    return 2;
  }
  a.options.api_host = api->host;
  a.options.api_port = api->port;
  if (a.options.spot_prices_csv.empty()) {
    a.options.spot_prices_csv = BundledDataFile("spot_prices.csv");
    a.options.on_demand_csv = BundledDataFile("ondemand_prices.csv");
    a.options.advisor_csv = BundledDataFile("spot_advisor_interruption.csv");
  }
  const sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before Create starts any thread
  Result<std::unique_ptr<Daemon>> daemon = Daemon::Create(a.options);
  if (!daemon.ok()) {
    std::cerr << "error: " << daemon.status().message() << "\n";
    return 1;
  }
  SignalWatcher watcher(daemon->get());
  std::cerr << "shoal: serving on http://" << a.options.api_host << ":" << a.options.api_port
            << " (token in " << a.options.data_dir << "/api-token); Ctrl-C stops the daemon, instances keep running\n";
  const Status s = (*daemon)->Run();
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

// Signals the daemon named by the pid file only when it is that daemon (see
// pid_file.h); says why not otherwise.
void StopDaemon(const std::string& data_dir) {
  const PidFileOwner owner = CheckPidFile(data_dir + "/shoal.pid");
  if (owner.verdict == PidFileOwner::Verdict::kOther || owner.verdict == PidFileOwner::Verdict::kUnreadable) {
    std::cout << data_dir << "/shoal.pid names " << (owner.pid > 0 ? "pid " + std::to_string(owner.pid) : "no pid")
              << ", which is not this data dir's daemon (" << owner.why << "): not signalled\n";
    return;
  }
  const pid_t pid = owner.pid;
  if (owner.verdict == PidFileOwner::Verdict::kDaemon && kill(pid, SIGTERM) == 0) {
    // Gone once it exited: a zombie counts (no init here may reap it).
    auto alive = [pid] {
      const std::optional<ProcStat> st = ReadProcStat(pid);
      return st && st->Alive();
    };
    for (int i = 0; i < 100 && alive(); ++i) usleep(100000);
    std::cout << "stopped the daemon (pid " << pid << ")\n";
  }
}

// The config the data dir's daemon last ran (from its store), if any: it
// says which provider's instances `down` must stop.
std::optional<Config> LastConfig(const std::string& data_dir) {
  const std::string db = data_dir + "/shoal.db";
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) return std::nullopt;
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(db);
  if (!store.ok()) {
    std::cerr << "warning: cannot read " << db << ": " << store.status().message() << "\n";
    return std::nullopt;
  }
  Result<std::optional<ConfigRecord>> record = (*store)->LoadLastConfig();
  if (!record.ok() || !record->has_value()) return std::nullopt;
  Result<Config> config = ParseConfig((*record)->yaml, (*record)->source);
  if (!config.ok()) {
    std::cerr << "warning: the last run config no longer parses: " << config.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(*config);
}

// `down --api URL`: the daemon answering there must be the data dir's (it
// takes the data dir's token), or nothing is stopped. When no daemon answers
// there, what the data dir's last run left is still taken down.
bool DaemonAtApiIsThisOne(const ApiTarget& t) {
  Result<std::string> r = ApiGet(t, "/v1/groups");
  if (r.ok()) return true;
  if (r.status().code() == StatusCode::kIoError) {
    std::cout << "no daemon answers at " << t.api << "; taking down what " << t.data_dir << "'s last run left\n";
    return true;
  }
  if (r.status().code() == StatusCode::kNotFound) {
    std::cout << "no API token in " << t.data_dir << " (" << r.status().message() << "); not checking " << t.api << "\n";
    return true;
  }
  std::cerr << "error: the daemon at " << t.api << " is not the daemon of " << t.data_dir << " ("
            << r.status().message() << "): nothing stopped; pass the --data-dir it was started with\n";
  return false;
}

// Stops the daemon (from its pid file), then every instance it left running
// (and, on the local provider, its HAProxy): the whole cluster, gone.
int Down(const ApiTarget& target, bool check_api) {
  const std::string& data_dir = target.data_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    std::cerr << "error: no such data dir '" << data_dir
              << "' (pass the --data-dir that `shoal serve` was given; default ./shoal-data)\n";
    return 1;
  }
  if (check_api && !DaemonAtApiIsThisOne(target)) return 1;
  StopDaemon(data_dir);
  if (Status s = TearDown(data_dir, LastConfig(data_dir), std::cout); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  args->options.data_dir = "shoal-data";
  CLI::App* cmd = app.add_subcommand("serve", "Run the daemon: instances behind HAProxy, scaled by the decision core");
  cmd->add_option("--config,-c", args->options.config_path, "YAML config")->required()->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", args->options.data_dir, "state, token, instances and HAProxy files");
  cmd->add_option("--api", args->api, "HOST:PORT to serve the API on (loopback or private)");
  cmd->add_option("--spot-prices", args->options.spot_prices_csv, "spot price history to replay");
  cmd->add_option("--notice-seconds", args->options.notice_seconds, "spot notice to termination")
      ->check(CLI::Range(0, 3600));
  cmd->add_option("--cores", args->options.cores,
                  "CPU cores the instances may use together; launches beyond it fail for lack of capacity "
                  "(default: the CPUs this machine gives the daemon)")
      ->check(FiniteRange(0.01, 100000.0));
  cmd->callback([args, exit_code] { *exit_code = Serve(*args); });

  // --api, --token and --data-dir like every command over the API; --api
  // (or $SHOAL_API) makes sure the daemon there is the data dir's.
  auto down_target = std::make_shared<ApiTarget>();
  CLI::App* down = app.add_subcommand("down", "Stop the daemon, its instances and its HAProxy");
  AddApiOptions(down, down_target.get());
  down->callback([down, down_target, exit_code] {
    const char* env_api = std::getenv("SHOAL_API");
    const bool check_api = down->count("--api") > 0 || (env_api != nullptr && *env_api != '\0');
    *exit_code = Down(*down_target, check_api);
  });
}

}  // namespace shoal
