// HAProxy as the load balancer. The daemon starts and owns one haproxy
// process (Debian's `haproxy`, 2.6) with a generated config: per service a
// frontend on 127.0.0.1:<listen_port> and a backend, plus a stats socket (the
// Runtime API). Members are added, enabled, drained and deleted through the
// Runtime API; the config changes only when services do, and then the new
// process is given the servers of the old one (rendered as config servers,
// their states through the server-state file) so every service keeps
// answering through the reload.
//
// Facts seen on 2.6.12 (and relied on):
// - Servers added at runtime start in maintenance and ignore default-server
//   (check/inter/rise/fall/weight go on `add server`); `add server ... check`
//   does not start the checks (`enable health` does); a server leaving
//   maintenance is UP at once, before any check ran; only `set server health
//   down` issued after `state ready` (in the same command line) makes it wait
//   for `rise` passing checks. Only servers in maintenance can be deleted.
//   `retries` + `option redispatch` avoid a 503 in the window before a dead
//   server is marked down.
// - Runtime servers are lost when the process is replaced or restarted.
//   Servers written in the config start UP with their check health at `rise`
//   (rise 2, fall 3: shown "UP 1/3"): they take traffic before any check
//   ran, and the first failed check takes them DOWN; `disabled` starts them
//   in MAINT. Their checks start by themselves. `set server state` and `del server` (after
//   MAINT) work on them as on runtime servers, and a deleted one can be added
//   again under the same name.
// - `show servers state` written to the `server-state-file` before a reload
//   is applied by the new process (`load-server-state-from-file global`)
//   before it takes traffic, matched by backend and server name (ids differ
//   when a runtime server becomes a config server): DRAIN, MAINT and DOWN
//   (a server waiting for its `rise` checks) carry over. When the state's
//   config-maintenance bit and the config's `disabled` disagree, the config
//   wins (a DRAIN server rendered `disabled` came up MAINT), so a carried
//   server is rendered `disabled` only when it was in forced maintenance. A
//   missing state file is a warning, not an error.
// - A soft reload (-sf) whose listeners cannot bind (a port in use) exits 1,
//   but the new process has already renamed its own stats socket over the
//   old one's path: the old process serves on with no Runtime API. With
//   `expose-fd listeners` on the socket and `-x` the new process takes the
//   old one's sockets, the stats socket included (same inode), so a failed
//   start leaves them as they were, and a successful one refuses no
//   connection (5 reloads under 200 req/s: 0 failed). `-x` against a process
//   without `expose-fd` fails the start (exit 1).
// - A server's hrsp_* columns count the responses it gave to proxied
//   requests, not its health checks (release_traffic_test adds them up to
//   exactly what the load sent, checks every 200 ms running). `rtime` is its
//   mean over the last 1024 requests, or over all of them while it has had
//   fewer (a new server at +80 ms reads ~83 after 300 requests, not a mean
//   diluted by an empty window). Both restart at 0 with the process (seen
//   after a stop and start with the same servers).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

// A server written into a new process's config, carried over from the old
// process (its `show servers state`) or from what the adapter knows.
struct HaproxyServer {
  std::string backend;  // proxy name (BackendProxyName)
  std::string name;
  std::string address;  // an IP literal
  int port = 0;
  bool disabled = false;  // starts in MAINT: not known to serve
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
  // hrsp_1xx..hrsp_5xx + hrsp_other: HTTP responses since the server was
  // added or HAProxy started (counters restart at 0 with the process).
  std::int64_t http_responses = 0;
  // rtime and ttime: HAProxy's mean response time (to the response headers)
  // and total session time in ms, each over the server's last 1024 requests
  // (HAProxy 2.6 management guide, section 9.1), not over any interval.
  std::int64_t response_time_ms = 0;
  std::int64_t total_time_ms = 0;
  std::string check_status;         // L7OK, L4CON, INI, ... (empty without checks)
  std::string address;              // addr: "127.0.0.1:8081" (empty for backend rows, old versions)
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
  // Leaves MAINT for DRAIN (blue/green's held): health-checked, sent no new
  // request; `wait_for_checks` as for Ready.
  Status Hold(const std::string& backend, const std::string& server, bool wait_for_checks);
  Status SetState(const std::string& backend, const std::string& server, const std::string& state);  // ready|drain|maint
  // Puts it in maint first; a server that does not exist counts as deleted.
  Status DeleteServer(const std::string& backend, const std::string& server);
  Result<std::vector<ServerStat>> ShowStat() const;

 private:
  std::string socket_path_;
};

// Parses `show stat` CSV output (the header line starts with "# ").
Result<std::vector<ServerStat>> ParseShowStat(const std::string& csv);

// The servers in `show servers state` output (format version 1; columns found
// by the header's names). Rows whose name, address or port could not be
// written back into a config are left out.
Result<std::vector<HaproxyServer>> ParseServersState(const std::string& text);

// The check and weight options of a server, the same for `add server` and a
// server line of the config.
std::string ServerOptionsText(const HaproxyBackend& check);

// Starts, watches and stops the haproxy process.
class HaproxyProcess {
 public:
  explicit HaproxyProcess(HaproxyOptions options);
  ~HaproxyProcess();  // does not stop haproxy: it outlives the daemon like instances do
  // Writes the config and starts haproxy unless one from the pid file still
  // runs with the same services (adopted). A running one with other services
  // is replaced softly: its sockets are handed over (-x) and its servers,
  // with their states, carried into the new config; `known` servers it does
  // not show (or all of them, when none runs) are written too. Nothing
  // changes when the new process fails: the old one keeps its config file,
  // socket and servers, and a port in use is a kConflict naming it. Waits
  // until the stats socket answers.
  Status Start(const std::vector<HaproxyServer>& known = {});
  bool Running() const;
  Status Stop();  // SIGTERM then SIGKILL; for tests and `shoal down`
  std::string socket_path() const;
  std::string config_path() const;
  std::string pid_path() const;
  std::string state_path() const;
  // The pid in the pid file if that process is a live haproxy, else 0.
  int Pid() const;
  // The pid in the pid file, alive or not (0 without one).
  int RecordedPid() const;
  // `servers` of backends that are not in `options` are left out.
  static std::string RenderConfig(const HaproxyOptions& options, const std::vector<HaproxyServer>& servers = {});

 private:
  Status CheckConfig(const std::string& path) const;
  Status Launch(const std::string& config, int replaces, bool take_sockets);
  Status WaitForSocket() const;

  HaproxyOptions options_;
};

// Ok for an address HAProxy can be given: an IPv4 literal and a port in
// 1..65535 (refused otherwise, naming what is wrong).
Status CheckServerAddress(const InstanceAddress& address);
// "127.0.0.1:8081" (show stat's addr) → the address, if CheckServerAddress passes.
std::optional<InstanceAddress> ParseServerAddress(std::string_view text);

// What a server answered since HAProxy has had it, as of the last Poll.
// responses and errors are cumulative (they restart at 0 when HAProxy
// restarts and its servers are added again: a reader takes a decrease as a
// reset); response_time_ms is HAProxy's rtime, a mean over the server's last
// 1024 requests.
struct ServerCounters {
  std::int64_t responses = 0;         // ServerStat::http_responses
  std::int64_t errors = 0;            // ServerStat::http_responses_5xx
  std::int64_t response_time_ms = 0;  // ServerStat::response_time_ms
};

// The Traffic port on HAProxy: instances are servers named after their id
// (their ids) in the backend of their group.
// Poll() turns status changes seen in `show stat` into kHealthy/kUnhealthy,
// and a drained server with no current sessions into kDrained. It also
// re-adds registered servers missing from `show stat` (HAProxy restarted) and
// adopts servers named like instances that it finds in its backends, with
// the address HAProxy has for them (the daemon restarted, HAProxy did not).
// Addresses must be IPv4 literals: they go into runtime commands and the
// config text, so nothing else may get in.
// Request rates are the stot (sessions = HTTP requests under
// http-server-close) delta between two Polls over the steady-clock time
// between them; HAProxy's own `rate` column is only used for the first Poll.
// All methods may be called from any thread.
class HaproxyTraffic final : public Traffic {
 public:
  HaproxyTraffic(HaproxyRuntime* runtime, std::map<std::string, HaproxyBackend> backend_of_group);
  // New group → backend mapping (after `shoal apply`).
  void SetBackends(std::map<std::string, HaproxyBackend> backend_of_group);
  Status Register(const std::string& group, InstanceId id, const InstanceAddress& address) override;
  Status Drain(const std::string& group, InstanceId id) override;
  Status Deregister(const std::string& group, InstanceId id) override;
  bool CanHold() const override { return true; }
  Status RegisterHeld(const std::string& group, InstanceId id, const InstanceAddress& address) override;
  Status SetServing(const std::string& group, InstanceId id, bool serving) override;
  std::vector<GroupInstanceEvent> Poll() override;
  // Re-adds registered servers that HAProxy lost; Poll calls it too.
  Status Restore();
  // The servers of every member, for a new HAProxy process's config: those
  // not reported up, and draining ones, are `disabled` (Poll readies the
  // former once the process runs).
  std::vector<HaproxyServer> Servers() const;
  // Why the last Poll saw nothing (socket down, ...); Ok after a good Poll.
  Status LastPollStatus() const;
  // Requests per second the group's backend received between the last two
  // Polls: each request once, as an ALB's RequestCount counts it, whether a
  // server took it at once, after retried connects, or never. (A server's
  // own session count is no substitute: HAProxy counts every connect it
  // tries there, so under overload, when connects time out and are retried,
  // it counts a request several times.)
  double BackendRequestRate(const std::string& group) const;
  // The counters of every member `show stat` listed at the last Poll
  // (members not seen yet are left out).
  std::map<InstanceId, ServerCounters> Counters() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shoal
