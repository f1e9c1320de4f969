// The config reader: YAML text as `serve --config`, `simulate --config` and
// `POST /v1/plan|apply` hand it to ParseConfig. A config it accepts must be
// one the rest of Shoal can act on, so each accepted group is also decided
// on for a while.
#include <algorithm>

#include "adapters/config/config.h"
#include "adapters/config/config_json.h"
#include "core/decide.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = shoal::fuzz::Text(data, size);
  shoal::Result<shoal::Config> config = shoal::ParseConfig(text, "fuzz.yaml");
  if (!config.ok()) {
    // Every error says which file it is about.
    FUZZ_CHECK(shoal::fuzz::StartsWith(config.status().message(), "fuzz.yaml"), config.status().message());
    return 0;
  }
  // What plan shows for an unchanged file: nothing.
  const std::vector<std::string> diff = shoal::DiffConfigs(*config, *config);
  FUZZ_CHECK(diff.empty(), diff.front());
  // Twenty minutes of decisions, hot then idle, so alarms fire and every
  // policy acts with the values the config gave it; one decision only for a
  // group of thousands of instances, whose launches alone take seconds under
  // the sanitizers (a timeout there would be the harness's, not a bug).
  for (const shoal::GroupSpec& spec : config->groups) {
    double smallest_weight = spec.capacity.on_demand_weight;
    for (const shoal::PoolSpec& pool : spec.capacity.spot_pools) smallest_weight = std::min(smallest_weight, pool.weight);
    const int minutes = spec.max / smallest_weight > 2000 ? 1 : 20;
    shoal::GroupState state = shoal::InitialState(spec);
    shoal::Observation obs;
    obs.pools.assign(spec.capacity.spot_pools.size(), shoal::PoolObservation{0.05, 1, 0.1});
    obs.on_demand_price = 0.1;
    obs.evaluate_alarms = true;
    for (int minute = 0; minute < minutes; ++minute) {
      const double cpu = minute < 10 ? 95 : 5;
      shoal::RecordMetrics(state, minute, shoal::Datapoint::Single(cpu), shoal::Datapoint::Single(cpu * 10));
      shoal::Decide(spec, state, obs, (minute + 1) * 60);
      FUZZ_CHECK(state.desired >= spec.min && state.desired <= spec.max, spec.name);
    }
  }
  return 0;
}
