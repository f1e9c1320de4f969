// One decision step at fleet scale: the issue's target is "one decision step
// over 1,000 groups / 100,000 instances in under 50 ms". A step is what
// Reconciler::Tick does between observing and acting: Decide for every group
// with evaluate_alarms = true (a minute completed, so every alarm and policy
// is evaluated). Only the Decide calls are timed; the per-iteration copy of
// the fleet's state (Decide mutates it) happens with the timer paused, so
// every iteration does the same work on the same input.
//
// Three fleets:
//   Steady   — every group at desired, CPU near target: alarms and policies
//              evaluate, nothing to do (the common tick).
//   Short    — desired 30% above the instances: every group plans launches.
//   Notices  — 5% of the instances got a spot notice: drains, avoided pools
//              and replacement launches.
// After the benchmarks, main prints the fleet's resident size and the
// process's peak RSS.
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/bench_group.h"
#include "core/decide.h"
#include "core/group.h"

namespace shoal {
namespace {

constexpr int kGroups = 1000;
constexpr int kInstancesPerGroup = 100;
constexpr int kOnDemandBase = 10;           // per group: 10 on-demand, 90 spot
constexpr int kMetricMinutes = 20;          // > the 15-minute target-tracking scale-in window
constexpr double kSteadyCpu = 57;           // between the scale-in (54) and scale-out (60) thresholds
constexpr double kShortfall = 0.3;          // Short fleet: desired = instances * 1.3
constexpr int kNoticesPerGroup = kInstancesPerGroup / 20;  // Notices fleet: 5% of the instances
constexpr Seconds kNow = kMetricMinutes * kMinute + 5;  // a few seconds into the next minute

// Every group alike: what varies the work is the state, not the spec.
GroupSpec BenchGroup(int g) {
  GroupSpec s;
  s.name = "group-" + std::to_string(g);
  s.service = s.name;
  s.min = 2;
  s.max = 4 * kInstancesPerGroup;
  s.desired = kInstancesPerGroup;
  s.capacity.on_demand_base = kOnDemandBase;
  s.capacity.on_demand_percent_above_base = 0;
  bench::AddPoolsAndPolicies(&s);
  return s;
}

// In service for an hour already (warm-up never discounts them) and
// registered with the load balancer long since (a steady step owes the
// outside no call). Ids are unique across the fleet and increasing within a
// group (the state keeps instances sorted by id).
Instance InService(int g, int i) {
  Instance in;
  in.id = InstanceId::FromCounter(static_cast<std::uint64_t>(g) * kInstancesPerGroup + static_cast<std::uint64_t>(i) + 1);
  in.group = g;
  const bool on_demand = i < kOnDemandBase;
  in.market = on_demand ? Market::kOnDemand : Market::kSpot;
  in.pool = on_demand ? kOnDemandPool : (i - kOnDemandBase) % 6;
  in.state = InstanceState::kInService;
  in.launched_at = 0;
  in.state_since = 0;
  in.in_service_at = 0;
  in.registered = true;
  return in;
}

GroupState SteadyState(const GroupSpec& spec, int g) {
  GroupState s = InitialState(spec);
  s.desired = kInstancesPerGroup;
  s.instances.reserve(kInstancesPerGroup);
  for (int i = 0; i < kInstancesPerGroup; ++i) s.instances.push_back(InService(g, i));
  // A little spread per group so the alarms do not all read one number.
  const double cpu = kSteadyCpu + (g % 5) * 0.2;
  for (int m = 0; m < kMetricMinutes; ++m) {
    RecordMetrics(s, m, Datapoint::Single(cpu), Datapoint::Single(cpu * 10));
  }
  return s;
}

enum class Fleet { kSteady, kShort, kNotices };

// Notices arrive through ApplyObservation, as in the controller, so the
// state carries what a real notice leaves (interrupted instances, avoided
// pools, replace causes).
void ApplyNotices(const GroupSpec& spec, GroupState& s) {
  std::vector<InstanceId> spot;
  for (const Instance& in : s.instances) {
    if (in.market == Market::kSpot) spot.push_back(in.id);
  }
  // Spread evenly over the spot instances, hence over every pool.
  const std::size_t stride = spot.size() / kNoticesPerGroup;
  const Seconds noticed_at = kNow - 3;
  for (std::size_t k = 0; k < static_cast<std::size_t>(kNoticesPerGroup); ++k) {
    InstanceObservation obs;
    obs.id = spot[k * stride];
    obs.event = InstanceEvent::kNotice;
    obs.deadline = noticed_at + 120;
    (void)ApplyObservation(spec, s, obs, noticed_at, nullptr);
  }
}

struct FleetData {
  std::vector<GroupSpec> specs;
  std::vector<GroupState> states;  // the input of every iteration
  Observation obs;
};

Observation MarketObservation() {
  Observation o;
  o.on_demand_price = 0.10;
  o.evaluate_alarms = true;
  for (int p = 0; p < 6; ++p) {
    // Distinct prices and near-equal scores: price-capacity-optimized then
    // has a real choice to make.
    o.pools.push_back(PoolObservation{0.030 + 0.002 * p, 0.90 + 0.01 * (p % 3), 0.10});
  }
  return o;
}

FleetData BuildFleet(Fleet kind) {
  FleetData f;
  f.specs.reserve(kGroups);
  f.states.reserve(kGroups);
  for (int g = 0; g < kGroups; ++g) {
    f.specs.push_back(BenchGroup(g));
    GroupState s = SteadyState(f.specs.back(), g);
    if (kind == Fleet::kShort) s.desired = static_cast<int>(kInstancesPerGroup * (1 + kShortfall));
    if (kind == Fleet::kNotices) ApplyNotices(f.specs.back(), s);
    f.states.push_back(std::move(s));
  }
  f.obs = MarketObservation();
  return f;
}

// Each fleet is built once, on first use, and kept: building it is not what
// is measured, and repeated runs of a benchmark would otherwise rebuild it.
const FleetData& FleetOf(Fleet kind) {
  static std::optional<FleetData> fleets[3];
  std::optional<FleetData>& f = fleets[static_cast<int>(kind)];
  if (!f) f = BuildFleet(kind);
  return *f;
}

void DecisionStep(benchmark::State& bench, Fleet kind) {
  const FleetData& fleet = FleetOf(kind);
  std::vector<GroupState> work;
  std::size_t actions = 0;
  std::size_t activities = 0;
  for (auto _ : bench) {
    bench.PauseTiming();
    work = fleet.states;  // Decide mutates the state: every step starts from the same one
    actions = 0;
    activities = 0;
    bench.ResumeTiming();
    for (std::size_t g = 0; g < fleet.specs.size(); ++g) {
      const Plan plan = Decide(fleet.specs[g], work[g], fleet.obs, kNow);
      actions += plan.actions.size();
      activities += plan.activities.size();
    }
  }
  std::size_t instances = 0;
  for (const GroupState& s : fleet.states) instances += s.instances.size();
  bench.counters["groups"] = static_cast<double>(fleet.specs.size());
  bench.counters["instances"] = static_cast<double>(instances);
  bench.counters["actions"] = static_cast<double>(actions);  // of the last step: all steps are equal
  bench.counters["activities"] = static_cast<double>(activities);
}

void BM_DecisionStep_Steady(benchmark::State& s) { DecisionStep(s, Fleet::kSteady); }
void BM_DecisionStep_Short(benchmark::State& s) { DecisionStep(s, Fleet::kShort); }
void BM_DecisionStep_Notices(benchmark::State& s) { DecisionStep(s, Fleet::kNotices); }

BENCHMARK(BM_DecisionStep_Steady)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecisionStep_Short)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecisionStep_Notices)->Unit(benchmark::kMillisecond);

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Current (not peak) resident size, from /proc/self/statm (in pages).
double CurrentRssMiB() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * 4096.0 / (1024.0 * 1024.0);
}

// What one fleet's specs and states (1,000 groups, 100,000 instances) take
// in memory: the resident growth while building one, measured before any
// benchmark runs so nothing else has grown the heap yet.
double FleetResidentMiB() {
  const double before = CurrentRssMiB();
  const FleetData& fleet = FleetOf(Fleet::kSteady);
  benchmark::DoNotOptimize(&fleet);
  return CurrentRssMiB() - before;
}

}  // namespace
}  // namespace shoal

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const double fleet_mib = shoal::FleetResidentMiB();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The peak holds the three fleets plus one working copy of the state.
  std::printf("fleet_rss_mib: %.1f\n", fleet_mib);
  std::printf("peak_rss_mib: %.1f\n", shoal::PeakRssMiB());
  return 0;
}
