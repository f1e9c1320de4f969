// A group's decision state as JSON, for the state store. Human-readable on
// purpose: an operator inspecting a stuck group can read the row with the
// sqlite3 shell. Enums are written by their ToString names and instance ids
// as "i-<16 hex digits>", so the text matches logs and the API.
//
// Format 2 keys everything that belongs to a named part of the spec by that
// name — alarms, policies, pools (also an instance's or a pending launch's
// pool) — so reordering the config, or adding and removing parts, never
// attributes a state to the wrong part:
//   {"format": 2, "desired": 3,
//    "instances": [{"id": "i-...", "group": 0, "market": "spot", "pool": "m4.large/us-east-1a" | null,
//                   "weight": 1.0, "state": "in-service", "launched_at": 0, "state_since": 0,
//                   "in_service_at": 0, "notice_deadline": -1, ["notice_bumped": true,]
//                   "rebalance_recommended_at": -1,
//                   "version": 0,
//                   "scale_in_protected": false, "replaces": null | "i-...", "simple_activity": false,
//                   "drained": false, "launch_token": "web-3-0", "registered": true,
//                   "drain_requested": false, "terminate_requested": false,
//                   "retry": {"attempts": 0, "next_at": 0}}, ...],
//    "launches": [{"token": "web-4-0", "market": "spot", "pool": "..." | null, "weight": 1.0,
//                  "replaces": null | "i-...", "simple_activity": false, "planned_at": 0,
//                  "retry": {...}, "last_error": "unavailable"}, ...],
//    "alarms": {"<alarm name>": "OK", ...},
//    "policies": {"<policy name>": {"tt_high": "OK", "tt_low": "ALARM", "tt_last_scale_in": -1}, ...},
//    "pools": {"<pool name>": {"avoid_until": 0}, ...},
//    "simple_activity_open": false, "simple_activity_started": 0, "simple_cooldown": 0,
//    "simple_cooldown_until": 0, "last_evaluated_minute": -1,
//    ["forecast_raise": {"from": 2, "minute": 1431},]   (only while one is under way)
//    "replace_causes": ["..."],
//    "failed_launches": 0, "launch_backoff_until": 0, "launch_decisions": 4,
//    "launch_retry": {"attempts": 0, "next_at": 0},
//    "conditions": [{"type": "LaunchFailing", "code": "permission-denied", "message": "...",
//                    "since": 0, "last_seen": 0, "count": 1}, ...]}
// Format 1 (per-alarm/policy/pool arrays by position, pools as indexes) is
// still read, so a database written before format 2 keeps working; so is an
// instance without "address" or "rebalance_recommended_at" (written before
// those existed: none yet, and not at risk).
//
// Metric histories and the load history are not in this row: the store
// keeps them per minute (StateStore::LoadMetrics).
#pragma once

#include <string>

#include "core/decide.h"
#include "core/group.h"
#include "core/status.h"

namespace shoal {

inline constexpr int kGroupStateFormat = 2;

std::string EncodeGroupState(const GroupSpec& spec, const GroupState& state);

// Rebuilds a state for `spec`: starts from InitialState(spec) (so histories
// are sized for it) and overlays what was saved. The config may have changed
// since the save, and a changed config must not crash the daemon, so:
//  - a saved alarm, policy or pool the spec no longer names is dropped, and
//    one the spec names that was not saved keeps its initial value;
//  - desired is clamped to the spec's [min, max];
//  - a spot instance (or pending launch) whose pool the spec no longer has
//    keeps running but is attributed to no pool (pool = kOnDemandPool).
// Instances come back sorted by id. Malformed JSON, a missing key or a bad
// value is InvalidArgument naming the field.
Result<GroupState> DecodeGroupState(const std::string& json, const GroupSpec& spec);

}  // namespace shoal
