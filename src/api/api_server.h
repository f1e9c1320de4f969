// The HTTP JSON API under /v1/ (cpp-httplib behind GuardedServer, which
// bounds connections, time and sizes). Every endpoint but /healthz needs
// `Authorization: Bearer <token>` (401 otherwise); a malformed request gets a
// 4xx with {"error": "..."} naming the field, and changes nothing. Bodies
// and query strings are parsed in api_requests.h.
//
//   GET  /healthz
//   GET  /metrics                        Prometheus text format (daemon_metrics.h)
//   GET  /v1/groups                      GET /v1/groups/{name}
//   POST /v1/groups/{name}/scale         {"desired": N}
//   GET  /v1/instances[?group=G]
//   GET  /v1/activities[?group=G&after=SEQ | &before=SEQ&since=UNIX][&limit=N]
//   POST /v1/spot/interrupt              {"instance": "i-…"} | {"pool": "type/zone"}
//   POST /v1/spot/shortage               {"pool": "type/zone", "seconds": N}
//   POST /v1/plan | /v1/apply            {"config": "<yaml>", "source": "file.yaml"}
//   POST /v1/agent/events                {"instance": "i-…", "event": "spot-interruption", "time": "…"}
#pragma once

#include <memory>
#include <string>

#include "api/guarded_server.h"
#include "core/status.h"

namespace shoal {

class Daemon;

// HOST:PORT of `--api`: a loopback or private IPv4 address (or localhost,
// ::1) and a port from 1 to 65535. The error names what is wrong.
struct ApiAddress {
  std::string host;
  int port = 0;
};
Result<ApiAddress> ParseApiAddress(const std::string& text);

class ApiServer {
 public:
  explicit ApiServer(const ConnectionLimits& limits = {});
  ~ApiServer();
  // Checks and binds host:port, so a taken or refused address fails before
  // the daemon starts anything; connections wait in the backlog until Serve.
  Status Bind(const std::string& host, int port);
  // Serves `daemon`'s operations on the bound socket, on a thread.
  void Serve(Daemon* daemon);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal
