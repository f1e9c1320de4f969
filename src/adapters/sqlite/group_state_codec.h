// A group's decision state as JSON, for the state store. Human-readable on
// purpose: an operator inspecting a stuck group can read the row with the
// sqlite3 shell. Enums are written by their ToString names and instance ids
// as "i-<16 hex digits>", so the text matches logs and the API.
//
// Shape (format 1; every key is required on decode):
//   {"format": 1, "desired": 3,
//    "instances": [{"id": "i-...", "group": 0, "market": "spot", "pool": 1,
//                   "weight": 1.0, "state": "in-service", "launched_at": 0,
//                   "state_since": 0, "in_service_at": 0, "notice_deadline": -1,
//                   "version": 0, "scale_in_protected": false,
//                   "replaces": null | "i-...", "simple_activity": false,
//                   "drained": false}, ...],
//    "alarm_states": ["OK", ...], "tt_high_states": [...], "tt_low_states": [...],
//    "tt_last_scale_in": [-1, ...], "simple_activity_open": false,
//    "simple_activity_started": 0, "simple_cooldown": 0,
//    "simple_cooldown_until": 0, "pool_avoid_until": [0, ...],
//    "last_evaluated_minute": -1, "replace_causes": ["..."]}
//
// Metric histories and the load history are not persisted: they refill from
// the metrics within minutes, and keeping them would make every save large.
#pragma once

#include <string>

#include "core/decide.h"
#include "core/group.h"
#include "core/status.h"

namespace shoal {

inline constexpr int kGroupStateFormat = 1;

std::string EncodeGroupState(const GroupState& state);

// Rebuilds a state for `spec`: starts from InitialState(spec) (so histories
// are sized for it) and overlays what was saved. The config may have changed
// since the save, and a changed config must not crash the daemon, so:
//  - a per-alarm / per-policy / per-pool vector whose saved length differs
//    from the spec's count keeps its initial values (indexes no longer mean
//    the same alarm or pool); equal lengths are kept by index;
//  - desired is clamped to the spec's [min, max];
//  - a spot instance whose pool index the spec no longer has keeps running
//    but is attributed to no pool (pool = kOnDemandPool), as core indexes
//    pools without checking.
// Instances come back sorted by id. Malformed JSON, a missing key or a bad
// value is InvalidArgument naming the field.
Result<GroupState> DecodeGroupState(const std::string& json, const GroupSpec& spec);

}  // namespace shoal
