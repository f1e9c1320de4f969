// A provider: where `shoal serve` runs instances, seen by the daemon only
// through the ports the reconciler takes (Cloud, Traffic, Metrics) and the
// upkeep a provider does between ticks. The daemon builds one with
// MakeProvider (make_provider.h) from the config's `provider:` section and
// never names a concrete adapter; the simulator builds its own ports.
//
// Every method runs on the daemon's loop thread (or before the loop starts).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "core/activity.h"
#include "core/decide.h"
#include "core/status.h"
#include "ports/clock.h"
#include "ports/cloud.h"
#include "ports/log.h"
#include "ports/traffic.h"

namespace shoal {

// What the daemon gives a provider: its directories, addresses and helpers.
struct ProviderContext {
  std::string data_dir;      // absolute
  std::string config_path;   // launch commands may be relative to it
  std::string api_url;       // the daemon's API, where agents report (http://host:port)
  int api_port = 0;          // no service may take it
  std::string shoal_binary;  // the agent's binary
  // The credential of one instance's agent (only its own events).
  std::function<std::string(InstanceId)> agent_credential;
  // The same, keyed by the launch token, for a provider that writes the
  // credential before the cloud names the instance (AWS user data).
  std::function<std::string(const std::string& launch_token)> launch_credential;
  std::string spot_prices_csv, on_demand_csv, advisor_csv;  // the local price feed (empty: flat)
  Seconds notice_seconds = 120;
  double cores = 0;
  const Clock* clock = nullptr;
  Logger* log = nullptr;
  // Records an activity of a group (a load balancer restart, ...).
  std::function<void(Activity)> record;
};

// A spot notice an operator's drill gave (`shoal interrupt`).
struct DrillNotice {
  InstanceId id;
  Seconds issued = 0;
  Seconds terminate_at = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual Cloud* cloud() = 0;
  virtual Traffic* traffic() = 0;
  virtual Metrics* metrics() = 0;

  // Once the reconciler has restored its state: clean-up of what a previous
  // run left. Returns a line for the start-up log ("key=value ...").
  virtual std::string Started() = 0;
  // Before each tick: sampling metrics, watching the load balancer.
  // `states[g]` is the state of config group g.
  virtual void BeforeTick(Seconds now, const std::vector<const GroupState*>& states) = 0;
  // An apply: takes the new config before the reconciler does. On an error
  // nothing changed (the old config keeps running).
  virtual Status Reconfigure(const Config& next) = 0;
  // The version a deploy of `ref` ("latest", "latest-stable", N) of
  // `service` moves to: a complete release in the configured store.
  virtual Result<int> ResolveRelease(const std::string& service, const std::string& ref) = 0;

  // Spot drills (`shoal interrupt`, `shoal shortage`): the local provider
  // plays the spot market; a real cloud's market cannot be told to.
  virtual Result<DrillNotice> Interrupt(InstanceId id, Seconds now) = 0;
  virtual Result<std::vector<DrillNotice>> InterruptPool(const std::string& pool, Seconds now) = 0;
  virtual Status SetShortage(const std::string& pool, Seconds until) = 0;
};

}  // namespace shoal
