#include "sim/invariants.h"

#include <set>

namespace shoal {
namespace {

constexpr int kKeptPerRule = 5;           // the first violations of a rule are described, the rest counted
constexpr Seconds kConfirmBound = 2 * kMinute;

std::string At(Seconds now) { return "t=" + std::to_string(now) + "s"; }

bool ShortfallExplained(const GroupSpec& spec, const GroupState& s, bool store_ok, Seconds now) {
  if (s.launch_backoff_until > now || s.launch_retry.next_at > now || !s.conditions.empty()) return true;
  if (!store_ok) return true;
  if (!spec.spot.fallback_to_on_demand) return true;  // the operator chose to wait for spot
  for (Seconds until : s.pool_avoid_until) {
    if (until > now) return true;
  }
  return false;
}

double Counted(const GroupState& s) {
  double units = 0;
  for (const Instance& in : s.instances) {
    if (CountsTowardCapacity(in.state) && !in.held) units += in.weight;  // held: blue/green's idle set
  }
  for (const PendingLaunch& p : s.launches) units += p.held ? 0 : p.weight;
  return units;
}

}  // namespace

ControlView ViewOf(const Reconciler& c) {
  ControlView v;
  for (std::size_t g = 0; g < c.groups().size(); ++g) {
    v.groups.push_back(&c.groups()[g]);
    v.states.push_back(&c.state(g));
  }
  v.store_ok = c.store_status().ok();
  v.last_inventory = c.last_inventory();
  return v;
}

void InvariantChecker::Violation(Seconds now, const std::string& rule, const std::string& what) {
  if (++reported_[rule] > kKeptPerRule) return;
  violations_.push_back(rule + " at " + At(now) + ": " + what);
}

void InvariantChecker::Down(Seconds from, Seconds to) {
  if (to > from) downtime_ += to - from;
}

void InvariantChecker::AfterTick(Seconds now, const ControlView& c, const std::vector<WorldInstance>& world) {
  std::set<InstanceId> ids;
  std::set<std::string> tokens;
  for (const GroupState* s : c.states) {
    for (const Instance& in : s->instances) ids.insert(in.id);
    for (const PendingLaunch& p : s->launches) tokens.insert(p.token);
  }
  std::set<InstanceId> alive;
  for (const WorldInstance& w : world) {
    alive.insert(w.id);
    if (ids.contains(w.id) || (!w.launch_token.empty() && tokens.contains(w.launch_token))) {
      untracked_since_.erase(w.id);
      untracked_downtime_at_.erase(w.id);
      continue;
    }
    const auto [it, fresh] = untracked_since_.emplace(w.id, now);
    if (fresh) untracked_downtime_at_[w.id] = downtime_;
    const Seconds elapsed = now - it->second - (downtime_ - untracked_downtime_at_[w.id]);
    // A pass in the tick it appeared in may have listed before its launch;
    // one in a later tick has seen it.
    const bool listed_since = c.last_inventory > it->second;
    if (listed_since || elapsed > options_.untracked_bound) {
      Violation(now, "untracked", w.id.str() + " of group " + w.group + " has been billed for " +
                                      std::to_string(elapsed) + "s without the control plane tracking it" +
                                      (listed_since ? ", though an inventory pass has listed it since" : ""));
      untracked_since_[w.id] = now;  // report again only after another period
      untracked_downtime_at_[w.id] = downtime_;
    }
  }
  std::erase_if(untracked_since_, [&](const auto& kv) { return !alive.contains(kv.first); });
  std::erase_if(untracked_downtime_at_, [&](const auto& kv) { return !alive.contains(kv.first); });

  const bool settled = options_.faults_stop >= 0 && now >= options_.faults_stop + options_.settle;
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    const GroupSpec& spec = *c.groups[g];
    const GroupState& s = *c.states[g];
    if (s.desired < spec.min || s.desired > spec.max) {
      Violation(now, "desired-bounds", spec.name + " desired " + std::to_string(s.desired) + " outside [" +
                                           std::to_string(spec.min) + ", " + std::to_string(spec.max) + "]");
    }
    const double counted = Counted(s);
    const auto failed = launch_failed_at_.find(spec.name);
    const bool failed_now = failed != launch_failed_at_.end() && failed->second == now;
    if (counted < s.desired - 1e-9 && !failed_now && !ShortfallExplained(spec, s, c.store_ok, now)) {
      Violation(now, "shortfall", spec.name + " counts " + std::to_string(counted) + " units toward desired " +
                                      std::to_string(s.desired) +
                                      " with no backoff, condition, avoided pool or store failure to explain it");
    }
    if (!settled) continue;
    for (const PendingLaunch& p : s.launches) {
      if (p.retry.attempts > 0) {
        Violation(now, "converged", spec.name + " launch " + p.token + " still retrying (" +
                                        std::to_string(p.retry.attempts) + " attempts) after the faults stopped");
      }
    }
    for (const Condition& cond : s.conditions) {
      Violation(now, "converged", spec.name + " still has condition " + cond.type + ": " + cond.message);
    }
    for (const Instance& in : s.instances) {
      if (in.state == InstanceState::kTerminating && now - in.state_since > kConfirmBound) {
        Violation(now, "converged", in.id.str() + " of " + spec.name + " terminating for " +
                                        std::to_string(now - in.state_since) + "s");
      }
      const bool starting = in.state == InstanceState::kPending || in.state == InstanceState::kProvisioning;
      if (starting && now - in.launched_at > spec.health_check.grace + 2 * options_.tick_slack) {
        Violation(now, "converged", in.id.str() + " of " + spec.name + " still starting " +
                                        std::to_string(now - in.launched_at) + "s after its launch");
      }
    }
  }
}

void InvariantChecker::CheckActivity(const Activity& a) {
  if (a.kind == ActivityKind::kLaunchFailed) launch_failed_at_[a.group] = a.time;
  if (a.group.empty() || a.cause.empty()) {
    Violation(a.time, "cause", "activity " + std::string(ToString(a.kind)) + " of group '" + a.group +
                                   "' has no " + (a.group.empty() ? "group" : "cause"));
  }
}

void InvariantChecker::CheckLedger(const LaunchLedger& ledger) {
  for (const std::string& m : ledger.mismatches) Violation(0, "one-token", m);
}

void InvariantChecker::AtEnd(Seconds now, const ControlView& c, const std::vector<WorldInstance>& world) {
  if (options_.faults_stop < 0) return;
  std::set<InstanceId> tracked;
  for (const GroupState* s : c.states) {
    for (const Instance& in : s->instances) tracked.insert(in.id);
  }
  std::set<InstanceId> alive;
  for (const WorldInstance& w : world) {
    alive.insert(w.id);
    if (!tracked.contains(w.id)) {
      Violation(now, "converged", "at the end " + w.id.str() + " of " + w.group +
                                      " runs but the control plane does not track it");
    }
  }
  for (const GroupState* s : c.states) {
    for (const Instance& in : s->instances) {
      if (!alive.contains(in.id) && in.state != InstanceState::kTerminating) {
        Violation(now, "converged", "at the end the state holds " + in.id.str() + " (" +
                                        std::string(ToString(in.state)) + ") which the cloud does not run");
      }
    }
  }
}

}  // namespace shoal
