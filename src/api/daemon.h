// `shoal serve`: the daemon. It owns the live world — the local provider's
// instances, HAProxy, the spot market and the instance metadata endpoints —
// keeps its state in SQLite, runs the reconcile loop on the real clock and
// serves the authenticated HTTP API. The Reconciler it drives is the same one
// the simulator drives.
//
// Threads: the loop thread ticks the Reconciler once a second; the API
// server's threads read snapshots and queue requests. One mutex guards the
// Reconciler and the provider.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_requests.h"
#include "core/status.h"

namespace shoal {

struct DaemonOptions {
  std::string config_path;
  std::string data_dir;
  std::string api_host = "127.0.0.1";
  int api_port = 7400;
  std::string shoal_binary;      // for the spot agents; default /proc/self/exe
  std::string spot_prices_csv;   // price feed; empty: bundled data, else a flat price
  std::string on_demand_csv;
  std::string advisor_csv;
  std::int64_t notice_seconds = 120;
  std::int64_t tick_millis = 1000;
  double cores = 0;  // CPU cores the local instances may use together (0: this machine's)
};

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> Create(const DaemonOptions& options);
  ~Daemon();

  // Serves the API and runs the loop until Stop() (or SIGTERM/SIGINT through
  // the CLI). Instances and HAProxy keep running after it returns.
  Status Run();
  void Stop();

  // The API's operations; each takes the lock. JSON text in and out, so the
  // HTTP layer stays thin and testable.
  std::string GroupsJson();
  Result<std::string> GroupJson(const std::string& name);
  std::string InstancesJson(const std::string& group);
  // The Ansible dynamic inventory (an inventory script's --list JSON).
  std::string InventoryJson();
  Result<std::string> ActivitiesJson(const ActivitiesQuery& query);
  // GET /v1/logs: the lines of the embedded log store (docs/LOGS.md).
  Result<std::string> LogsJson(const LogQuery& query);
  // The dashboard's charts: the group's last `minutes` minutes (1..1440).
  Result<std::string> GroupHistoryJson(const std::string& group, int minutes);
  Result<std::string> Scale(const std::string& group, int desired);
  // `shoal deploy` / `shoal revert`: the group's JSON with its deploy.
  Result<std::string> Deploy(const std::string& group, const DeployApiRequest& request);
  Result<std::string> Revert(const std::string& group);
  Result<std::string> InterruptInstance(const std::string& instance);
  Result<std::string> InterruptPool(const std::string& pool);
  // No spot capacity in `pool` for `seconds`: spot launches there fail.
  Result<std::string> Shortage(const std::string& pool, std::int64_t seconds);
  Result<std::string> AgentEvent(const std::string& instance, const std::string& event);
  // Whether `credential` is the agent credential of `instance` (i-...).
  bool AgentMayReport(const std::string& credential, const std::string& instance) const;
  // `shoal plan` / `shoal apply`: the YAML text of a config (source names it
  // in messages). Plan only reports; apply also makes it so.
  Result<std::string> Plan(const std::string& yaml, const std::string& source);
  Result<std::string> Apply(const std::string& yaml, const std::string& source);
  // GET /metrics: Prometheus' text format (daemon_metrics.h).
  std::string MetricsText();
  // One answered API request, for /metrics.
  void RequestServed(std::string_view method, std::string_view path, int status, double seconds);
  const std::string& token() const;
  int api_port() const;

 private:
  struct Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal
