#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "adapters/config/config.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "sim/simulation.h"

namespace shoal {

// Adds `shoal simulate` to the app; the callback runs it and sets *exit_code.
void AddSimulateCommand(CLI::App& app, int* exit_code);

// What `simulate` and `swarm` both read: the config, the trace and the price
// tables (bundled unless given).
struct SimInputPaths {
  std::string config;
  std::string trace;
  std::string spot_prices;
  std::string on_demand_prices;
  std::string advisor;
};
struct SimInputs {
  Config config;
  Trace trace;
  PriceTables prices;
};
Result<SimInputs> LoadSimInputs(const SimInputPaths& paths);
// The options both commands take: inputs and the simulated environment.
void AddSimInputOptions(CLI::App* cmd, SimInputPaths* paths, SimOptions* options);

}  // namespace shoal
