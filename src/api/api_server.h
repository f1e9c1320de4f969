// The HTTP JSON API under /v1/ (cpp-httplib). Every endpoint but /healthz
// needs `Authorization: Bearer <token>` (401 otherwise); a malformed request
// gets a 4xx with {"error": "..."} and changes nothing.
//
//   GET  /healthz
//   GET  /v1/groups                      GET /v1/groups/{name}
//   POST /v1/groups/{name}/scale         {"desired": N}
//   GET  /v1/instances[?group=G]
//   GET  /v1/activities[?group=G&after=SEQ&limit=N]
//   POST /v1/spot/interrupt              {"instance": "i-…"} | {"pool": "type/zone"}
//   POST /v1/spot/shortage               {"pool": "type/zone", "seconds": N}
//   POST /v1/plan | /v1/apply            {"config": "<yaml>", "source": "file.yaml"}
//   POST /v1/agent/events                {"instance": "i-…", "event": "spot-interruption", "time": "…"}
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/status.h"

namespace shoal {

class Daemon;

class ApiServer {
 public:
  explicit ApiServer(Daemon* daemon);
  ~ApiServer();
  // Binds host:port (a loopback or private address) and serves on a thread.
  Status Start(const std::string& host, int port);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal
