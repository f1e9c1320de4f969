// The "decide" half of a tick. Order matters and is fixed:
//   1. alarms and policies (a new minute only) → desired
//   2. instances leaving: notices and unhealthy ones, drains that are done,
//      provisioning that took too long, rebalance swaps that completed (a
//      replacement whose instance left first is plain capacity from then on)
//   3. capacity: launch the shortfall (on-demand share first, spot by
//      strategy, on-demand when no pool can take it) or remove the excess
//      (capacity.h's scale-in order)
//   4. rebalance, launch first and within the churn budget: spot instances at
//      risk (a rebalance recommendation) get a replacement in another pool;
//      then a deploy's next step (deploy.h: health gate, canary analysis,
//      the next batch, rollback); then, when all is steady and no deploy is
//      under way, on-demand above its share is swapped for spot
//   3b. the warm pool (GroupSpec::warm_pool): a shortfall starts stopped
//      warm instances first, with spot launched behind the on-demand ones
//      (launch-first replacements: once the spot instance serves, the warm
//      one is drained and stopped again); the pool is refilled to its size
//   5. the calls that are due: launches planned now or waiting for a retry,
//      and each instance's register / drain / terminate call that has not
//      succeeded yet (a failed one comes back after its backoff)
#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "core/capacity.h"
#include "core/decide.h"
#include "core/scaling.h"

namespace shoal {
namespace {

constexpr double kEps = 1e-9;

class Decider {
 public:
  Decider(const GroupSpec& spec, GroupState& state, const Observation& obs, Seconds now)
      : spec_(spec), state_(state), obs_(obs), now_(now) {}

  Plan Run() {
    TakeCensus();
    CloseSimpleActivityIfDone();
    if (obs_.evaluate_alarms && MinuteOf(now_) > state_.last_evaluated_minute) ApplyPolicies();
    if (!census_.leaving.empty() || spec_.spot.on_notice == NoticeAction::kBumpGroupOnly) HandleLeaving();
    ReleaseOrphanedReplacements();
    FinishRebalanceSwaps();
    RetryLaunches();
    const bool changed = ReconcileCapacity();
    RefillWarmPool();
    ReplaceAtRisk();
    const bool deploying = StepDeploy();
    if (!changed && !deploying) Rebalance();
    DueOperations();
    DropTerminated();
    return std::move(plan_);
  }

 private:
  // --- 0. census -----------------------------------------------------------
  // Capacity in units: what counts toward desired (see Count).
  struct Counted {
    double total = 0;
    double on_demand = 0;
    double rebalance_pending = 0;  // spot launched to replace on-demand, not serving yet
  };

  // What the instances are when the decision starts, in one pass. A step
  // whose work concerns only instances of a kind none is skips its own pass
  // over them. Decide never makes an instance of these kinds: replacements,
  // warm-pool and at-risk instances come from launches and observations
  // (RecordLaunchOutcome, ApplyObservation), terminated ones from
  // ApplyObservation; held ones only from the blue/green switch, which comes
  // after the one step that skips on them (TerminateStrayHeld). An instance
  // that waits to be made serving (ServingPending) only from the switch too:
  // every other change Decide makes takes an instance out of service or
  // starts a stopped one unregistered.
  // Until the decision changes an instance or a launch (changed_, set at
  // each place it does), Count() is the census's count and DueOperations
  // finds a call due only if the census did; debug builds check both
  // against a fresh pass.
  struct Census {
    std::vector<std::size_t> leaving;  // instances in states HandleLeaving acts on, in order
    Counted counted;                   // Count() when the decision started
    bool call_due = false;             // CallDue() was set for some instance
    bool replacing = false;       // an instance replaces another (rebalance, deploy)
    bool held = false;
    bool at_risk = false;         // in any state
    bool warm = false;
    bool terminated = false;
    bool serving_pending = false; // ServingPending() was true when the decision started
    double on_demand_units = 0;   // on-demand instances in any state (Rebalance's bound)
  };

  // Into a local Census, stored once at the end: the compiler cannot keep
  // a member's fields in registers across reads of the instances (they
  // might alias), and this pass runs over every instance every tick.
  void TakeCensus() {
    Census c;
    std::vector<std::size_t> leaving;
    const Instance* first = state_.instances.data();
    for (const Instance& in : state_.instances) {
      switch (in.state) {
        case InstanceState::kInterrupted:
        case InstanceState::kUnhealthy:
        case InstanceState::kDraining:
        case InstanceState::kWarming:
        case InstanceState::kStarting:
        case InstanceState::kPending:
        case InstanceState::kProvisioning:
          leaving.push_back(static_cast<std::size_t>(&in - first));
          break;
        case InstanceState::kTerminated:
          c.terminated = true;
          break;
        default:
          break;
      }
      // Bitwise ors: no branch per flag.
      c.replacing |= !in.replaces.empty();
      c.held |= in.held;
      c.at_risk |= in.at_risk();
      c.warm |= in.warm;
      c.serving_pending |= WaitsToServe(in);
      c.call_due |= CallDue(in).has_value();
      if (in.market == Market::kOnDemand) c.on_demand_units += in.weight;
      AddToCount(in, c.counted);
    }
    AddLaunchesToCount(c.counted);
    c.leaving = std::move(leaving);
    census_ = std::move(c);
  }

  // --- 1. policies -------------------------------------------------------
  void CloseSimpleActivityIfDone() {
    if (!state_.simple_activity_open || now_ <= state_.simple_activity_started) return;
    for (const Instance& in : state_.instances) {
      if (in.simple_activity) return;
    }
    state_.simple_activity_open = false;
    state_.simple_cooldown_until = now_ + state_.simple_cooldown;
  }

  void ApplyPolicies() {
    EvaluateAlarms(spec_, state_, MinuteOf(now_));
    std::optional<Proposal> decision =
        Combine(spec_, state_, ProposeAll(spec_, state_, now_), PredictiveFloor(spec_, state_));
    bool giving_back = false;
    if (!decision || decision->desired == state_.desired) {
      GiveBack back = GiveBackForecastRaise(spec_, state_);
      if (back.finished) state_.forecast_raise = {};
      decision = std::move(back.proposal);
      giving_back = decision.has_value();
    }
    if (!decision || decision->desired == state_.desired) return;
    const PolicySpec& p = spec_.policies[decision->policy];
    const bool out = decision->desired > state_.desired;
    RememberForecastRaise(*decision, out, giving_back);
    AddActivity(out ? ActivityKind::kScaleOut : ActivityKind::kScaleIn, decision->cause,
                state_.desired, decision->desired);
    state_.desired = decision->desired;
    if (p.type == PolicyType::kSimple) {
      state_.simple_activity_open = true;
      state_.simple_activity_started = now_;
      state_.simple_cooldown = p.cooldown.value_or(spec_.default_cooldown);
      simple_now_ = true;
    }
    if (p.type == PolicyType::kTargetTracking && !out) state_.tt_last_scale_in[decision->policy] = now_;
  }

  // A run of raises by a predictive policy for recurring load is remembered
  // from its first (what desired was, and when) until it is given back; any
  // other change (a reactive raise, a raise for headroom, target tracking's
  // own scale-in) makes it capacity like any other.
  void RememberForecastRaise(const Proposal& by, bool out, bool giving_back) {
    if (giving_back) return;
    if (out && by.recurring) {
      if (state_.forecast_raise.from < 0) state_.forecast_raise = {state_.desired, MinuteOf(now_)};
      return;
    }
    state_.forecast_raise = {};
  }

  // --- 2. instances leaving ---------------------------------------------
  void HandleLeaving() {
    if (spec_.spot.on_notice == NoticeAction::kBumpGroupOnly) {
      for (Instance& in : state_.instances) {
        if (in.notice_deadline != kNever && !in.notice_bumped && CountsTowardCapacity(in.state)) {
          BumpOtherGroup(in);
          in.notice_bumped = true;
        }
        HandleLeaving(in);
      }
      return;
    }
    // Only the census's: HandleLeaving(in) changes `in` alone, and nothing
    // before it puts an instance into a state it acts on.
    for (std::size_t i : census_.leaving) HandleLeaving(state_.instances[i]);
  }

  void HandleLeaving(Instance& in) {
    switch (in.state) {
      case InstanceState::kInterrupted:
        StartDrain(in, "spot notice");
        if (BumpsGroup(spec_.spot.on_notice)) BumpOtherGroup(in);
        break;
      case InstanceState::kUnhealthy:
        unhealthy_now_.push_back(in.id);
        Terminate(in, "unhealthy");
        break;
      case InstanceState::kDraining:
        if (!in.drained && now_ < in.state_since + spec_.drain_timeout) break;
        if (in.warm && WarmInPool() < spec_.warm_pool.size) {
          ReturnToPool(in, "drained");
        } else {
          Terminate(in, "drained");
        }
        break;
      case InstanceState::kWarming:
        // A warm-pool instance is not capacity yet: nothing to replace.
        LeaveIfPastGrace(in, in.launched_at, " (warm pool) not provisioned",
                         {.failed_launch = true, .replace = false, .tell_deploy = false});
        break;
      case InstanceState::kStarting:
        LeaveIfPastGrace(in, in.state_since, " started from the warm pool but not healthy",
                         {.failed_launch = false, .replace = true, .tell_deploy = true});
        break;
      case InstanceState::kPending:
      case InstanceState::kProvisioning:
        // A held (blue/green) instance is no capacity: nothing to replace,
        // but its deploy must hear it failed.
        LeaveIfPastGrace(in, in.launched_at, in.held ? " (held, blue/green) not healthy" : " not healthy",
                         {.failed_launch = true, .replace = !in.held, .tell_deploy = true});
        break;
      default:
        break;
    }
  }

  // What an instance that missed its grace period leaves behind.
  struct GraceMiss {
    bool failed_launch = false;  // counts toward the launch back-off
    bool replace = false;        // it was capacity: its replacement's cause is recorded
    bool tell_deploy = false;    // a deploy under way hears of it (unhealthy_now_)
  };

  // An instance still not serving a grace period after `since` is unhealthy
  // and leaves. `what` says what it was doing.
  void LeaveIfPastGrace(Instance& in, Seconds since, const std::string& what, GraceMiss miss) {
    if (now_ <= since + spec_.health_check.grace) return;
    changed_ = true;
    if (!Transition(in, InstanceState::kUnhealthy, now_).ok()) return;
    if (miss.failed_launch) RecordFailedLaunch(state_, now_);
    AddActivity(ActivityKind::kUnhealthy,
                in.id.str() + what + " within the grace period (" + std::to_string(spec_.health_check.grace) + "s)",
                state_.desired, state_.desired);
    if (miss.replace) state_.replace_causes.push_back("unhealthy " + in.id.str());
    if (miss.tell_deploy) unhealthy_now_.push_back(in.id);
    Terminate(in, "unhealthy");
  }

  void BumpOtherGroup(const Instance& in) {
    Action a;
    a.kind = ActionKind::kBumpDesired;
    a.target_group = spec_.spot.bump_group;
    a.instance = in.id;
    a.reason = "spot notice for " + in.id.str() + " in group " + spec_.name;
    plan_.actions.push_back(std::move(a));
  }

  // Leaving instances change state here; the calls they need are issued by
  // DueOperations (and retried from there when they fail).
  void StartDrain(Instance& in, const std::string& why) {
    changed_ = true;
    if (!Transition(in, InstanceState::kDraining, now_).ok()) return;
    in.drain_requested = false;
    in.retry = {};
    reasons_[in.id] = why;
  }

  void Terminate(Instance& in, const std::string& why) {
    changed_ = true;
    if (!Transition(in, InstanceState::kTerminating, now_).ok()) return;
    in.terminate_requested = false;
    in.retry = {};
    reasons_[in.id] = why;
  }

  // A replacement whose instance left before it served (interrupted,
  // unhealthy, scaled in, gone) is plain capacity from now on. Left marked,
  // it would keep counting as extra (see Count) and the capacity the leaver
  // gave would be launched a second time.
  void ReleaseOrphanedReplacements() {
    auto left = [this](InstanceId id) {
      const Instance* target = state_.Find(id);
      return target == nullptr || !CountsTowardCapacity(target->state);
    };
    if (census_.replacing) {
      for (Instance& in : state_.instances) {
        if (!in.replaces.empty() && left(in.replaces)) {
          in.replaces = {};
          changed_ = true;
        }
      }
    }
    for (PendingLaunch& p : state_.launches) {
      if (!p.replaces.empty() && left(p.replaces)) {
        p.replaces = {};
        changed_ = true;
      }
    }
  }

  // A replacement that serves: the instance it replaces leaves now (drained
  // if it serves; an at-risk one that never got to serve is terminated).
  void FinishRebalanceSwaps() {
    if (!census_.replacing) return;
    for (std::size_t i = 0; i < state_.instances.size(); ++i) {
      Instance& fresh = state_.instances[i];
      if (fresh.replaces.empty() || fresh.state != InstanceState::kInService) continue;
      const InstanceId old_id = fresh.replaces;
      const std::string by = fresh.id.str();
      fresh.replaces = {};  // before Find: no reference into the vector is kept
      changed_ = true;
      Instance* old = state_.Find(old_id);
      if (old == nullptr) continue;
      if (old->version != fresh.version) {
        if (old->state == InstanceState::kInService) {
          StartDrain(*old, "deploy: replaced by " + by + " (release " + std::to_string(fresh.version) + ")");
        } else if (CountsTowardCapacity(old->state)) {
          Terminate(*old, "deploy: replaced by " + by + " before it served");
        }
      } else if (!old->at_risk()) {
        if (old->state == InstanceState::kInService) StartDrain(*old, "rebalanced to spot");
      } else if (old->state == InstanceState::kInService) {
        StartDrain(*old, "at risk of interruption, replaced by " + by);
      } else if (CountsTowardCapacity(old->state)) {
        Terminate(*old, "at risk of interruption, replaced by " + by + " before it served");
      }
    }
  }

  // --- 3. capacity -------------------------------------------------------
  Counted Count() const {
    if (!changed_) {
      assert(SameCount(census_.counted, CountAgain()));
      return census_.counted;
    }
    return CountAgain();
  }

  Counted CountAgain() const {
    Counted c;
    for (const Instance& in : state_.instances) AddToCount(in, c);
    AddLaunchesToCount(c);
    return c;
  }

  static void AddToCount(const Instance& in, Counted& c) {
    if (!CountsTowardCapacity(in.state) || in.held) return;  // held: the set not serving (blue/green)
    c.total += in.weight;
    if (in.market == Market::kOnDemand) c.on_demand += in.weight;
    if (!in.replaces.empty()) c.rebalance_pending += in.weight;
  }

  // Launches whose instance is not known yet count as launched: asking
  // again would launch twice.
  void AddLaunchesToCount(Counted& c) const {
    for (const PendingLaunch& p : state_.launches) {
      if (p.warm || p.held) continue;  // the warm pool and held launches count toward nothing
      c.total += p.weight;
      if (p.market == Market::kOnDemand) c.on_demand += p.weight;
      if (!p.replaces.empty()) c.rebalance_pending += p.weight;
    }
  }

  static bool SameCount(const Counted& a, const Counted& b) {
    return a.total == b.total && a.on_demand == b.on_demand && a.rebalance_pending == b.rebalance_pending;
  }

  std::vector<PoolView> PoolViews() const {
    std::vector<PoolView> views;
    const auto& pools = spec_.capacity.spot_pools;
    for (std::size_t p = 0; p < pools.size(); ++p) {
      PoolView v;
      v.index = static_cast<int>(p);
      v.weight = pools[p].weight;
      const PoolObservation po = p < obs_.pools.size() ? obs_.pools[p] : PoolObservation{};
      v.price = po.price;
      v.capacity_score = po.capacity_score;
      const double bid = pools[p].bid_usd_per_hour > 0 ? pools[p].bid_usd_per_hour
                                                       : po.on_demand_price;
      v.available = now_ >= state_.pool_avoid_until[p] && po.price > 0 && po.price <= bid + kEps;
      views.push_back(v);
    }
    for (const Instance& in : state_.instances) {
      if (in.pool >= 0 && CountsTowardCapacity(in.state) && !in.held) views[in.pool].running += 1;
    }
    for (const PendingLaunch& p : state_.launches) {
      if (p.pool >= 0 && p.market == Market::kSpot && !p.warm && !p.held) views[p.pool].running += 1;
    }
    return views;
  }

  bool ReconcileCapacity() {
    Counted c = Count();
    double wanted = state_.desired + c.rebalance_pending;
    if (c.total < wanted - kEps) {
      if (StartWarm(wanted - c.total, c)) {
        c = Count();
        wanted = state_.desired + c.rebalance_pending;
      }
      if (c.total < wanted - kEps) Launch(wanted - c.total, c);
      return true;
    }
    if (c.total > wanted + kEps) {
      Remove(c.total - wanted);
      return true;
    }
    return false;
  }

  void Launch(double units, const Counted& c) {
    // The last launches failed before serving, or the cloud refused them:
    // wait, then try again.
    if (now_ < state_.launch_backoff_until || now_ < state_.launch_retry.next_at) return;
    const CapacitySplit split = SplitCapacity(state_.desired, spec_.capacity.on_demand_base,
                                              spec_.capacity.on_demand_percent_above_base);
    double od_units = std::min(units, std::max(0.0, split.on_demand - c.on_demand));
    double spot_units = units - od_units;
    std::vector<PoolView> views = PoolViews();
    int spot_launched = 0;
    while (spot_units > kEps) {
      const std::vector<int> pick = ChooseSpotPools(spec_.capacity, views, 1);
      if (pick.empty()) break;
      LaunchOne(Market::kSpot, pick[0], {});
      views[pick[0]].running += 1;
      spot_units -= spec_.capacity.spot_pools[pick[0]].weight;
      ++spot_launched;
    }
    int fallback = 0;
    if (spot_units > kEps && spec_.spot.fallback_to_on_demand) {
      fallback = static_cast<int>(std::ceil(spot_units / spec_.capacity.on_demand_weight - kEps));
      od_units += fallback * spec_.capacity.on_demand_weight;
      AddActivity(ActivityKind::kFallbackOnDemand,
                  "no spot pool can take " + std::to_string(fallback) +
                      " instance(s) (avoided, short of capacity or above the bid): on-demand instead",
                  state_.desired, state_.desired);
    }
    const int od_count = static_cast<int>(std::ceil(od_units / spec_.capacity.on_demand_weight - kEps));
    for (int i = 0; i < od_count; ++i) LaunchOne(Market::kOnDemand, kOnDemandPool, {});
    if (spot_launched + od_count > 0) {
      RecordReplacement("launched " + std::to_string(spot_launched) + " spot, " + std::to_string(od_count) +
                        " on-demand");
    }
  }

  // Capacity lost since the last launch (a notice, an unhealthy instance)
  // is replaced by what was just launched or started: say so once, or the
  // next launch would be blamed on it.
  void RecordReplacement(const std::string& how) {
    if (state_.replace_causes.empty()) return;
    AddActivity(ActivityKind::kReplace, LaunchCause() + ": " + how, state_.desired, state_.desired);
    state_.replace_causes.clear();
  }

  std::string LaunchCause() const {
    std::string cause = "replacing";
    for (std::size_t i = 0; i < state_.replace_causes.size(); ++i) {
      cause += (i == 0 ? " " : ", ") + state_.replace_causes[i];
    }
    return cause;
  }

  // Plans one launch: a pending launch with its token joins the state (and
  // is saved before the call), and the call is due now.
  // `release`: what it boots; by default what the group boots now (BootRelease).
  void LaunchOne(Market market, int pool, InstanceId replaces, std::optional<std::string> release = std::nullopt,
                 bool held = false) {
    if (slot_ == 0) ++state_.launch_decisions;
    PendingLaunch p;
    p.token = LaunchToken(spec_.name, state_.launch_decisions, slot_++);
    p.market = market;
    p.pool = pool;
    p.weight = market == Market::kSpot ? spec_.capacity.spot_pools[pool].weight : spec_.capacity.on_demand_weight;
    // A replacement belongs to no simple-scaling activity: it adds nothing.
    p.simple_activity = simple_now_ && replaces.empty();
    p.replaces = replaces;
    p.release = release ? *release : BootRelease(spec_, state_);
    p.held = held;
    p.planned_at = now_;
    EmitLaunch(p, std::string(held ? "held (blue/green), " : "") +
                      (market == Market::kSpot ? "spot " + spec_.capacity.spot_pools[pool].name
                                          : "on-demand " + spec_.capacity.on_demand_type));
    state_.launches.push_back(std::move(p));
    changed_ = true;
  }

  void EmitLaunch(const PendingLaunch& p, std::string reason) {
    Action a;
    a.kind = ActionKind::kLaunch;
    a.token = p.token;
    a.market = p.market;
    a.pool = p.pool;
    a.replaces = p.replaces;
    a.simple_activity = p.simple_activity;
    a.warm = p.warm;
    a.reason = std::move(reason);
    plan_.actions.push_back(std::move(a));
  }

  // --- 3b. warm pool -------------------------------------------------------
  // Warm-pool instances stopped, or on their way into the pool (warming,
  // or launched for it).
  int WarmInPool() const {
    int n = 0;
    if (census_.warm) {
      for (const Instance& in : state_.instances) {
        n += in.warm && (in.state == InstanceState::kWarming || in.state == InstanceState::kStopped);
      }
    }
    for (const PendingLaunch& p : state_.launches) n += p.warm;
    return n;
  }

  // Takes up to `units` of a shortfall with stopped warm instances (they
  // join in about a minute). An on-demand one started for the spot share
  // gets a spot launch behind it, launch-first: once that serves, the warm
  // one goes back to the pool. True when any was started.
  bool StartWarm(double units, const Counted& c) {
    const CapacitySplit split = SplitCapacity(state_.desired, spec_.capacity.on_demand_base,
                                              spec_.capacity.on_demand_percent_above_base);
    double od_left = std::max(0.0, split.on_demand - c.on_demand);
    std::vector<PoolView> views;
    int started = 0;
    int behind = 0;
    std::string ids;
    for (Instance& in : state_.instances) {
      if (units < kEps) break;
      // Only once the cloud has stopped it: a start asked before the stop
      // would find it still running and do nothing.
      if (!in.warm || in.state != InstanceState::kStopped || !in.stop_requested || in.weight > units + kEps) continue;
      changed_ = true;
      if (!Transition(in, InstanceState::kStarting, now_).ok()) continue;
      in.start_requested = false;
      in.registered = false;
      in.drained = false;
      in.drain_requested = false;
      in.retry = {};
      in.simple_activity = simple_now_;
      reasons_[in.id] = "scale-out: started from the warm pool";
      units -= in.weight;
      ++started;
      ids += (ids.empty() ? "" : ", ") + in.id.str();
      if (in.market != Market::kOnDemand) continue;
      if (od_left >= in.weight - kEps) {
        od_left -= in.weight;  // it is the on-demand share: it stays
        continue;
      }
      if (views.empty()) views = PoolViews();
      const std::vector<int> pick = ChooseSpotPools(spec_.capacity, views, 1);
      if (pick.empty()) continue;  // no spot now: the on-demand swap (Rebalance) comes later
      LaunchOne(Market::kSpot, pick[0], in.id);
      views[pick[0]].running += 1;
      ++behind;
    }
    if (started == 0) return false;
    AddActivity(ActivityKind::kWarmPool,
                "started " + std::to_string(started) + " from the warm pool (" + ids + ")" +
                    (behind > 0 ? "; " + std::to_string(behind) + " spot launched behind them, launch first" : ""),
                state_.desired, state_.desired);
    RecordReplacement("started " + std::to_string(started) + " from the warm pool");
    return true;
  }

  // A warm instance leaves service (drained, or scaled in while starting):
  // stopped into the pool again instead of terminated.
  void ReturnToPool(Instance& in, const std::string& why) {
    changed_ = true;
    if (!Transition(in, InstanceState::kStopped, now_).ok()) return;
    in.stop_requested = false;
    in.start_requested = false;
    in.drained = false;
    in.drain_requested = false;
    in.retry = {};
    in.replaces = {};
    reasons_[in.id] = why + ": back to the warm pool";
    AddActivity(ActivityKind::kWarmPool, in.id.str() + " " + why + ": stopped back into the warm pool",
                state_.desired, state_.desired);
  }

  // Keeps the pool at its size: launches what is missing, counting the
  // warm instances that serve behind a spot launch (they come back), and
  // terminates stopped ones above it (the size was lowered) or of another
  // release than a launch boots now (a deploy, or its rollback, moved the
  // group: a warm start must not bring the old release back into service).
  void RefillWarmPool() {
    const int size = spec_.warm_pool.size;
    int have = WarmInPool();
    if (size == 0 && have == 0) return;  // no pool, none left over: nothing to refill or trim (every tick)
    const std::set<InstanceId> replaced = ReplacedIds();
    const std::optional<int> boots = BootVersion(spec_, state_);
    int returning = 0;
    for (Instance& in : state_.instances) {
      if (!in.warm) continue;
      if (in.state == InstanceState::kDraining || (CountsTowardCapacity(in.state) && replaced.count(in.id) > 0)) {
        ++returning;
      } else if (in.state == InstanceState::kStopped && have > size) {
        --have;
        Terminate(in, "the warm pool is above its size (" + std::to_string(size) + ")");
      } else if (in.state == InstanceState::kStopped && boots && in.version != *boots) {
        --have;
        Terminate(in, "warm pool: it has release " + std::to_string(in.version) + ", launches boot release " +
                          std::to_string(*boots) + " now");
      }
    }
    const int missing = size - have - returning;
    if (missing <= 0) return;
    if (now_ < state_.launch_backoff_until || now_ < state_.launch_retry.next_at) return;
    const int pool = WarmPoolIndex(spec_);
    if (pool < kOnDemandPool) return;
    const Market market = pool == kOnDemandPool ? Market::kOnDemand : Market::kSpot;
    for (int i = 0; i < missing; ++i) {
      if (slot_ == 0) ++state_.launch_decisions;
      PendingLaunch p;
      p.token = LaunchToken(spec_.name, state_.launch_decisions, slot_++);
      p.market = market;
      p.pool = pool;
      p.weight = market == Market::kSpot ? spec_.capacity.spot_pools[pool].weight : spec_.capacity.on_demand_weight;
      p.warm = true;
      p.release = BootRelease(spec_, state_);
      p.planned_at = now_;
      EmitLaunch(p, "warm pool: " + (market == Market::kSpot ? "spot " + spec_.capacity.spot_pools[pool].name
                                                             : "on-demand " + spec_.capacity.on_demand_type));
      state_.launches.push_back(std::move(p));
      changed_ = true;
    }
    AddActivity(ActivityKind::kWarmPool,
                "refilling the warm pool: launching " + std::to_string(missing) + " to boot, provision and stop (" +
                    std::to_string(have) + " of " + std::to_string(size) + " ready)",
                state_.desired, state_.desired);
  }

  // Launches whose call failed in a way that may have made the instance
  // (unavailable, throttled): asked again, same token, once their backoff passed.
  void RetryLaunches() {
    for (const PendingLaunch& p : state_.launches) {
      if (p.retry.attempts > 0 && now_ < p.retry.next_at) continue;
      EmitLaunch(p, "retry " + std::to_string(p.retry.attempts + 1) + " of launch " + p.token);
    }
  }

  // --- 5. calls that are due ------------------------------------------------
  // The call an instance waits for, if any.
  static std::optional<ActionKind> CallDue(const Instance& in) {
    if (in.state == InstanceState::kTerminating) {
      return ActionKind::kTerminate;  // first ask, a retry, or unconfirmed for too long: ask again
    }
    if (in.state == InstanceState::kDraining && !in.drain_requested) return ActionKind::kDrain;
    if (in.state == InstanceState::kStopped && !in.stop_requested) return ActionKind::kStop;
    if (in.state == InstanceState::kStarting && !in.start_requested) return ActionKind::kStart;
    if (!in.registered && CountsTowardCapacity(in.state)) return ActionKind::kRegister;
    if (!in.serving_synced && CountsTowardCapacity(in.state)) return ActionKind::kSetServing;
    return std::nullopt;
  }

  // A blue/green switch in either direction puts the set that is to serve
  // in service before the other stops taking requests: while an instance
  // still waits to be made serving, holds and drains wait (no request then
  // finds no server).
  // After a restart every instance is registered again in one tick: a
  // serving one not registered yet holds back the held ones' registration
  // too (it may be the one HAProxy must make serving before the other is
  // held).
  static bool WaitsToServe(const Instance& in) {
    if (!CountsTowardCapacity(in.state) || in.held) return false;
    return in.registered ? !in.serving_synced : in.state == InstanceState::kInService;
  }

  bool ServingPending() const {
    if (!census_.serving_pending && !switched_) return false;  // see Census
    return std::any_of(state_.instances.begin(), state_.instances.end(), WaitsToServe);
  }

  void DueOperations() {
    // The usual tick: no call due when the decision started, none made due
    // since, no condition to clear (see Census).
    if (!census_.call_due && !changed_ && state_.conditions.empty()) {
      assert(std::none_of(state_.instances.begin(), state_.instances.end(),
                          [](const Instance& in) { return CallDue(in).has_value(); }));
      return;
    }
    const bool serving_first = ServingPending();
    unsigned failing = 0;  // bit per ActionKind: kinds of call some instance is retrying
    for (Instance& in : state_.instances) {
      const std::optional<ActionKind> call = CallDue(in);
      if (!call) continue;
      if (in.retry.attempts > 0) failing |= 1u << static_cast<unsigned>(*call);
      if (now_ < in.retry.next_at) continue;
      if (serving_first && (*call == ActionKind::kDrain ||
                            ((*call == ActionKind::kSetServing || *call == ActionKind::kRegister) && in.held))) {
        continue;
      }
      const ActionKind kind = *call;
      Action a;
      a.kind = kind;
      a.instance = in.id;
      const auto why = reasons_.find(in.id);
      // No reason from this decision: a call owed since an observation (a
      // warm instance provisioned, a restart), or one that failed before.
      a.reason = why != reasons_.end()      ? why->second
                 : in.retry.attempts == 0 ? "owed since " + std::string(ToString(in.state))
                                          : "retry " + std::to_string(in.retry.attempts);
      plan_.actions.push_back(std::move(a));
    }
    // A condition of a call no instance is retrying any more is over, even
    // when no call succeeded to clear it: the instance that failed was
    // confirmed gone, or moved on to another call.
    if (state_.conditions.empty()) return;  // nothing to clear (the usual tick)
    for (ActionKind kind : {ActionKind::kRegister, ActionKind::kDrain, ActionKind::kTerminate, ActionKind::kStop,
                            ActionKind::kStart, ActionKind::kSetServing}) {
      if ((failing & (1u << static_cast<unsigned>(kind))) == 0) ClearFailingCondition(state_, kind);
    }
  }

  void Remove(double units) {
    const CapacitySplit split = SplitCapacity(state_.desired, spec_.capacity.on_demand_base,
                                              spec_.capacity.on_demand_percent_above_base);
    // Take only from a market that is above its share of the new desired
    // (so removing capacity never breaks the on-demand/spot split), unless
    // protection leaves too little there; then from anything.
    const Counted c = Count();
    const bool od_over = c.on_demand > split.on_demand + kEps;
    const bool spot_over = c.total - c.on_demand > split.spot + kEps;
    std::vector<const Instance*> all;
    std::vector<const Instance*> over_share;
    for (const Instance& in : state_.instances) {
      if (!in.replaces.empty()) continue;  // a rebalance launch is not excess
      if (in.held) continue;               // blue/green's set not serving: the deploy's to keep or remove
      all.push_back(&in);
      if (in.market == Market::kOnDemand ? od_over : spot_over) over_share.push_back(&in);
    }
    std::vector<InstanceId> chosen = ChooseScaleIn(over_share, units, split.on_demand);
    if (chosen.empty()) chosen = ChooseScaleIn(all, units, split.on_demand);
    double left = units;
    for (InstanceId id : chosen) {
      Instance* in = state_.Find(id);
      if (in == nullptr || in->weight > left + kEps) continue;
      left -= in->weight;
      in->simple_activity = simple_now_;
      if (in->state == InstanceState::kInService) {
        StartDrain(*in, "scale-in");
      } else if (in->warm && in->state == InstanceState::kStarting && WarmInPool() < spec_.warm_pool.size) {
        ReturnToPool(*in, "scale-in before it served");
      } else {
        Terminate(*in, "scale-in before it served");
      }
    }
  }

  // --- 4. rebalance ------------------------------------------------------
  // Launch-first replacements under way: instances and pending launches
  // marked as replacing another (both kinds of rebalance share the budget).
  int ReplacementsInFlight() const {
    int n = 0;
    for (const Instance& in : state_.instances) n += !in.replaces.empty() && CountsTowardCapacity(in.state);
    for (const PendingLaunch& p : state_.launches) n += !p.replaces.empty();
    return n;
  }

  // The instances a launch-first replacement is under way for (as
  // GroupState::IsBeingReplaced, for all at once).
  std::set<InstanceId> ReplacedIds() const {
    std::set<InstanceId> ids;
    for (const Instance& in : state_.instances) {
      if (!in.replaces.empty() && CountsTowardCapacity(in.state)) ids.insert(in.replaces);
    }
    for (const PendingLaunch& p : state_.launches) {
      if (!p.replaces.empty()) ids.insert(p.replaces);
    }
    return ids;
  }

  // EC2 Capacity Rebalancing: each spot instance at risk (a rebalance
  // recommendation) gets one replacement, launched first, in another spot
  // pool, else on-demand when the group falls back; FinishRebalanceSwaps
  // drains it once the replacement serves. Bounded like the on-demand swap
  // (rebalance_max_in_flight) and by the group's max: a replacement never
  // takes the counted capacity above it. When none can be placed the
  // instance stays; its notice, if it comes, is replaced as any other.
  void ReplaceAtRisk() {
    if (!spec_.spot.capacity_rebalance) return;  // turned off since the instance was marked
    if (now_ < state_.launch_backoff_until || now_ < state_.launch_retry.next_at) return;
    if (!census_.at_risk) return;
    // The census saw one at risk; one that still counts is worth counting for.
    const auto at_risk = [](const Instance& in) { return in.at_risk() && CountsTowardCapacity(in.state); };
    if (std::none_of(state_.instances.begin(), state_.instances.end(), at_risk)) return;
    int in_flight = ReplacementsInFlight();
    double counted = Count().total;
    std::vector<PoolView> views = PoolViews();
    const std::set<InstanceId> replaced = ReplacedIds();
    for (std::size_t i = 0; i < state_.instances.size(); ++i) {
      if (in_flight >= spec_.spot.rebalance_max_in_flight) return;
      const Instance& in = state_.instances[i];  // launches never add instances: no reallocation
      if (!in.at_risk() || !CountsTowardCapacity(in.state) || in.held || replaced.count(in.id) > 0) continue;
      std::vector<PoolView> elsewhere = views;
      if (in.pool >= 0 && in.pool < static_cast<int>(elsewhere.size())) elsewhere[in.pool].available = false;
      const std::vector<int> pick = ChooseSpotPools(spec_.capacity, elsewhere, 1);
      if (pick.empty() && !spec_.spot.fallback_to_on_demand) continue;
      const bool spot = !pick.empty();
      const double weight = spot ? spec_.capacity.spot_pools[pick[0]].weight : spec_.capacity.on_demand_weight;
      if (counted + weight > spec_.max + kEps) continue;
      const InstanceId at_risk = in.id;
      const std::string where = in.pool >= 0 ? spec_.capacity.spot_pools[in.pool].name : "no known pool";
      if (spot) {
        LaunchOne(Market::kSpot, pick[0], at_risk);
        views[pick[0]].running += 1;
      } else {
        LaunchOne(Market::kOnDemand, kOnDemandPool, at_risk);
      }
      counted += weight;
      ++in_flight;
      AddActivity(ActivityKind::kRebalance,
                  "rebalance recommendation for " + at_risk.str() + " (spot " + where + "): replacing in " +
                      (spot ? "spot pool " + spec_.capacity.spot_pools[pick[0]].name
                            : "on-demand " + spec_.capacity.on_demand_type + " (no other spot pool usable)") +
                      ", launch first then drain",
                  state_.desired, state_.desired);
    }
  }

  // --- 4b. deploy --------------------------------------------------------
  // One step of the deploy under way; true while one is (no other churn
  // then: the on-demand swap waits).
  bool StepDeploy() {
    TerminateStrayHeld();
    if (!state_.deploy || !state_.deploy->active()) return false;
    DeployState& d = *state_.deploy;
    if (d.blue_green()) return StepBlueGreen(d);
    if (d.phase == DeployPhase::kRolling) {
      if (std::string why = FailedNewInstance(d); !why.empty()) return BeginRollBack(why);
      if (d.batch_open && now_ > d.batch_started_at + d.request.settings.batch_timeout) {
        return BeginRollBack("batch " + std::to_string(d.batches) + " did not serve within " +
                             std::to_string(d.request.settings.batch_timeout) + "s");
      }
    } else {
      CancelNewReplacements(d);
    }
    if (!Steady()) return true;
    if (d.batch_open) {
      d.batch_open = false;
      if (d.phase == DeployPhase::kRolling && d.request.settings.analysis > 0) {
        d.analysis_from_minute = MinuteOf(now_) + 1;
        const Seconds minutes = (d.request.settings.analysis + 59) / 60;
        d.analysis_until = (d.analysis_from_minute + minutes) * 60;
        d.new_traffic = {d.request.to_version};
        d.old_traffic = {};
        AddActivity(ActivityKind::kDeploy,
                    DeployName(d) + ": batch " + std::to_string(d.batches) +
                        " serves; comparing it with the old release for " + std::to_string(minutes) + " min",
                    state_.desired, state_.desired);
        return true;
      }
    }
    if (d.analysis_until > 0) {
      const CanaryVerdict verdict = JudgeCanary(d.request.settings, d.new_traffic, d.old_traffic);
      if (!verdict.worse.empty()) {
        return BeginRollBack("canary analysis of batch " + std::to_string(d.batches) + ": " + verdict.worse);
      }
      if (now_ < d.analysis_until) return true;
      d.analysis_until = 0;
      AddActivity(ActivityKind::kDeploy,
                  DeployName(d) + ": batch " + std::to_string(d.batches) + " passed the canary analysis (" +
                      TrafficWords(d) + ")",
                  state_.desired, state_.desired);
    }
    const bool canary = !d.request.only.empty() && d.phase == DeployPhase::kRolling;
    if (canary && d.replaced > 0) return FinishDeploy(DeployPhase::kSucceeded, "canary passed");
    std::vector<Instance*> old = OldInstances(d, canary);
    if (old.empty()) {
      for (const Instance& in : state_.instances) {
        if (CountsTowardCapacity(in.state) && in.version != d.target_version()) return true;  // not yet left
      }
      return FinishDeploy(d.phase == DeployPhase::kRolling ? DeployPhase::kSucceeded : DeployPhase::kRolledBack,
                          d.phase == DeployPhase::kRolling ? "every instance runs the new release"
                                                           : "every instance runs the old release again");
    }
    StartBatch(d, old, canary);
    return true;
  }

  // --- blue/green (core/deploy.h) ---
  // Held instances belong to a blue/green deploy under way: green while it
  // launches, blue once switched. One left over (a launch that arrived after
  // the deploy ended, a deploy rolled back before it arrived) is terminated:
  // nothing stays registered and idle unseen.
  void TerminateStrayHeld() {
    const bool holding = state_.deploy && state_.deploy->blue_green() &&
                         (state_.deploy->phase == DeployPhase::kGreenLaunching ||
                          state_.deploy->phase == DeployPhase::kSwitched);
    if (holding || !census_.held) return;
    for (Instance& in : state_.instances) {
      if (!in.held || !CountsTowardCapacity(in.state)) continue;
      AddActivity(ActivityKind::kDeploy,
                  in.id.str() + " was launched held for a blue/green deploy that is over: terminated",
                  state_.desired, state_.desired);
      Terminate(in, "held for a blue/green deploy that is over");
    }
  }

  bool StepBlueGreen(DeployState& d) {
    if (d.phase == DeployPhase::kGreenLaunching) {
      if (std::string why = FailedNewInstance(d); !why.empty()) return BlueGreenBack(why);
      if (d.batch_open && now_ > d.batch_started_at + d.request.settings.batch_timeout) {
        return BlueGreenBack("the new release's instances did not all serve their health checks within " +
                             std::to_string(d.request.settings.batch_timeout) + "s");
      }
      return LaunchGreen(d);
    }
    if (d.phase != DeployPhase::kSwitched) return true;
    if (std::string why = FailedNewInstance(d); !why.empty()) return BlueGreenBack(why);
    if (d.analysis_until > 0) {
      const CanaryVerdict verdict = JudgeCanary(d.request.settings, d.new_traffic, d.old_traffic);
      if (!verdict.worse.empty()) {
        return BlueGreenBack("canary analysis after the switch: " + verdict.worse);
      }
      if (now_ < d.analysis_until) return true;
      d.analysis_until = 0;
      AddActivity(ActivityKind::kDeploy,
                  DeployName(d) + ": the new release passed the canary analysis (" + TrafficWords(d) +
                      "); the old is kept held until " + std::to_string(d.phase_since + d.request.settings.keep_old),
                  state_.desired, state_.desired);
    }
    if (now_ < d.phase_since + d.request.settings.keep_old) return true;
    // Promote: the old set leaves (it takes no requests; drained anyway for
    // any still in flight from before the switch).
    int leaving = 0;
    for (Instance& in : state_.instances) {
      if (!in.held || !CountsTowardCapacity(in.state)) continue;
      ++leaving;
      if (in.state == InstanceState::kInService) {
        StartDrain(in, "deploy " + std::to_string(d.id) + " promoted: the old release leaves");
      } else {
        Terminate(in, "deploy " + std::to_string(d.id) + " promoted: the old release leaves");
      }
    }
    FinishDeploy(DeployPhase::kSucceeded,
                 "promoted after keeping the old release " + std::to_string(d.request.settings.keep_old) +
                     "s; " + std::to_string(leaving) + " old instance(s) leave");
    return true;
  }

  // The serving set (blue before the switch) and the held one (green), in
  // capacity units; pending launches count to their side.
  struct Sides {
    double serving = 0;
    double held = 0;
    bool held_ready = true;  // every held instance serves its checks and the LB knows it held
  };
  Sides CountSides() const {
    Sides s;
    for (const Instance& in : state_.instances) {
      if (!CountsTowardCapacity(in.state)) continue;
      if (!in.held) {
        s.serving += in.weight;
        continue;
      }
      s.held += in.weight;
      s.held_ready = s.held_ready && in.state == InstanceState::kInService && in.registered && in.serving_synced;
    }
    for (const PendingLaunch& p : state_.launches) {
      if (p.warm) continue;
      if (p.held) {
        s.held += p.weight;
        s.held_ready = false;
      } else {
        s.serving += p.weight;
      }
    }
    return s;
  }

  // Green-launching: as many held instances of the new release as blue
  // serves (a scale-out meanwhile adds blue, and green follows), each in
  // blue's market; then the switch once every one serves its checks.
  bool LaunchGreen(DeployState& d) {
    Sides sides = CountSides();
    const std::string release = ReleaseRef(spec_, d.request.to_version);
    int launched = 0;
    if (sides.held < sides.serving - kEps && now_ >= state_.launch_backoff_until &&
        now_ >= state_.launch_retry.next_at) {
      std::vector<PoolView> views = PoolViews();
      double green = sides.held;
      for (const Instance& in : state_.instances) {
        if (green >= sides.serving - kEps) break;
        if (!CountsTowardCapacity(in.state) || in.held) continue;
        std::vector<int> pick;
        if (in.market == Market::kSpot) pick = ChooseSpotPools(spec_.capacity, views, 1);
        const bool spot = !pick.empty();
        if (!spot && in.market == Market::kSpot && !spec_.spot.fallback_to_on_demand) continue;
        LaunchOne(spot ? Market::kSpot : Market::kOnDemand, spot ? pick[0] : kOnDemandPool, {}, release,
                  /*held=*/true);
        if (spot) views[pick[0]].running += 1;
        green += spot ? spec_.capacity.spot_pools[pick[0]].weight : spec_.capacity.on_demand_weight;
        ++launched;
      }
    }
    if (launched > 0) {
      if (!d.batch_open) {
        d.batch_open = true;
        d.batch_started_at = now_;
        d.batches = 1;
      }
      d.replaced += launched;
      AddActivity(ActivityKind::kDeploy,
                  DeployName(d) + ": launching " + std::to_string(launched) + " instance(s) of release " + release +
                      " held (registered and checked, no requests) beside the serving ones",
                  state_.desired, state_.desired);
      return true;
    }
    sides = CountSides();
    if (!sides.held_ready || sides.held < sides.serving - kEps || sides.held <= 0) return true;
    Switch(d);
    return true;
  }

  // Green serves, blue is held: green's serving call goes first and blue's
  // holds wait for it (DueOperations), so a request always finds a server.
  void Switch(DeployState& d) {
    switched_ = true;
    changed_ = true;
    std::string green_ids;
    int blue = 0;
    for (Instance& in : state_.instances) {
      if (!CountsTowardCapacity(in.state)) continue;
      if (in.held) {
        in.held = false;
        green_ids += (green_ids.empty() ? "" : ", ") + in.id.str();
      } else {
        in.held = true;
        ++blue;
      }
      in.serving_synced = false;
    }
    d.phase = DeployPhase::kSwitched;
    d.phase_since = now_;
    d.batch_open = false;
    if (d.request.settings.analysis > 0) {
      d.analysis_from_minute = MinuteOf(now_) + 1;
      const Seconds minutes = (d.request.settings.analysis + 59) / 60;
      d.analysis_until = (d.analysis_from_minute + minutes) * 60;
      d.new_traffic = {d.request.to_version};
    } else {
      d.analysis_until = 0;
    }
    AddActivity(ActivityKind::kDeploy,
                DeployName(d) + ": switched: " + green_ids + " serve; the " + std::to_string(blue) +
                    " old instance(s) are held for " + std::to_string(d.request.settings.keep_old) + "s" +
                    (d.analysis_until > 0 ? ", the new release compared with the old's traffic before the switch" : ""),
                state_.desired, state_.desired);
  }

  bool BlueGreenBack(const std::string& why) {
    Result<Activity> a = RollBack(why);
    if (a.ok()) plan_.activities.push_back(*a);
    for (Instance& in : state_.instances) {
      if (in.state == InstanceState::kDraining && !in.drain_requested) reasons_[in.id] = "deploy rolled back";
      if (in.state == InstanceState::kTerminating && !in.terminate_requested) reasons_[in.id] = "deploy rolled back";
    }
    return true;
  }

  std::string DeployName(const DeployState& d) const {
    return "deploy " + std::to_string(d.id) + " (release " + std::to_string(d.from_version) + " -> " +
           std::to_string(d.request.to_version) + (d.phase == DeployPhase::kRollingBack ? ", rolling back" : "") +
           (d.blue_green() ? ", blue/green" : "") + ")";
  }

  static std::string TrafficWords(const DeployState& d) {
    auto words = [](const ReleaseTraffic& t) {
      return std::to_string(static_cast<long long>(t.requests)) + " requests, " +
             std::to_string(static_cast<long long>(t.errors)) + " 5xx";
    };
    return "new: " + words(d.new_traffic) + "; old: " + words(d.old_traffic);
  }

  // An instance of the new release that HandleLeaving found unhealthy in this tick.
  std::string FailedNewInstance(const DeployState& d) const {
    for (InstanceId id : unhealthy_now_) {
      const Instance* in = state_.Find(id);
      if (in != nullptr && in->version == d.request.to_version) {
        return in->id.str() + " of release " + std::to_string(in->version) + " failed its health checks";
      }
    }
    return "";
  }

  // Nothing launching, everything counted serving: the batch is done.
  bool Steady() const {
    for (const PendingLaunch& p : state_.launches) {
      if (!p.warm) return false;
    }
    for (const Instance& in : state_.instances) {
      if (CountsTowardCapacity(in.state) && in.state != InstanceState::kInService) return false;
    }
    return true;
  }

  // Rolling back: new-release replacements that do not serve yet are
  // stopped (the instance they would replace stays).
  void CancelNewReplacements(const DeployState& d) {
    for (Instance& in : state_.instances) {
      if (in.version != d.request.to_version || in.replaces.empty()) continue;
      if (in.state != InstanceState::kPending && in.state != InstanceState::kProvisioning) continue;
      in.replaces = {};
      changed_ = true;
      Terminate(in, "deploy rolled back before it served");
    }
  }

  // In-service instances not on the target release, the ones to replace
  // first first (at risk, then the oldest launch); a canary: just it.
  std::vector<Instance*> OldInstances(const DeployState& d, bool canary) {
    const std::set<InstanceId> replaced = ReplacedIds();
    std::vector<Instance*> old;
    for (Instance& in : state_.instances) {
      if (in.state != InstanceState::kInService || in.version == d.target_version()) continue;
      if (replaced.count(in.id) > 0) continue;
      if (canary && in.id != d.request.only) continue;
      old.push_back(&in);
    }
    std::stable_sort(old.begin(), old.end(), [](const Instance* a, const Instance* b) {
      if (a->at_risk() != b->at_risk()) return a->at_risk();
      return a->launched_at < b->launched_at;
    });
    return old;
  }

  // Replaces up to a batch of `old`: launch first while the group's max
  // allows, else drain first while min-healthy allows (the capacity step
  // launches its replacement, booting the target release).
  void StartBatch(DeployState& d, const std::vector<Instance*>& old, bool canary) {
    int serving = 0;
    double serving_units = 0;
    for (const Instance& in : state_.instances) {
      if (in.state != InstanceState::kInService) continue;
      ++serving;
      serving_units += in.weight;
    }
    const int size = canary ? 1
                     : d.phase == DeployPhase::kRollingBack ? static_cast<int>(old.size())
                                                            : BatchSize(d.request.settings, serving);
    const double min_units = MinHealthyUnits(d.request.settings, state_.desired);
    const std::string release = ReleaseRef(spec_, d.target_version());
    double counted = Count().total;
    std::vector<PoolView> views = PoolViews();
    std::string ids;
    int begun = 0;
    for (Instance* in : old) {
      if (begun >= size) break;
      std::vector<int> pick;
      if (in->market == Market::kSpot) pick = ChooseSpotPools(spec_.capacity, views, 1);
      const bool spot = !pick.empty();
      const double weight = spot ? spec_.capacity.spot_pools[pick[0]].weight : spec_.capacity.on_demand_weight;
      if (counted + weight <= spec_.max + kEps &&
          (spot || in->market == Market::kOnDemand || spec_.spot.fallback_to_on_demand)) {
        LaunchOne(spot ? Market::kSpot : Market::kOnDemand, spot ? pick[0] : kOnDemandPool, in->id, release);
        if (spot) views[pick[0]].running += 1;
        counted += weight;
      } else if (serving_units - in->weight >= min_units - kEps) {
        serving_units -= in->weight;
        state_.replace_causes.push_back("deploy " + std::to_string(d.id) + " of " + in->id.str());
        StartDrain(*in, "deploy " + std::to_string(d.id) + ": drained first (the group is at its max)");
      } else {
        break;
      }
      ids += (ids.empty() ? "" : ", ") + in->id.str();
      ++begun;
    }
    const std::string blocked = "blocked: no room above max and min_healthy leaves no instance to drain";
    if (begun == 0) {
      if (d.result != blocked) {
        d.result = blocked;
        AddActivity(ActivityKind::kDeploy, DeployName(d) + " " + blocked, state_.desired, state_.desired);
      }
      return;
    }
    if (d.result == blocked) d.result.clear();  // a rollback keeps its reason
    ++d.batches;
    d.batch_open = true;
    d.batch_started_at = now_;
    d.replaced += begun;
    AddActivity(ActivityKind::kDeploy,
                DeployName(d) + ": batch " + std::to_string(d.batches) + " replaces " + ids + " with release " +
                    release + " (" + std::to_string(old.size() - static_cast<std::size_t>(begun)) + " to go after it)",
                state_.desired, state_.desired);
  }

  // RollBackDeploy changes instances (drains, terminations) and, for a
  // blue/green deploy after the switch, makes the old set serve again: a
  // switch back (see Census).
  Result<Activity> RollBack(const std::string& why) {
    changed_ = true;
    switched_ = true;
    return RollBackDeploy(spec_, state_, why, now_);
  }

  bool BeginRollBack(const std::string& why) {
    Result<Activity> a = RollBack(why);
    if (a.ok()) plan_.activities.push_back(*a);
    CancelNewReplacements(*state_.deploy);
    return true;
  }

  bool FinishDeploy(DeployPhase phase, const std::string& why) {
    DeployState& d = *state_.deploy;
    d.phase = phase;
    d.phase_since = now_;
    d.ended_at = now_;
    d.analysis_until = 0;
    d.result = phase == DeployPhase::kRolledBack && !d.result.empty() ? d.result + "; " + why : why;
    const bool canary = !d.request.only.empty();
    if (phase == DeployPhase::kSucceeded && !canary) {
      if (d.from_version != d.request.to_version) state_.previous_release_version = d.from_version;
      state_.release_version = d.request.to_version;
    }
    if (phase == DeployPhase::kRolledBack) state_.release_version = d.release_before;
    AddActivity(ActivityKind::kDeploy, DeployName(d) + " " + std::string(ToString(phase)) + ": " + why,
                state_.desired, state_.desired);
    return false;
  }

  void Rebalance() {
    if (!spec_.spot.rebalance_to_spot) return;
    const CapacitySplit split = SplitCapacity(state_.desired, spec_.capacity.on_demand_base,
                                              spec_.capacity.on_demand_percent_above_base);
    // Most ticks have no on-demand above its share: the census bounds it
    // without counting (every on-demand instance in any state, and every
    // on-demand launch). The margin keeps a bound that only rounding puts
    // under kEps counting for real.
    if (OnDemandBound() - split.on_demand < kEps - 1e-6) return;
    const Counted c = Count();
    double excess = c.on_demand - split.on_demand;
    if (excess < kEps) return;
    int in_flight = 0;
    for (const Instance& in : state_.instances) {
      if (!CountsTowardCapacity(in.state)) continue;
      if (!in.replaces.empty()) {
        ++in_flight;
      } else if (in.state != InstanceState::kInService) {
        return;  // a scale-out or replacement is still under way: not steady yet
      }
    }
    for (const PendingLaunch& p : state_.launches) {
      if (p.warm) continue;
      if (p.replaces.empty()) return;
      ++in_flight;
    }
    std::vector<PoolView> views = PoolViews();
    for (Instance& in : state_.instances) {
      if (excess < in.weight - kEps || in_flight >= spec_.spot.rebalance_max_in_flight) break;
      if (in.market != Market::kOnDemand || in.state != InstanceState::kInService) continue;
      if (state_.IsBeingReplaced(in.id)) {
        excess -= in.weight;
        continue;
      }
      const std::vector<int> pick = ChooseSpotPools(spec_.capacity, views, 1);
      if (pick.empty()) return;
      LaunchOne(Market::kSpot, pick[0], in.id);
      views[pick[0]].running += 1;
      AddActivity(ActivityKind::kRebalance,
                  "on-demand " + in.id.str() + " above the on-demand share: replacing with spot " +
                      spec_.capacity.spot_pools[pick[0]].name + ", launch first then drain",
                  state_.desired, state_.desired);
      excess -= in.weight;
      ++in_flight;
    }
  }

  // At least Count().on_demand: instances never change market, and Decide
  // adds none (launches are pending until the cloud answers).
  double OnDemandBound() const {
    double units = census_.on_demand_units;
    for (const PendingLaunch& p : state_.launches) {
      if (p.market == Market::kOnDemand) units += p.weight;
    }
    return units;
  }

  void DropTerminated() {
    if (census_.terminated) shoal::DropTerminated(state_);
  }

  void AddActivity(ActivityKind kind, std::string cause, int from, int to) {
    plan_.activities.push_back({now_, spec_.name, kind, std::move(cause), from, to});
  }

  const GroupSpec& spec_;
  GroupState& state_;
  const Observation& obs_;
  const Seconds now_;
  Plan plan_;
  Census census_;
  bool simple_now_ = false;
  bool switched_ = false;                         // a blue/green switch was made (Switch)
  bool changed_ = false;                          // an instance or launch changed since the census
  int slot_ = 0;                                  // launches planned by this decision so far
  std::map<InstanceId, std::string> reasons_;     // why an instance leaves, for its call
  std::vector<InstanceId> unhealthy_now_;         // found unhealthy by this decision (HandleLeaving)
};

}  // namespace

Plan Decide(const GroupSpec& spec, GroupState& state, const Observation& obs, Seconds now) {
  return Decider(spec, state, obs, now).Run();
}

}  // namespace shoal
