// A deploy: moving a group's instances from one release to another, in
// batches, launch-first where the group's max allows, each batch gated on
// health within a timeout and followed by a canary analysis that compares
// the new release's errors and latency with the old one's over the same
// minutes. A failed batch or a worse release rolls the group back by
// itself. The state lives in GroupState (persisted with it), so a daemon
// that restarts mid-deploy carries on from where it was.
//
//   rolling ──(all replaced, analysis passed)──▶ succeeded
//      │
//      └──(unhealthy new instance, batch timeout, worse release, operator)──▶ rolling-back ──▶ rolled-back
//
// Blue/green (DeploySettings::strategy), within the one group and its one
// load-balancer backend: the new release's instances ("green") are launched
// *held* (registered and health-checked, taking no requests) beside the
// serving ones ("blue"); once every green serves its checks, traffic is
// switched (green ready first, then blue held) and the old group is kept,
// held, for keep_old while green is compared with blue's traffic before the
// switch:
//
//   green-launching ──(all green healthy)──▶ switched ──(analysis passed, keep_old over)──▶ succeeded
//      │                                        │                                          (blue drained)
//      │ (green unhealthy, batch timeout,       │ (worse release, green unhealthy, operator):
//      │  operator): green terminated,          │  blue ready again, green drained
//      ▼  never switched                        ▼
//   rolled-back                              rolled-back
//
// Decide runs the steps (decide.cc); the pure rules are here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/instance.h"
#include "core/metric.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

enum class DeployPhase : std::uint8_t {
  kRolling,      // replacing instances with the new release
  kRollingBack,  // replacing the new release's instances with the old one
  kSucceeded,    // every instance runs the new release (or the canary passed)
  kRolledBack,   // every instance runs the old release again
  // Blue/green:
  kGreenLaunching,  // the new release's instances launch held beside the serving old ones
  kSwitched,        // the new release serves; the old is held until promoted or rolled back
};
std::string_view ToString(DeployPhase p);
bool ParseDeployPhase(std::string_view text, DeployPhase* out);
constexpr bool IsActive(DeployPhase p) {
  return p == DeployPhase::kRolling || p == DeployPhase::kRollingBack || p == DeployPhase::kGreenLaunching ||
         p == DeployPhase::kSwitched;
}

enum class DeployStrategy : std::uint8_t {
  kRolling,    // batches of replacements (the default)
  kBlueGreen,  // a second set brought up held, traffic switched at once, the old kept
};
std::string_view ToString(DeployStrategy s);
bool ParseDeployStrategy(std::string_view text, DeployStrategy* out);

// How a deploy proceeds and what counts as a worse release (the group's
// `deploy:` section, overridden per deploy from the CLI).
struct DeploySettings {
  double batch_percent = 25;        // of the instances, rounded up; used when batch_count == 0
  int batch_count = 0;              // instances per batch (0: batch_percent)
  double min_healthy_percent = 90;  // of desired, in service during drain-first batches
  Seconds batch_timeout = 600;      // a batch's replacements must serve within this
  Seconds analysis = 120;           // canary analysis after each batch (0: none)
  double max_error_increase = 1;    // percentage points the new release's 5xx rate may exceed the old's
  double max_latency_ratio = 1.5;   // the new release's mean response time / the old's
  double min_requests = 100;        // fewer new requests in the analysis: not compared
  DeployStrategy strategy = DeployStrategy::kRolling;
  Seconds keep_old = 600;           // blue/green: the old set is kept (held) this long after the switch
};

// What the operator asked.
struct DeployRequest {
  int to_version = 0;       // the release to move to (resolved from `ref`)
  std::string ref;          // as asked: "latest", "latest-stable", "7", "revert"
  InstanceId only;          // a canary: this one instance only
  DeploySettings settings;
  std::string cause;        // "shoal deploy", "shoal revert", ...
};

struct DeployState {
  std::int64_t id = 0;      // per group, increasing
  DeployRequest request;
  int from_version = 0;     // what most in-service instances ran when it began: the rollback target
  int release_before = 0;   // GroupState::release_version when it began (restored by a rollback)
  DeployPhase phase = DeployPhase::kRolling;
  Seconds started_at = 0;
  Seconds phase_since = 0;
  Seconds ended_at = 0;     // 0 while active
  int batches = 0;          // batches begun (in the current phase)
  Seconds batch_started_at = 0;
  bool batch_open = false;  // its replacements are not all serving yet
  int replaced = 0;         // instances replaced so far (in the current phase)
  // Canary analysis of the last batch: the minutes [analysis_from_minute,
  // analysis_until) are compared; 0/none when not analysing.
  Seconds analysis_until = 0;
  std::int64_t analysis_from_minute = 0;
  ReleaseTraffic new_traffic;  // the release moved to, over those minutes
  ReleaseTraffic old_traffic;  // every other release of the group, the same minutes
  std::string result;          // why it ended or rolls back, in words

  bool active() const { return IsActive(phase); }
  bool blue_green() const { return request.settings.strategy == DeployStrategy::kBlueGreen; }
  // The release instances launched now must boot.
  int target_version() const {
    return phase == DeployPhase::kRollingBack || phase == DeployPhase::kRolledBack ? from_version
                                                                                    : request.to_version;
  }
};

// "25%" (1..100 percent of the instances) or "3" (instances, 1..10000)
// into the settings' batch; the message names what is wrong.
Status ParseBatch(std::string_view text, DeploySettings* s);
// "90%" or "90": a percentage 0..100.
Status ParsePercent(std::string_view what, std::string_view text, double* out);
// 25 -> "25%", 12.5 -> "12.5%".
std::string FormatPercent(double v);
// The batch as ParseBatch reads it: "3" or "25%".
std::string FormatBatch(const DeploySettings& s);
// Checks the settings as a whole (ranges), naming the field.
Status ValidateDeploySettings(const DeploySettings& s);

// Instances per batch for a group of `instances` in service: batch_count,
// else ceil(batch_percent% of them); at least 1.
int BatchSize(const DeploySettings& s, int instances);

// In-service capacity units a drain-first batch must leave: ceil of
// min_healthy_percent% of desired.
double MinHealthyUnits(const DeploySettings& s, int desired);

// The canary verdict over the analysed minutes: empty when the new release
// is no worse than the thresholds allow (or there is too little traffic to
// tell), else why it is worse, in words.
struct CanaryVerdict {
  bool compared = false;  // enough requests of both releases to compare
  std::string worse;      // non-empty: roll back
};
CanaryVerdict JudgeCanary(const DeploySettings& s, const ReleaseTraffic& new_release,
                          const ReleaseTraffic& old_release);

// Folds one completed minute's per-release traffic into an analysing
// deploy (minutes before the analysis window are ignored). A blue/green
// deploy collects the old release's minutes while green launches (the
// baseline, before the switch) and the new release's in the window after it.
void RecordReleaseTraffic(DeployState& deploy, std::int64_t minute, const std::vector<ReleaseTraffic>& traffic);

}  // namespace shoal
