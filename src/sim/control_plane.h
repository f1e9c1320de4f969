// The control plane of one simulated world: the same Reconciler the daemon
// runs, wired to the simulated world through the ports — directly, or
// through the fault decorators with a real SQLite state store on a temporary
// file, in which case it may crash at any call of a tick and restart (after
// a short downtime) from that store through Restore and adoption.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sim/faults.h"
#include "adapters/sim/sim_world.h"
#include "adapters/sqlite/sqlite_state_store.h"
#include "controller/reconciler.h"

namespace shoal {

class SimControlPlane {
 public:
  // `faults` empty: no decorators, no store (the plain simulator).
  static Result<std::unique_ptr<SimControlPlane>> Create(std::vector<GroupSpec> groups, SimWorld* world,
                                                         ActivitySink* activities, Logger* log,
                                                         const std::optional<FaultSpec>& faults,
                                                         std::uint64_t seed);
  ~SimControlPlane();
  SimControlPlane(const SimControlPlane&) = delete;
  SimControlPlane& operator=(const SimControlPlane&) = delete;

  // World events of the minute that starts now (fault bursts).
  void EachMinute();
  // Ticks a living control plane, or restarts a crashed one whose downtime
  // is over. Fails only when the store cannot be reopened.
  Status Tick(Seconds now);

  bool up() const { return controller_ != nullptr; }
  // An operator's `shoal deploy` (kUnavailable while the plane is down).
  Status StartDeploy(const std::string& group, DeployRequest request);
  const Reconciler* controller() const { return controller_.get(); }
  const FaultInjector* faults() const { return faults_.get(); }
  const LaunchLedger& ledger() const { return ledger_; }
  int restarts() const { return restarts_; }

 private:
  SimControlPlane() = default;
  Status Start(Seconds now);

  std::vector<GroupSpec> groups_;
  SimWorld* world_ = nullptr;
  ActivitySink* activities_ = nullptr;
  Logger* log_ = nullptr;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<FaultyCloud> cloud_;
  std::unique_ptr<FaultyTraffic> traffic_;
  std::unique_ptr<FaultyLogger> faulty_log_;
  std::string store_dir_;
  std::unique_ptr<SqliteStateStore> store_;
  std::unique_ptr<FaultyStore> faulty_store_;
  LaunchLedger ledger_;
  std::unique_ptr<Reconciler> controller_;
  Seconds restart_at_ = 0;
  int restarts_ = 0;
};

}  // namespace shoal
