#include "common/bench_group.h"

#include <optional>
#include <string>

namespace shoal::bench {
namespace {

constexpr const char* kZones[] = {"a", "b", "c", "d", "e", "f"};

// One breaching minute at >= 75% CPU, so surges are caught before target
// tracking's slower alarm.
AlarmSpec SurgeAlarm() {
  AlarmSpec a;
  a.name = "cpu-surge";
  a.evaluation_periods = 1;
  a.datapoints_to_alarm = 1;
  a.comparison = Comparison::kGreaterThanOrEqual;
  a.threshold = 75;
  return a;
}

PolicySpec TrackCpu() {
  PolicySpec p;
  p.name = "track-cpu";
  p.type = PolicyType::kTargetTracking;
  p.target_value = 60;
  p.warmup = 3 * kMinute;
  return p;
}

PolicySpec SurgeSteps() {
  PolicySpec p;
  p.name = "surge";
  p.type = PolicyType::kStep;
  p.alarm = "cpu-surge";
  p.adjustment_type = AdjustmentType::kPercentChangeInCapacity;
  p.min_adjustment_magnitude = 2;
  p.warmup = 3 * kMinute;
  p.steps = {StepAdjustment{0.0, 15.0, 30}, StepAdjustment{15.0, std::nullopt, 60}};
  return p;
}

}  // namespace

void AddPoolsAndPolicies(GroupSpec* group) {
  group->capacity.strategy = AllocationStrategy::kPriceCapacityOptimized;
  for (const char* z : kZones) {
    PoolSpec p;
    p.instance_type = "m4.large";
    p.zone = std::string("us-east-1") + z;
    p.name = p.instance_type + "/" + p.zone;
    group->capacity.spot_pools.push_back(p);
  }
  group->alarms.push_back(SurgeAlarm());
  group->policies.push_back(TrackCpu());
  group->policies.push_back(SurgeSteps());
}

}  // namespace shoal::bench
