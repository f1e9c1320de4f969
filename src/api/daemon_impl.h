// The daemon's parts, shared by daemon.cc (wiring and loop), daemon_views.cc
// (JSON) and api_server.cc (HTTP). Not a public header.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/inventory/inventory_files.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "adapters/system/stream_logger.h"
#include "adapters/system/system_clock.h"
#include "api/dashboard_history.h"
#include "api/daemon.h"
#include "api/log_shipper.h"
#include "api/daemon_metrics.h"
#include "controller/reconciler.h"
#include "providers/provider.h"

namespace shoal {

// Activities are committed to SQLite by the reconciler with the state they
// describe; once committed, each is also one line of the daemon's log.
class LogActivitySink final : public ActivitySink {
 public:
  LogActivitySink(Logger* log, DaemonMetrics* metrics = nullptr) : log_(log), metrics_(metrics) {}
  void Record(const Activity& a) override;

 private:
  Logger* log_;
  DaemonMetrics* metrics_;
};

class ApiServer;

// What API reads see: built by the loop thread after each tick and each
// command, never changed afterwards, so a read takes no lock the loop holds
// while it launches, restarts HAProxy or writes the store.
struct DaemonSnapshot {
  Config config;
  std::vector<GroupState> states;  // per config group
  std::vector<Observation> observations;  // per config group: the prices its last decision saw
  std::int64_t failed_commits = 0;
  std::int64_t inventory_failures = 0;

  int FindGroup(const std::string& name) const { return config.FindGroup(name); }
};

struct Daemon::Impl {
  DaemonOptions options;
  Config config;
  std::string token;
  std::string agent_secret;  // keys the agents' credentials (AgentCredential)
  SystemClock clock;
  std::unique_ptr<SqliteStateStore> store;
  std::unique_ptr<StreamLogger> log;
  // /metrics: counters fed by the loop and the API threads (thread-safe).
  DaemonMetrics metrics;
  Logger* counted_log = nullptr;  // `log`, with warnings and errors counted in `metrics`
  std::unique_ptr<LogActivitySink> sink;
  std::unique_ptr<Provider> provider;   // the cloud, the load balancer and the metrics (config `provider:`)
  std::unique_ptr<Cloud> faulty_cloud;  // a test's fault point around the provider's cloud (api/fault_points.h)
  std::unique_ptr<Reconciler> reconciler;
  std::unique_ptr<ApiServer> api;
  // Nagios and Prometheus files, rewritten by Publish when the in-service
  // and draining instances change (loop thread only).
  std::unique_ptr<FileInventory> inventory;

  // Threads. Only the loop thread (Run) touches the reconciler, the
  // provider and `config`; the API threads read the
  // published snapshot and hand every change to the loop as a command.
  std::mutex mu;  // guards commands, agent_events, loop_running
  std::condition_variable wake;
  std::atomic<bool> stopping{false};
  struct Command {
    std::function<Result<std::string>()> work;
    std::promise<Result<std::string>> done;
  };
  std::deque<std::shared_ptr<Command>> commands;
  std::deque<GroupInstanceEvent> agent_events;  // reported by agents, applied on the next tick
  bool loop_running = false;
  mutable std::mutex snapshot_mu;  // guards `snapshot` (the pointer, not what it points to)
  std::shared_ptr<const DaemonSnapshot> snapshot;
  DashboardHistory history;  // the dashboard's charts (its own lock)
  // Last: its thread reads the snapshot, so it stops before that goes.
  std::unique_ptr<LogShipper> logs;

  void Tick();
  // Publishes a snapshot of what runs now and records this minute's
  // capacity and cost for the dashboard (loop thread only).
  void Publish();
  std::shared_ptr<const DaemonSnapshot> Snapshot() const;
  // Runs `work` on the loop thread between ticks and waits for its answer
  // (on the calling thread when no loop runs yet).
  Result<std::string> RunOnLoop(std::function<Result<std::string>()> work);
  // Runs the queued commands, publishes what they changed, then answers
  // them (loop thread).
  void RunCommands();
  // `shoal apply` (loop thread): the provider (e.g. HAProxy for new
  // services), then the groups.
  Result<std::string> ApplyConfig(const std::string& yaml, const std::string& source, Config next);
  // The reconciler's group states, in config order (loop thread).
  std::vector<const GroupState*> States() const;
};

}  // namespace shoal
