// Turning alarm states into a new desired capacity: each policy proposes,
// then the proposals are combined (out if any policy says out — the largest
// wins; in only if every policy able to scale in says in — the smallest
// reduction wins), and the result is clamped to min/max.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/decide.h"
#include "core/group.h"

namespace shoal {

struct Proposal {
  int policy = -1;       // index into GroupSpec::policies
  int desired = 0;       // unclamped
  std::string cause;     // "alarm 'cpu-high' (cpu_utilization 87.0 >= 85) -> policy 'spike'"
  // A predictive policy's, for load it has seen recur (a lag, a learned
  // period), not for headroom: what it raises is given back when the
  // recurrence has passed (GiveBackForecastRaise).
  bool recurring = false;
};

// Capacity units the group counts but whose metrics are not in yet: not in
// service, or in service for less than `warmup`.
double WarmingUnits(const GroupState& state, Seconds warmup, Seconds now);
// Units in service and past `warmup`.
double WarmedUnits(const GroupState& state, Seconds warmup, Seconds now);

// Evaluates every alarm (and each target-tracking policy's pair) at the start
// of minute `now_minute`, updating the states kept in `state`.
void EvaluateAlarms(const GroupSpec& spec, GroupState& state, std::int64_t now_minute);

// What each policy would do now, given the alarm states just evaluated.
std::vector<Proposal> ProposeAll(const GroupSpec& spec, const GroupState& state, Seconds now);

// Whether a policy can ever lower capacity (it then has a vote on scale-in).
bool CanScaleIn(const PolicySpec& p);

// The launch-to-in-service time the group has seen, in whole minutes: the
// longest among its instances that served (`fallback` when none has).
// Warm-pool instances are left out: they were launched into the pool long
// before they were started, so theirs is no launch time (and counting it
// stretched every forecast's lead to the hour cap).
int LaunchLeadMinutes(const GroupState& state, int fallback);

// The capacity the predictive policies want ready now (0 when none has a
// forecast yet): scale-in never goes below it. `lookahead_minutes` > 0: what
// they want within that many minutes at least (their horizon otherwise).
int PredictiveFloor(const GroupSpec& spec, const GroupState& state, int lookahead_minutes = 0);

// Capacity a predictive policy raised the group to for a burst it forecast
// (state.forecast_raise) is given back once the forecast no longer wants
// it within target tracking's calm window: down to what the load of the
// last launch time and of the window before the raise needs at target
// tracking's target, never below what the group had before the raise or
// what the forecast wants. Without it, the burst's own busy minutes keep
// target tracking from scaling in for a whole window after every burst.
// Nothing while target tracking is hot. `finished`: the raise is given back
// (or too old to be a burst's), so it is forgotten.
struct GiveBack {
  std::optional<Proposal> proposal;
  bool finished = false;
};
GiveBack GiveBackForecastRaise(const GroupSpec& spec, const GroupState& state);

// The launch lead assumed before any instance has served (minutes).
inline constexpr int kGiveBackLeadFallbackMinutes = 5;

// The combined decision, or nullopt for "no change". Scale-in stops at
// max(min, floor).
std::optional<Proposal> Combine(const GroupSpec& spec, const GroupState& state,
                                const std::vector<Proposal>& proposals, int floor = 0);

}  // namespace shoal
