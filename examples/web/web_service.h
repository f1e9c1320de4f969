// The example service's endpoints, registered on an httplib server.
#pragma once

#include <chrono>
#include <string>

#include <httplib.h>

#include "web_behaviour.h"
#include "web_metrics.h"

namespace shoal::web {

struct WebConfig {
  std::string dir = ".";                // holds the "health" marker file
  std::chrono::milliseconds cpu{20};    // CPU burnt per GET /
  std::string version = "1";
  std::string instance_id;              // SHOAL_INSTANCE_ID, else the pid
  Behaviour behaviour;                  // errors and extra latency on GET /
};

// GET /        sleeps behaviour.delay, burns config.cpu of CPU, answers
//              "ok <instance> v<version>\n", or 500 "error <instance> v<version>\n"
//              for the share behaviour.error_basis_points of requests
// GET /health  200 "healthy" when <dir>/health exists, else 503
// GET /metrics Prometheus text format
// `config` and `metrics` must outlive the server.
void RegisterRoutes(httplib::Server& server, const WebConfig& config, WebMetrics& metrics);

// The instance id to report: SHOAL_INSTANCE_ID when set, else the pid.
std::string InstanceIdFromEnvironment();

}  // namespace shoal::web
