// Faults for the simulated world (the fault swarm, `shoal swarm` and
// `shoal simulate --faults`): decorators around the ports the controller
// uses — the cloud, the load balancer and the state store — that fail calls
// with typed errors, lose answers, delay facts, throttle in bursts, restart
// the load balancer, issue notices in bursts and crash the control plane at
// an arbitrary call of a tick. They forward to the real ones otherwise
// (LevelDB's ErrorEnv, FoundationDB's simulator). One seeded generator per
// world, so a seed replays byte-identically.
//
// A crash is modelled without exceptions: from the crash point on every call
// of the dead controller fails without reaching the world or the store
// (the process is gone; nothing it does afterwards has effects), and the
// runner then replaces the controller with a fresh one that Restores from
// the store. The crash point is either just before a call (not made) or just
// after it (made, its answer lost with the process).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include "adapters/sim/sim_world.h"
#include "ports/cloud.h"
#include "ports/log.h"
#include "ports/state_store.h"
#include "ports/traffic.h"

namespace shoal {

// Rates: per call for call faults, per simulated minute for world events,
// per tick for crashes.
struct FaultSpec {
  double launch_error = 0;     // a launch fails with a typed error (unavailable, throttled, capacity, permission, limit, invalid)
  double launch_lost = 0;      // a launch is made but its answer lost (the caller sees unavailable)
  double terminate_error = 0;  // a terminate fails (unavailable, throttled, permission)
  double register_error = 0;   // the load balancer refuses a register (unavailable)
  double drain_error = 0;      // ... a drain
  double poll_error = 0;       // a poll fails: its facts come with a later poll
  double describe_error = 0;   // the cloud cannot list its instances now
  double store_error = 0;      // a state commit fails and writes nothing
  double throttle_burst = 0;   // every cloud call is throttled for 30 s to 5 min
  double lb_restart = 0;       // the load balancer restarts and forgets its servers for a few seconds
  double notice_burst = 0;     // half of one spot pool's instances get notices at once
  double crash = 0;            // the control plane dies at a random call of the tick and restarts
  // Faults stop at this simulated second (the runner sets the default: three
  // quarters into the trace), after which the world must converge.
  Seconds stop_at = -1;

  bool any() const;
};

// "default" (every kind at a moderate rate), "none", or comma-separated
// `kind=rate` pairs on top of none ("launch_error=0.05,crash=0.002"); rates
// in [0, 1]. Errors name the bad part.
Result<FaultSpec> ParseFaultSpec(std::string_view text);
FaultSpec DefaultFaultSpec();
std::string FormatFaultSpec(const FaultSpec& spec);

// Draws every fault of one world and counts what it injected.
class FaultInjector {
 public:
  FaultInjector(FaultSpec spec, std::uint64_t seed, const Clock* clock);

  const FaultSpec& spec() const { return spec_; }
  bool active() const;
  // World events due this minute (throttle bursts, LB restarts, notice bursts).
  void EachMinute(SimWorld& world);
  // A new tick of a living controller: decides whether it crashes and at
  // which of its calls.
  void BeginTick();
  // Every port call asks first. Returns false when the controller is dead
  // (the call must not reach the world). After `*answer_lost` is set, the
  // call is made but the controller dies right after it.
  bool Enter(bool* answer_lost);
  // The tick ended before its crash point: it dies between ticks.
  void EndTick();
  bool crashed() const { return crashed_; }
  void Restarted() { crashed_ = false; }
  // A call fault of probability `rate`, counted under `kind` when drawn.
  bool Draw(double rate, const char* kind);
  double Uniform() { return uniform_(rng_); }
  bool Throttled() const;
  void Count(const std::string& kind) { ++counts_[kind]; }
  const std::map<std::string, std::int64_t>& counts() const { return counts_; }

 private:
  FaultSpec spec_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  const Clock* clock_;
  Seconds throttled_until_ = 0;
  bool crashed_ = false;
  std::int64_t calls_this_tick_ = 0;
  std::int64_t crash_at_call_ = -1;  // -1: this tick does not crash
  std::map<std::string, std::int64_t> counts_;
};

// What the world received, for the swarm's "one launch per token" check.
struct LaunchLedger {
  std::map<std::string, LaunchRequest> first_request;  // by token
  std::set<std::string> made;                          // tokens the cloud made an instance for
  std::vector<std::string> mismatches;                 // a token asked again for a different launch
};

class FaultyCloud final : public Cloud {
 public:
  FaultyCloud(Cloud* inner, FaultInjector* faults, LaunchLedger* ledger);
  Result<LaunchedInstance> Launch(const LaunchRequest& request) override;
  Status Terminate(InstanceId id) override;
  Status Stop(InstanceId id) override;
  Status Start(InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;
  PoolObservation Pool(const std::string& instance_type, const std::string& zone) override;
  double OnDemandPrice(const std::string& instance_type) override;
  Result<std::vector<DescribedInstance>> Describe() override;

 private:
  Cloud* inner_;
  FaultInjector* faults_;
  LaunchLedger* ledger_;
};

class FaultyTraffic final : public Traffic {
 public:
  FaultyTraffic(Traffic* inner, FaultInjector* faults);
  Status Register(const std::string& group, InstanceId id, const InstanceAddress& address) override;
  Status Drain(const std::string& group, InstanceId id) override;
  Status Deregister(const std::string& group, InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;

 private:
  Traffic* inner_;
  FaultInjector* faults_;
};

class FaultyStore final : public StateStore {
 public:
  FaultyStore(StateStore* inner, FaultInjector* faults);
  Status Commit(const StoreWrite& write) override;
  Result<std::vector<MetricRow>> LoadMetrics(const std::string& group, std::int64_t from_minute) override;
  Status PruneActivities(Seconds before) override;
  Result<std::optional<GroupState>> LoadGroupState(const GroupSpec& spec) override;
  Result<std::vector<StoredActivity>> ListActivities(const std::string& group, std::int64_t after_seq,
                                                     int limit) override;
  Result<std::vector<StoredActivity>> ListLatestActivities(const std::string& group, std::int64_t before_seq,
                                                           std::int64_t since, int limit) override;
  Status SaveLastConfig(const ConfigRecord& record) override;
  Result<std::optional<ConfigRecord>> LoadLastConfig() override;

 private:
  StateStore* inner_;
  FaultInjector* faults_;
};

// Drops what a dead controller logs.
class FaultyLogger final : public Logger {
 public:
  FaultyLogger(Logger* inner, const FaultInjector* faults) : inner_(inner), faults_(faults) {}
  void Write(const LogEvent& event) override {
    if (!faults_->crashed() && inner_ != nullptr) inner_->Write(event);
  }

 private:
  Logger* inner_;
  const FaultInjector* faults_;
};

}  // namespace shoal
