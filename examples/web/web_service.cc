#include "web_service.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cpu_burn.h"

namespace shoal::web {
namespace {

void ServeWork(const WebConfig& config, WebMetrics& metrics, httplib::Response& res) {
  InFlightScope scope(metrics);
  const std::uint64_t n = metrics.NextRequestNumber();
  if (config.behaviour.delay.count() > 0) std::this_thread::sleep_for(config.behaviour.delay);
  const BurnResult burn = BurnCpu(config.cpu);
  scope.SetCpuSeconds(burn.cpu_seconds);
  // A failing request costs what a good one does, so the error share and
  // the latency can be set apart.
  if (IsErrorRequest(n, config.behaviour.error_basis_points)) {
    metrics.ErrorAnswered();
    res.status = 500;
    res.set_content("error " + config.instance_id + " v" + config.version + "\n", "text/plain");
    return;
  }
  res.set_content("ok " + config.instance_id + " v" + config.version + "\n", "text/plain");
}

// The provisioning step writes <dir>/health last, so its presence means the
// instance is fully set up; until then the load balancer must keep it out.
void ServeHealth(const WebConfig& config, httplib::Response& res) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(config.dir) / "health", ec)) {
    res.set_content("healthy\n", "text/plain");
    return;
  }
  res.status = 503;
  res.set_content("not provisioned\n", "text/plain");
}

}  // namespace

void RegisterRoutes(httplib::Server& server, const WebConfig& config, WebMetrics& metrics) {
  server.Get("/", [&config, &metrics](const httplib::Request&, httplib::Response& res) {
    ServeWork(config, metrics, res);
  });
  server.Get("/health", [&config](const httplib::Request&, httplib::Response& res) {
    ServeHealth(config, res);
  });
  server.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.RenderPrometheus(), "text/plain; version=0.0.4");
  });
}

std::string InstanceIdFromEnvironment() {
  const char* id = std::getenv("SHOAL_INSTANCE_ID");
  if (id != nullptr && *id != '\0') return id;
  return std::to_string(getpid());
}

}  // namespace shoal::web
