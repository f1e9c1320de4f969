// HAProxy as the load balancer. The daemon starts and owns one haproxy
// process (Debian's `haproxy`, 2.6) with a generated base config: per service
// a frontend on 127.0.0.1:<listen_port> and a backend with no servers, plus a
// stats socket (the Runtime API). Members are added, enabled, drained and
// deleted through the Runtime API — never by reloading. Facts seen on 2.6:
// servers added at runtime start in maintenance and ignore default-server
// (check/inter/rise/fall/weight go on `add server`); only servers in
// maintenance can be deleted; runtime servers are lost when HAProxy
// restarts, so the reconcile loop re-adds them; `retries` + `option
// redispatch` avoid a 503 in the window before a dead server is marked down.
// Also seen on 2.6: `add server ... check` does not start the checks
// (`enable health` does), and a server leaving maintenance is UP at once,
// before any check ran; only `set server health down` issued after `state
// ready` (in the same command line) makes it wait for `rise` passing checks.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ports/traffic.h"

namespace shoal {

struct HaproxyBackend {
  std::string name;     // the service (backend and frontend are named after it)
  int listen_port = 0;  // frontend on 127.0.0.1
  std::string health_path = "/health";
  int check_interval_ms = 2000;  // HAProxy takes milliseconds: tests check every 200 ms
  int rise = 2;
  int fall = 3;
};

struct HaproxyOptions {
  std::string haproxy_binary = "/usr/sbin/haproxy";
  std::string run_dir;  // config, pid file, stats socket, log live here
  std::vector<HaproxyBackend> backends;
};

// One row of `show stat` for a server (or the backend's own row).
struct ServerStat {
  std::string backend;
  std::string server;   // "BACKEND" for the backend row
  std::string status;   // UP, DOWN, MAINT, DRAIN, "UP 1/2", ...
  std::int64_t current_sessions = 0;
  std::int64_t total_sessions = 0;  // stot: requests (sessions) since start
  std::int64_t request_rate = 0;    // rate: sessions per second over the last second
  std::int64_t http_responses_5xx = 0;
  std::string check_status;         // L7OK, L4CON, INI, ... (empty without checks)
};

// HAProxy names allow more than this, but a service name lands in the config
// text: anything outside [a-z0-9_-] becomes '_' (upper case is lowered).
std::string SanitizeHaproxyName(const std::string& name);
// The proxy names of a service: "be_<name>" and "fe_<name>", sanitised.
std::string BackendProxyName(const std::string& service);
std::string FrontendProxyName(const std::string& service);

// The Runtime API over the stats socket (one command per connection).
// `backend` is the HAProxy proxy name (BackendProxyName), as in `show stat`.
class HaproxyRuntime {
 public:
  explicit HaproxyRuntime(std::string socket_path);
  // Sends one command line, returns the answer text; IoError if the socket fails.
  Result<std::string> Command(const std::string& command) const;
  // Adds the server with its checks and enables them; it stays in MAINT
  // (no traffic) until Ready or SetState.
  Status AddServer(const std::string& backend, const std::string& server, const std::string& address, int port,
                   const HaproxyBackend& check);
  // Leaves MAINT. With `wait_for_checks` it is held DOWN until `rise` checks
  // pass; without, it takes traffic at once (a server that was UP before a
  // HAProxy restart keeps serving while its checks confirm it).
  Status Ready(const std::string& backend, const std::string& server, bool wait_for_checks);
  Status SetState(const std::string& backend, const std::string& server, const std::string& state);  // ready|drain|maint
  // Puts it in maint first; a server that does not exist counts as deleted.
  Status DeleteServer(const std::string& backend, const std::string& server);
  Result<std::vector<ServerStat>> ShowStat() const;

 private:
  std::string socket_path_;
};

// Parses `show stat` CSV output (the header line starts with "# ").
Result<std::vector<ServerStat>> ParseShowStat(const std::string& csv);

// Starts, watches and stops the haproxy process.
class HaproxyProcess {
 public:
  explicit HaproxyProcess(HaproxyOptions options);
  ~HaproxyProcess();  // does not stop haproxy: it outlives the daemon like instances do
  // Writes the config and starts haproxy unless one from the pid file still
  // runs (adopted). Waits until the stats socket answers.
  Status Start();
  bool Running() const;
  Status Stop();  // SIGTERM then SIGKILL; for tests and `shoal down`
  std::string socket_path() const;
  std::string config_path() const;
  std::string pid_path() const;
  // The pid in the pid file if that process is a live haproxy, else 0.
  int Pid() const;
  static std::string RenderConfig(const HaproxyOptions& options);

 private:
  Status CheckConfig() const;
  Status Launch(int replaces);
  Status WaitForSocket() const;

  HaproxyOptions options_;
};

// The Traffic port on HAProxy: instances are servers named after their id
// (FormatInstanceId) in the backend of their group.
// Poll() turns status changes seen in `show stat` into kHealthy/kUnhealthy,
// and a drained server with no current sessions into kDrained. It also
// re-adds registered servers missing from `show stat` (HAProxy restarted) and
// adopts i-<hex> servers it finds in its backends (the daemon restarted).
// Request rates are the stot (sessions = HTTP requests under
// http-server-close) delta between two Polls over the steady-clock time
// between them; HAProxy's own `rate` column is only used for the first Poll.
// All methods may be called from any thread.
class HaproxyTraffic final : public Traffic {
 public:
  // `port_of` gives the 127.0.0.1 port of an instance (from the cloud); 0 if unknown.
  HaproxyTraffic(HaproxyRuntime* runtime, std::map<std::string, HaproxyBackend> backend_of_group,
                 std::function<int(InstanceId)> port_of);
  // New group → backend mapping (after `shoal apply`).
  void SetBackends(std::map<std::string, HaproxyBackend> backend_of_group);
  Status Register(const std::string& group, InstanceId id) override;
  Status Drain(const std::string& group, InstanceId id) override;
  Status Deregister(const std::string& group, InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;
  // Re-adds registered servers that HAProxy lost; Poll calls it too.
  Status Restore();
  // Why the last Poll saw nothing (socket down, ...); Ok after a good Poll.
  Status LastPollStatus() const;
  // Requests per second per server and per group's backend, from the last Poll.
  std::map<InstanceId, double> RequestRates() const;
  double BackendRequestRate(const std::string& group) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shoal
