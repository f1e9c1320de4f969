// Instances and their lifecycle state machine.
//
//   pending ──▶ provisioning ──▶ in-service ──▶ draining ──▶ terminating ──▶ terminated
//      │             │               │  ▲                        ▲               ▲
//      │             ▼               ▼  │(never)                 │               │
//      ├────────▶ unhealthy ◀────────┘   ────────────────────────┤               │
//      │             └────────────────────────▶ draining / ──────┘               │
//      └──▶ interrupted (spot notice, from any live state) ──▶ draining          │
//                                                                                │
// terminating: Shoal asked the cloud to terminate it (or is about to); it
// stays tracked, and the request is retried, until the cloud confirms it
// gone. Every state may also go straight to terminated (the cloud took it).
//
// The warm pool (GroupSpec::warm_pool, docs/POLICY.md) adds three states:
//
//   warming ──▶ stopped ──▶ starting ──▶ in-service ──▶ draining ──▶ stopped
//   (launched,   (booted and   (start asked;                  (back to the
//    booting,     provisioned   counts toward                  pool when it
//    provisioning) once, then    capacity)                     has room)
//                 stopped: only
//                 its disk is billed)
//
// warming and stopped do not count toward capacity; starting does. A
// starting instance scaled in before it serves is stopped again.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "core/instance_id.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

enum class Market : std::uint8_t { kOnDemand, kSpot };

enum class InstanceState : std::uint8_t {
  kPending,       // asked of the cloud, not yet booted
  kProvisioning,  // booted, running the setup step (artifact, provisioning)
  kInService,     // provisioned and healthy: takes traffic
  kDraining,      // no new requests; finishing in-flight ones before termination
  kTerminated,    // gone; final
  kUnhealthy,     // failed provisioning or health checks; will be replaced
  kInterrupted,   // got a spot interruption notice; the cloud will take it
  kTerminating,   // termination asked of the cloud (or about to be); not yet confirmed gone
  kWarming,       // launched into the warm pool: booting and provisioning, then stopped
  kStopped,       // a warm-pool instance held stopped (only its disk is billed)
  kStarting,      // a stopped warm-pool instance asked to start: joins like a launch, sooner
};

std::string_view ToString(InstanceState s);
std::string_view ToString(Market m);
bool ParseInstanceState(std::string_view text, InstanceState* out);

bool IsLegalTransition(InstanceState from, InstanceState to);

// Counts toward the group's capacity (desired): alive and not on its way out.
constexpr bool CountsTowardCapacity(InstanceState s) {
  return s == InstanceState::kPending || s == InstanceState::kProvisioning ||
         s == InstanceState::kInService || s == InstanceState::kStarting;
}

constexpr int kOnDemandPool = -1;  // pool index of on-demand instances

// Where an instance takes its requests, as its cloud reports it: an IP
// literal (127.0.0.1 for the local provider, a private address on EC2) and
// a port. Empty until the cloud has said.
struct InstanceAddress {
  std::string host;
  int port = 0;

  bool empty() const { return host.empty() || port <= 0; }
  std::string ToString() const;  // "10.0.1.7:8080", "[fd00::7]:8080"; "" when empty
  friend bool operator==(const InstanceAddress&, const InstanceAddress&) = default;
};
std::ostream& operator<<(std::ostream& out, const InstanceAddress& a);  // for test failures

// A launch the cloud accepted: the instance and, where the cloud already
// knows it, its address.
struct LaunchedInstance {
  InstanceId id;
  InstanceAddress address;
  int version = 0;  // the release it boots (0: none)
};

// A call to the outside that failed and waits for its next attempt.
struct Retry {
  int attempts = 0;    // failures in a row of the operation under way
  Seconds next_at = 0; // the next attempt is not made before this
};

// Field order is for speed: Decide passes over every instance of a group
// each tick (its census; Count and DueOperations again when the decision
// changed something), so what those passes read (state, market, the flags,
// weight, retry, risk and notice times, and whether it replaces another:
// InstanceId keeps its length first) sits in the first 64 bytes, and an
// Instance starts on a cache line: one line read per instance and pass
// where there were three or four (docs/BENCHMARKS.md).
struct alignas(64) Instance {
  InstanceState state = InstanceState::kPending;
  Market market = Market::kOnDemand;
  // Calls the controller owes the world for this instance, done once they
  // succeed and retried with backoff until then (see DueOperations in decide).
  bool registered = false;           // the load balancer knows it
  bool drain_requested = false;      // draining: the load balancer was told
  bool terminate_requested = false;  // terminating: the cloud accepted the request
  // Warm pool: launched for it. It goes back to the pool (stopped) rather
  // than terminated when it leaves service and the pool has room.
  bool warm = false;
  bool stop_requested = false;   // stopped: the cloud accepted the stop
  bool start_requested = false;  // starting: the cloud accepted the start
  // Blue/green deploys (core/deploy.h): a held instance is registered with
  // the load balancer and health-checked but takes no requests, and counts
  // toward no capacity (the set not serving: green before the switch, blue
  // after it). serving_synced: the load balancer was told its current held
  // or serving state (a register tells it too).
  bool held = false;
  bool serving_synced = true;
  // spot.on_notice bump-group-only: the noticed instance keeps serving, and
  // this records that its one bump of the other group was made.
  bool notice_bumped = false;
  bool scale_in_protected = false;
  bool simple_activity = false;  // launched or removed by the open simple-scaling activity
  bool drained = false;          // the load balancer reports no request in flight
  double weight = 1.0;           // capacity units (m4.large-equivalents)
  Retry retry;                   // of whichever of the calls above is under way
  // When the cloud said this spot instance is at elevated risk of
  // interruption (an EC2 rebalance recommendation); kNever: not at risk.
  // Decide replaces an at-risk instance launch-first, then drains it.
  Seconds rebalance_recommended_at = kNever;
  Seconds notice_deadline = kNever;  // when the cloud will take it (spot notice)
  InstanceId replaces;           // rebalance: the on-demand or at-risk instance to drain once this one serves
  InstanceId id;
  int group = 0;                 // index into the config's groups
  int pool = kOnDemandPool;      // index into the group's spot pools, or kOnDemandPool
  int version = 0;               // release version it runs (newer = larger)
  Seconds launched_at = 0;
  Seconds state_since = 0;
  Seconds in_service_at = kNever;
  std::string launch_token;      // the idempotency key it was launched with
  InstanceAddress address;       // where the load balancer sends its requests

  bool at_risk() const { return rebalance_recommended_at != kNever; }
};

// Moves `inst` to `to` at `now`, or refuses an illegal transition and leaves
// it unchanged.
Status Transition(Instance& inst, InstanceState to, Seconds now);


}  // namespace shoal
