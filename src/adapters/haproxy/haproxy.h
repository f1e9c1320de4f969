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
  Seconds check_interval = 2;
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
};

// The Runtime API over the stats socket (one command per connection).
class HaproxyRuntime {
 public:
  explicit HaproxyRuntime(std::string socket_path);
  // Sends one command, returns the answer text; IoError if the socket fails.
  Result<std::string> Command(const std::string& command) const;
  Status AddServer(const std::string& backend, const std::string& server, const std::string& address, int port,
                   const HaproxyBackend& check);
  Status SetState(const std::string& backend, const std::string& server, const std::string& state);  // ready|drain|maint
  Status DeleteServer(const std::string& backend, const std::string& server);  // puts it in maint first
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
  static std::string RenderConfig(const HaproxyOptions& options);

 private:
  HaproxyOptions options_;
};

// The Traffic port on HAProxy: instances are servers named after their id.
// Poll() turns status changes seen in `show stat` into kHealthy/kUnhealthy,
// and a drained server with no current sessions into kDrained.
class HaproxyTraffic final : public Traffic {
 public:
  // `address_of` gives the 127.0.0.1 port of an instance (from the cloud).
  HaproxyTraffic(HaproxyRuntime* runtime, std::map<std::string, HaproxyBackend> backend_of_group,
                 std::function<int(InstanceId)> port_of);
  Status Register(const std::string& group, InstanceId id) override;
  Status Drain(const std::string& group, InstanceId id) override;
  Status Deregister(const std::string& group, InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;
  // Requests per second per server and per backend, from the last Poll.
  std::map<InstanceId, double> RequestRates() const;
  double BackendRequestRate(const std::string& backend) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace shoal
