// `shoal simulate`: the controller and the decision core, driven by a virtual
// clock through the simulated world over a real traffic trace.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "adapters/sim/faults.h"
#include "adapters/sim/sim_world.h"
#include "core/activity.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

// A deploy replayed in the simulator: at `at` seconds into the trace, the
// operator deploys release `to_version` to `group` (its `deploy:` settings),
// whose instances behave as `release` says.
struct SimDeployPlan {
  std::string group;
  Seconds at = 0;
  int to_version = 0;
  SimRelease release;
  bool blue_green = false;  // ",blue-green": the blue/green strategy (keep_old from the group's deploy:)
};

// "web@2h=2", "web@90m=3,errors=5", "web@1h=2,unhealthy", "web@1h=2,latency_ms=80", "web@1h=2,blue-green".
Result<SimDeployPlan> ParseSimDeploy(std::string_view text);

// How a replayed deploy ended (or where it was when the trace ended).
struct SimDeployOutcome {
  std::string group;
  std::int64_t id = 0;
  int from_version = 0;
  int to_version = 0;
  std::string phase;
  std::string result;
  Seconds started_at = -1;  // trace seconds; -1: never started
  Seconds ended_at = -1;
};

// The environment: what no operator chooses (see SimEnvironment).
struct SimOptions {
  int peak_instances = 40;        // the trace's peak minute needs this many units at 100% CPU
  // > 0: the requests per minute that need peak_instances, instead of the
  // trace's own peak (a part of a trace keeps the whole trace's scale).
  double scale_peak_rpm = 0;
  std::uint64_t seed = 1;
  Seconds boot_seconds = 180;     // launch → in service, mean
  Seconds warm_start_seconds = 60;  // a stopped warm-pool instance's start → in service, mean
  Seconds notice_seconds = 120;
  double interruption_scale = 1;  // multiplies every pool's Advisor rate
  // Rebalance recommendations ahead of burst interruptions (SimEnvironment).
  double rebalance_fraction = 0.6;
  Seconds rebalance_lead_min = 10 * kMinute;
  Seconds rebalance_lead_max = 60 * kMinute;
  std::string region = "us-east-1";
  std::string baseline_type = "m4.large";  // static baseline: this type, on-demand
  int warmup_minutes = 10;        // run before minute 0 at the first minute's demand, not counted
  // Faults (the fault swarm): the control plane runs on a real SQLite store
  // behind fault decorators, may crash and restart, and every invariant of
  // sim/invariants.h is checked. stop_at < 0: faults stop three quarters
  // into the trace.
  std::optional<FaultSpec> faults;
  std::vector<SimDeployPlan> deploys;  // operator deploys to replay
  // > 0: also report the run's cost and losses before and from this trace
  // minute (SimReport::split), so a trace can be judged on a later part
  // that its earlier part's history leads into, in one run.
  std::int64_t split_minute = 0;
  std::ostream* log = nullptr;    // the control plane's structured log, stamped with simulated time (optional)
};

struct SimSeries {
  std::vector<float> demand_units;        // per trace minute: demand in capacity units (100% CPU)
  std::vector<float> capacity_units;      // in service (time-averaged over the minute)
  std::vector<float> on_demand_units;     // in service
  std::vector<float> lost_requests;
  std::vector<std::string> pool_names;    // market pools ("m4.large/us-east-1a")
  std::vector<std::vector<float>> pool_units;  // [pool][minute]
};

// What the predictive policies' headroom (headroom_quantile) costs: the same
// run (same seed, same world) with every headroom_quantile at 0, compared.
struct HeadroomCost {
  std::vector<double> quantiles;     // of the policies that keep headroom
  double cost_usd = 0;               // cost with headroom minus cost without
  double cost_without_usd = 0;
  double lost_requests_without = 0;
  double lost_pct_without = 0;
  int hot_minutes_without = 0;
};

// A run's figures before and from a trace minute (SimOptions::split_minute).
struct SimSplitPart {
  double cost_usd = 0;
  double lost_requests = 0;
  double total_requests = 0;
  double lost_pct() const { return total_requests > 0 ? 100.0 * lost_requests / total_requests : 0; }
};
struct SimSplit {
  std::int64_t minute = 0;
  SimSplitPart before;
  SimSplitPart from;
};

struct SimReport {
  std::string config;
  std::string trace;
  std::int64_t minutes = 0;
  Seconds trace_start = 0;  // simulated time of trace minute 0 (after the warm-up)
  double total_requests = 0;
  int peak_instances = 0;
  std::uint64_t seed = 0;
  double cost_usd = 0;
  double static_ondemand_cost_usd = 0;
  int static_ondemand_instances = 0;
  double oracle_cost_usd = 0;
  double savings_pct = 0;
  double cost_to_oracle = 0;
  double lost_requests = 0;
  double lost_pct = 0;
  int hot_minutes = 0;
  int interruptions = 0;
  int rebalance_recommendations = 0;
  int replacements = 0;
  int fallbacks_to_ondemand = 0;
  int activities = 0;
  int max_instances = 0;
  double mean_utilization = 0;
  double spot_instance_hours = 0;
  double stopped_disk_cost_usd = 0;  // part of cost_usd: warm-pool instances' disks while stopped
  double ondemand_instance_hours = 0;
  std::string fingerprint;  // hash of the activity log: equal runs have equal fingerprints
  std::vector<std::string> price_sources;
  std::vector<Activity> activity_log;
  std::vector<SimDeployOutcome> deploys;
  SimSeries series;
  // With faults.
  bool faulty = false;
  std::string fault_spec;                            // as given, normalised
  Seconds faults_stop = -1;                          // simulated second the faults stopped
  std::map<std::string, std::int64_t> faults_injected;  // by kind
  int restarts = 0;                                  // control-plane crashes recovered
  std::vector<std::string> violations;               // broken invariants, described
  std::optional<HeadroomCost> headroom;              // set by MeasureHeadroom
  std::optional<SimSplit> split;                     // with SimOptions::split_minute
};

// Fails with a clear message when the config uses a pool the price tables
// cannot price, or the trace is empty.
// When a policy of `config` keeps headroom, runs the simulation again with
// none and records in `r` what the headroom cost and what it saved; does
// nothing otherwise, or with faults (a faulty run is not comparable).
Status MeasureHeadroom(const Config& config, const Trace& trace, const PriceTables& prices,
                       const SimOptions& options, SimReport* r);

Result<SimReport> RunSimulation(const Config& config, const Trace& trace, const PriceTables& prices,
                                const SimOptions& options);

}  // namespace shoal
