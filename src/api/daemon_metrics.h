// The daemon's /metrics (docs/API.md lists every family). Counters and
// histograms live in a MetricsRegistry, fed as things happen: committed
// activities, each tick's duration, each API request, every warning or error
// the daemon logs. Gauges (capacity, instances by pool and state, alarms,
// deploys, prices, cost) are read at scrape time from the snapshot the loop
// thread publishes, so a scrape takes no lock the loop holds and shows what
// the API's JSON shows at the same moment.
//
// Cardinality is bounded by the config, never by the fleet: no series is
// per instance, so the output's size does not grow with the instance count.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/config.h"
#include "api/metrics_registry.h"
#include "core/activity.h"
#include "core/decide.h"
#include "core/instance_id.h"
#include "ports/log.h"

namespace shoal {

// What the gauges are read from: one published snapshot.
struct FleetFacts {
  const Config* config = nullptr;
  const std::vector<GroupState>* states = nullptr;       // per config group
  const std::vector<Observation>* observations = nullptr;  // per config group: the last prices seen (may be shorter)
  std::int64_t failed_commits = 0;
  std::int64_t inventory_failures = 0;
};

// The API route an HTTP path belongs to ("/v1/groups/{name}/scale"), or
// "other": a bounded label for any path a client sends.
std::string ApiRoute(std::string_view path);

class DaemonMetrics {
 public:
  DaemonMetrics();

  // A Logger that counts each warn and error event (by event and its "code"
  // field) and passes every event on to `inner`. Owned by this object.
  Logger* CountingLogger(Logger* inner);
  // A committed activity.
  void CountActivity(const Activity& a);
  // One pass of the loop (provider upkeep and the reconciler's tick).
  void TickTook(double seconds);
  // One answered API request.
  void RequestServed(std::string_view method, std::string_view path, int status, double seconds);
  // After each publish (loop thread): counts spot notices and rebalance
  // recommendations new since the last call, by group and pool.
  void NoteFleet(const Config& config, const std::vector<GroupState>& states);

  // The whole exposition text.
  std::string Render(const FleetFacts& facts) const;

  const MetricsRegistry& registry() const { return registry_; }
  MetricsRegistry::Handle activities() const { return activities_; }
  MetricsRegistry::Handle interruptions() const { return interruptions_; }
  MetricsRegistry::Handle fallbacks() const { return fallbacks_; }
  MetricsRegistry::Handle errors() const { return errors_; }
  MetricsRegistry::Handle requests() const { return requests_; }

 private:
  MetricsRegistry registry_;
  MetricsRegistry::Handle activities_, interruptions_, rebalances_, fallbacks_, errors_, requests_, request_seconds_,
      tick_seconds_;
  std::unique_ptr<Logger> counting_logger_;
  std::mutex seen_mu_;  // guards the two sets
  std::set<InstanceId> noticed_, at_risk_;  // instances already counted
};

}  // namespace shoal
