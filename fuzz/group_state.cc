// The group state codec: a stored state's JSON as the SQLite store hands it
// to DecodeGroupState at start-up (after crashes, upgrades, hand edits),
// decoded for one fixed group. When a decode succeeds, its encoding must be a
// fixed point: decoding it again succeeds and encodes to the same text.
#include <algorithm>
#include <cstdlib>

#include "adapters/config/config.h"
#include "adapters/sqlite/group_state_codec.h"
#include "fuzz_check.h"

namespace {

// The shape of examples/local.yaml (two spot pools, one alarm, two
// policies), whose daemon stored the seed states, so their per-spec vectors
// match by length and mutations try both a match and a miss.
constexpr const char* kSpecYaml = R"yaml(
groups:
  - name: web
    min: 2
    desired: 2
    max: 8
    capacity:
      spot_pools:
        - {instance_type: m4.large, zone: us-east-1a}
        - {instance_type: c5.large, zone: us-east-1b}
    alarms:
      - {name: cpu-surge, metric: cpu_utilization, statistic: Average, period: 1m,
         evaluation_periods: 1, datapoints_to_alarm: 1, comparison: ">=", threshold: 85}
    policies:
      - {name: track-cpu, type: target-tracking, metric: cpu_utilization, target: 60}
      - {name: surge, type: step, alarm: cpu-surge, adjustment_type: percent, steps: [{lower: 0, adjustment: 50}]}
)yaml";

const shoal::GroupSpec& Spec() {
  static const shoal::GroupSpec spec = [] {
    shoal::Result<shoal::Config> config = shoal::ParseConfig(kSpecYaml, "group_state.cc");
    FUZZ_CHECK(config.ok(), config.status().message());
    return config->groups.front();
  }();
  return spec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoal::GroupSpec& spec = Spec();
  shoal::Result<shoal::GroupState> state = shoal::DecodeGroupState(shoal::fuzz::Text(data, size), spec);
  if (!state.ok()) {
    FUZZ_CHECK(shoal::fuzz::StartsWith(state.status().message(), "group state of 'web': "), state.status().message());
    return 0;
  }
  FUZZ_CHECK(state->desired >= spec.min && state->desired <= spec.max, std::to_string(state->desired));
  FUZZ_CHECK(std::is_sorted(state->instances.begin(), state->instances.end(),
                            [](const shoal::Instance& a, const shoal::Instance& b) { return a.id < b.id; }),
             "instances sorted by id");
  const std::string once = shoal::EncodeGroupState(spec, *state);
  shoal::Result<shoal::GroupState> again = shoal::DecodeGroupState(once, spec);
  FUZZ_CHECK(again.ok(), again.status().message() + "\n" + once);
  const std::string twice = shoal::EncodeGroupState(spec, *again);
  FUZZ_CHECK(twice == once, once + "\n" + twice);
  return 0;
}
