#include "core/scaling.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>

#include "core/policy.h"

namespace shoal {
namespace {

std::string FormatValue(double v) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << v;
  return out.str();
}

bool SimpleLocked(const GroupState& state, Seconds now) {
  return state.simple_activity_open || now < state.simple_cooldown_until;
}

int AlarmIndex(const GroupSpec& spec, const std::string& name) {
  for (std::size_t i = 0; i < spec.alarms.size(); ++i) {
    if (spec.alarms[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const MetricHistory& HistoryOf(const GroupState& state, MetricName m) {
  return m == MetricName::kCpuUtilization ? state.cpu : state.requests_per_target;
}

// The newest period's value of an alarm (what a step policy compares).
std::optional<double> NewestValue(const AlarmSpec& a, const GroupState& state) {
  const int minutes = a.period_seconds / 60;
  return PeriodValue(HistoryOf(state, a.metric), a.statistic,
                     state.last_evaluated_minute - minutes, minutes);
}

std::string AlarmCause(const AlarmSpec& a, double value) {
  return "alarm '" + a.name + "' (" + std::string(ToString(a.metric)) + " " + FormatValue(value) +
         " " + std::string(ToString(a.comparison)) + " " + FormatValue(a.threshold) + ")";
}

std::optional<Proposal> ProposeSimple(const GroupSpec& spec, const GroupState& state, int i,
                                      Seconds now) {
  const PolicySpec& p = spec.policies[i];
  const int a = AlarmIndex(spec, p.alarm);
  if (a < 0 || state.alarm_states[a] != AlarmState::kAlarm || SimpleLocked(state, now)) return {};
  const auto value = NewestValue(spec.alarms[a], state);
  Proposal out;
  out.policy = i;
  out.desired = AdjustedCapacity(p.adjustment_type, p.scaling_adjustment, state.desired,
                                 p.min_adjustment_magnitude);
  out.cause = AlarmCause(spec.alarms[a], value.value_or(NAN)) + " -> policy '" + p.name + "'";
  return out;
}

std::optional<Proposal> ProposeStep(const GroupSpec& spec, const GroupState& state, int i,
                                    Seconds now) {
  const PolicySpec& p = spec.policies[i];
  const int a = AlarmIndex(spec, p.alarm);
  if (a < 0 || state.alarm_states[a] != AlarmState::kAlarm) return {};
  const auto value = NewestValue(spec.alarms[a], state);
  if (!value) return {};
  const StepAdjustment* step = FindStep(p.steps, *value, spec.alarms[a].threshold);
  if (step == nullptr) return {};
  Proposal out;
  out.policy = i;
  out.cause = AlarmCause(spec.alarms[a], *value) + " -> policy '" + p.name + "'";
  const bool grows = p.adjustment_type == AdjustmentType::kExactCapacity
                         ? step->adjustment > state.desired
                         : step->adjustment > 0;
  if (grows) {
    // Warming instances already answer this breach: the same step adds
    // nothing more, a bigger step adds only the difference.
    const int base = static_cast<int>(
        std::floor(state.desired - WarmingUnits(state, p.warmup, now) + 1e-9));
    out.desired = std::max(state.desired, AdjustedCapacity(p.adjustment_type, step->adjustment,
                                                           base, p.min_adjustment_magnitude));
  } else {
    out.desired = AdjustedCapacity(p.adjustment_type, step->adjustment, state.desired,
                                   p.min_adjustment_magnitude);
  }
  return out;
}

// Mean of the per-minute averages of the `minutes` minutes before `end`.
double WindowMean(const MetricHistory& h, std::int64_t end, std::int64_t minutes) {
  double sum = 0;
  int n = 0;
  for (std::int64_t m = end - minutes; m < end; ++m) {
    const auto d = h.At(m);
    if (d && !d->missing()) {
      sum += d->sum / d->count;
      ++n;
    }
  }
  return n > 0 ? sum / n : 0;
}

std::optional<Proposal> ProposeTargetTracking(const GroupSpec& spec, const GroupState& state,
                                              int i, Seconds now) {
  const PolicySpec& p = spec.policies[i];
  const MetricHistory& h = HistoryOf(state, p.target_metric);
  const auto newest = h.At(state.last_evaluated_minute - 1);
  if (!newest || newest->missing()) return {};
  const double metric = newest->sum / newest->count;
  const auto what = [&] {
    return std::string(ToString(p.target_metric)) + " " + FormatValue(metric) + " vs target " +
           FormatValue(p.target_value);
  };
  Proposal out;
  out.policy = i;
  if (state.tt_high_states[i] == AlarmState::kAlarm) {
    // Size for the mean of the breaching window: one spiky minute inside a
    // sustained rise must not set the size on its own.
    const double level = WindowMean(h, state.last_evaluated_minute, p.shape.scale_out_evaluation_periods);
    const int warmed = static_cast<int>(std::floor(WarmedUnits(state, p.warmup, now) + 1e-9));
    out.desired = std::max(state.desired, TargetTrackingCapacity(warmed, level, p.target_value));
    out.cause = "target tracking '" + p.name + "' high (" + what() + ", mean of the last " +
                std::to_string(p.shape.scale_out_evaluation_periods) + " minutes " + FormatValue(level) + ")";
    return out;
  }
  if (state.tt_low_states[i] == AlarmState::kAlarm && !p.disable_scale_in) {
    const Seconds cooldown = p.cooldown.value_or(spec.default_cooldown);
    if (WarmingUnits(state, p.warmup, now) > 1e-9) return {};
    if (state.tt_last_scale_in[i] != kNever && now < state.tt_last_scale_in[i] + cooldown) return {};
    // Size for the busiest minute of the calm window, not the last one: a
    // single quiet minute must not shrink the group below what the window
    // needed (scale in slowly).
    const std::int64_t window = p.shape.scale_in_evaluation_periods;
    double busiest = 0;
    for (std::int64_t m = state.last_evaluated_minute - window; m < state.last_evaluated_minute; ++m) {
      const auto d = h.At(m);
      if (d && !d->missing()) busiest = std::max(busiest, d->sum / d->count);
    }
    const int serving = static_cast<int>(std::floor(WarmedUnits(state, 0, now) + 1e-9));
    out.desired = std::min(state.desired, TargetTrackingCapacity(serving, busiest, p.target_value));
    out.cause = "target tracking '" + p.name + "' low (" + what() + ", busiest of the last " +
                std::to_string(window) + " minutes " + FormatValue(busiest) + ")";
    return out;
  }
  return {};
}

// Why a forecast was scaled (nothing when it was not): scale is the level
// ratio over p.level_ratio below 1, over p.level_rise above (LevelScale), so
// the ratio is scale x level_ratio or scale x level_rise; at the cap it was
// at least that.
std::string LevelNote(const PolicySpec& p, double scale, const std::string& source, double seen,
                      double ceiling) {
  if (scale == 1) return "";
  const std::string scaled =
      ", scaled to " + FormatValue(scale * 100) + "%: the last " + std::to_string(p.level_window_minutes) + " minutes ran at ";
  if (scale < 1) {
    return scaled + FormatValue(scale * p.level_ratio * 100) + "% of " + source + "'s load, below " +
           FormatValue(p.level_ratio * 100) + "%";
  }
  const bool capped = scale >= kMaxLevelRiseScale;
  const double units = ScaledUnits(seen, scale, ceiling);
  return scaled + FormatValue(scale * p.level_rise * 100) + (capped ? "% or more" : "%") + " of " + source +
         "'s load, above " + FormatValue(p.level_rise * 100) + "%" +
         (capped ? " (scaled up " + FormatValue(kMaxLevelRiseScale) + "x at most)" : "") +
         (units < seen * scale ? ", to " + FormatValue(units) + " units, the busiest load seen" : "");
}

// How the forecasting lag was chosen (nothing when every lag forecasts).
std::string LagChoiceNote(const PolicySpec& p, std::size_t chosen) {
  const std::string window = std::to_string(p.lag_choice_minutes);
  if (chosen == 1) return " (the lag closest to the load of the last " + window + " minutes)";
  if (chosen > 1) {
    return " (the larger of the lags that fit the load of the last " + window + " minutes within " +
           FormatValue(kLagTieMargin * 100) + "% of each other)";
  }
  return "";
}

// What one predictive policy wants ready now, and why.
struct PredictiveWant {
  int capacity = 0;
  std::string cause;
  bool recurring = false;  // for load seen to recur (a lag, a period), not headroom
};

// `lookahead` > 0: over the next `lookahead` minutes at least, instead of
// the policy's horizon and the launch lead.
std::optional<PredictiveWant> WantOf(const PolicySpec& p, const GroupState& state, std::size_t i,
                                     int lookahead = 0) {
  const std::int64_t now = state.last_evaluated_minute;
  const int horizon = std::max(p.horizon_minutes, lookahead);
  std::optional<PredictiveWant> best;
  const auto consider = [&](int capacity, bool recurring, auto describe) {
    if (!best || capacity > best->capacity) best = PredictiveWant{capacity, describe(), recurring};
  };
  const PolicyLearning* learned = i < state.learned.size() ? &state.learned[i] : nullptr;
  // The lags chosen as the closest to the recent load, when the policy chooses.
  const std::span<const int> chosen =
      learned != nullptr ? std::span<const int>(learned->lags_chosen) : std::span<const int>();
  const std::span<const double> lag_scales =
      learned != nullptr ? std::span<const double>(learned->lag_scales) : std::span<const double>();
  const double ceiling = learned != nullptr ? learned->busiest_seen : 0;
  if (const auto f = SeasonalForecast(p, state.load, now, chosen, lag_scales, horizon, ceiling)) {
    consider(PredictiveCapacity(*f, p.target_value), true, [&] {
      return "load " + FormatValue(f->seen) + " units " + std::to_string(f->lag_days) +
             " day(s) ago within the next " + std::to_string(horizon) + " minutes" +
             LagChoiceNote(p, chosen.size()) +
             LevelNote(p, f->scale, "that day", f->seen, f->ceiling) + ", at " + FormatValue(p.target_value) +
             "% CPU";
    });
  }
  if (learned == nullptr) return best;
  const PolicyLearning& l = *learned;
  const int lead = LaunchLeadMinutes(state, p.horizon_minutes);
  const int window = std::max(lead + 1, lookahead);
  double periodic = 0;  // what the periods say is coming
  for (const LearnedPeriod& period : l.periods) {
    const int repetitions = RepetitionsFor(p, period.minutes);
    const auto seen = PeriodForecast(state.load, period.minutes, repetitions, now, window);
    if (!seen) continue;
    const double units = ScaledUnits(*seen, period.scale, l.busiest_seen);
    periodic = std::max(periodic, units);
    consider(CapacityAt(units, p.target_value), true, [&] {
      return "load " + FormatValue(*seen) + " units within the next " + std::to_string(window) +
             " minutes " + (repetitions == 1 ? std::string("in the last repetition of its ")
                                             : "in each of the last " + std::to_string(repetitions) +
                                                   " repetitions of its ") +
             std::to_string(period.minutes) + "-minute period (correlation " + FormatValue(period.correlation) +
             ")" + LevelNote(p, period.scale, "its last repetition", *seen, l.busiest_seen) + ", at " +
             FormatValue(p.target_value) +
             "% CPU";
    });
  }
  if (l.growth) {
    // The growth is measured from the busiest minute of the lead before,
    // or from what the periods forecast when that is more.
    const std::int64_t latest = state.load.latest();
    if (const auto recent = state.load.MaxIn(latest - l.lead + 1, latest + 1)) {
      const double base = std::max({*recent, periodic, kGrowthFloorUnits});
      consider(CapacityAt(base * *l.growth, 100), false, [&] {
        return "headroom: " + FormatValue(base) + " units x " + FormatValue(*l.growth) +
               ", the growth over " + std::to_string(l.lead) + " minutes that " +
               FormatValue(p.headroom_quantile * 100) +
               "% of the minutes seen stayed within (beyond the learned periods), at 100% CPU";
      });
    }
  }
  return best;
}

std::optional<Proposal> ProposePredictive(const GroupSpec& spec, const GroupState& state, int i) {
  const PolicySpec& p = spec.policies[i];
  const auto want = WantOf(p, state, static_cast<std::size_t>(i));
  if (!want || want->capacity <= state.desired) return {};
  Proposal out;
  out.policy = i;
  out.desired = want->capacity;
  out.cause = "predictive '" + p.name + "' (" + want->cause + ")";
  out.recurring = want->recurring;
  return out;
}

}  // namespace

int LaunchLeadMinutes(const GroupState& state, int fallback) {
  Seconds longest = -1;
  for (const Instance& in : state.instances) {
    if (in.warm || in.in_service_at == kNever || in.in_service_at < in.launched_at) continue;
    longest = std::max(longest, in.in_service_at - in.launched_at);
  }
  if (longest < 0) return fallback;
  return std::clamp(static_cast<int>((longest + kMinute - 1) / kMinute), 1, 60);
}

int PredictiveFloor(const GroupSpec& spec, const GroupState& state, int lookahead_minutes) {
  int floor = 0;
  for (std::size_t i = 0; i < spec.policies.size(); ++i) {
    const PolicySpec& p = spec.policies[i];
    if (p.type != PolicyType::kPredictive) continue;
    if (const auto want = WantOf(p, state, i, lookahead_minutes)) floor = std::max(floor, want->capacity);
  }
  return floor;
}

GiveBack GiveBackForecastRaise(const GroupSpec& spec, const GroupState& state) {
  GiveBack out;
  const ForecastRaise& raise = state.forecast_raise;
  if (raise.from < 0) return out;
  // The calm window to shortcut: the longest of the target-tracking
  // policies that scale in. While any of them is hot, nothing goes.
  int tt = -1;
  for (std::size_t i = 0; i < spec.policies.size(); ++i) {
    const PolicySpec& p = spec.policies[i];
    if (p.type != PolicyType::kTargetTracking) continue;
    if (state.tt_high_states[i] == AlarmState::kAlarm) return out;
    if (p.disable_scale_in) continue;
    if (tt < 0 || p.shape.scale_in_evaluation_periods > spec.policies[tt].shape.scale_in_evaluation_periods) {
      tt = static_cast<int>(i);
    }
  }
  const std::int64_t now = state.last_evaluated_minute;
  const int window = tt < 0 ? 0 : spec.policies[tt].shape.scale_in_evaluation_periods;
  // A raise older than the window (a day's ramp, not a burst) is target
  // tracking's to scale in, as any other capacity.
  if (tt < 0 || now - raise.minute > window) {
    out.finished = true;
    return out;
  }
  const PolicySpec& p = spec.policies[tt];
  // Kept when the forecast wants it again within the window: scaling in
  // and launching again minutes later only churns.
  const int ahead = PredictiveFloor(spec, state, window);
  if (ahead >= state.desired) return out;
  // What the load needs: the busiest minute of the last launch time (the
  // burst's tail) and of the window's minutes before the raise; the minutes
  // in between are the burst the forecast raised for.
  const int lead = LaunchLeadMinutes(state, kGiveBackLeadFallbackMinutes);
  const double busiest = std::max(state.load.MaxIn(now - lead, now).value_or(0),
                                  state.load.MaxIn(now - window, raise.minute).value_or(0));
  const int need = CapacityAt(busiest, p.target_value);
  const int keep = std::max(raise.from, ahead);
  const int to = std::clamp(std::max(keep, need), spec.min, spec.max);
  out.finished = to <= std::clamp(raise.from, spec.min, spec.max);
  if (to >= state.desired) return out;
  Proposal back;
  back.policy = tt;
  back.desired = to;
  back.cause = "target tracking '" + p.name + "' gives back what the forecast raised for (it wants " +
               std::to_string(ahead) + " within the next " + std::to_string(window) +
               " minutes; the busiest minute of the last " + std::to_string(lead) +
               " and of those before the raise, " + FormatValue(busiest) + " units, needs " +
               std::to_string(need) + " at " + FormatValue(p.target_value) + "% CPU; " +
               std::to_string(raise.from) + " before the raise)";
  out.proposal = std::move(back);
  return out;
}

double WarmingUnits(const GroupState& state, Seconds warmup, Seconds now) {
  double units = 0;
  for (const Instance& in : state.instances) {
    if (!CountsTowardCapacity(in.state)) continue;
    if (in.state != InstanceState::kInService || in.in_service_at + warmup > now) units += in.weight;
  }
  return units;
}

double WarmedUnits(const GroupState& state, Seconds warmup, Seconds now) {
  double units = 0;
  for (const Instance& in : state.instances) {
    if (in.state == InstanceState::kInService && in.in_service_at + warmup <= now) units += in.weight;
  }
  return units;
}

void EvaluateAlarms(const GroupSpec& spec, GroupState& state, std::int64_t now_minute) {
  state.last_evaluated_minute = now_minute;
  for (std::size_t a = 0; a < spec.alarms.size(); ++a) {
    const AlarmSpec& alarm = spec.alarms[a];
    state.alarm_states[a] =
        EvaluateAlarm(alarm, HistoryOf(state, alarm.metric), now_minute, state.alarm_states[a]);
  }
  for (std::size_t i = 0; i < spec.policies.size() && i < state.learned.size(); ++i) {
    const PolicySpec& p = spec.policies[i];
    if (p.type != PolicyType::kPredictive) continue;
    Learn(p, state.load, now_minute, LaunchLeadMinutes(state, p.horizon_minutes), &state.learned[i]);
    UpdateLevels(p, state.load, now_minute, &state.learned[i]);
  }
  for (std::size_t i = 0; i < spec.policies.size(); ++i) {
    const PolicySpec& p = spec.policies[i];
    if (p.type != PolicyType::kTargetTracking) continue;
    const MetricHistory& h = HistoryOf(state, p.target_metric);
    state.tt_high_states[i] =
        EvaluateAlarm(TargetTrackingHighAlarm(p), h, now_minute, state.tt_high_states[i]);
    state.tt_low_states[i] =
        EvaluateAlarm(TargetTrackingLowAlarm(p), h, now_minute, state.tt_low_states[i]);
  }
}

std::vector<Proposal> ProposeAll(const GroupSpec& spec, const GroupState& state, Seconds now) {
  std::vector<Proposal> out;
  for (std::size_t i = 0; i < spec.policies.size(); ++i) {
    std::optional<Proposal> p;
    switch (spec.policies[i].type) {
      case PolicyType::kSimple: p = ProposeSimple(spec, state, static_cast<int>(i), now); break;
      case PolicyType::kStep: p = ProposeStep(spec, state, static_cast<int>(i), now); break;
      case PolicyType::kTargetTracking:
        p = ProposeTargetTracking(spec, state, static_cast<int>(i), now);
        break;
      case PolicyType::kPredictive: p = ProposePredictive(spec, state, static_cast<int>(i)); break;
    }
    if (p) out.push_back(std::move(*p));
  }
  return out;
}

bool CanScaleIn(const PolicySpec& p) {
  switch (p.type) {
    case PolicyType::kPredictive: return false;  // it only holds capacity up
    case PolicyType::kTargetTracking: return !p.disable_scale_in;
    case PolicyType::kSimple:
      return p.adjustment_type == AdjustmentType::kExactCapacity || p.scaling_adjustment < 0;
    case PolicyType::kStep:
      if (p.adjustment_type == AdjustmentType::kExactCapacity) return true;
      return std::any_of(p.steps.begin(), p.steps.end(),
                         [](const StepAdjustment& s) { return s.adjustment < 0; });
  }
  return false;
}

std::optional<Proposal> Combine(const GroupSpec& spec, const GroupState& state,
                                const std::vector<Proposal>& proposals, int floor) {
  const int low = std::clamp(floor, spec.min, spec.max);
  const auto clamp = [&](int d) { return std::clamp(d, low, spec.max); };
  const Proposal* best_out = nullptr;
  for (const Proposal& p : proposals) {
    if (clamp(p.desired) > state.desired && (best_out == nullptr || p.desired > best_out->desired)) {
      best_out = &p;
    }
  }
  if (best_out != nullptr) {
    Proposal out = *best_out;
    out.desired = clamp(out.desired);
    return out;
  }
  int voters = 0;
  for (const PolicySpec& p : spec.policies) voters += CanScaleIn(p) ? 1 : 0;
  const Proposal* least_in = nullptr;
  int ins = 0;
  for (const Proposal& p : proposals) {
    if (clamp(p.desired) >= state.desired) continue;
    ++ins;
    if (least_in == nullptr || p.desired > least_in->desired) least_in = &p;
  }
  if (least_in == nullptr || ins < voters) return {};
  Proposal out = *least_in;
  out.desired = clamp(out.desired);
  return out;
}

}  // namespace shoal
