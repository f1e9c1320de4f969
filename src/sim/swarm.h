// The fault swarm: many seeded simulated worlds full of faults, each checked
// against the invariants of sim/invariants.h. A failing seed replays
// byte-identically with `shoal simulate --faults SPEC --seed S`.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/simulation.h"

namespace shoal {

struct SwarmOptions {
  int seeds = 100;
  std::uint64_t first_seed = 1;
  int jobs = 1;             // worlds run side by side (each is single-threaded and deterministic)
  SimOptions world;         // the environment of every world; its seed and faults are set per world
};

struct SwarmFailure {
  std::uint64_t seed = 0;
  std::vector<std::string> violations;
};

struct SwarmResult {
  int worlds = 0;
  std::int64_t violations = 0;
  std::map<std::string, std::int64_t> faults_injected;  // summed over the worlds
  std::int64_t restarts = 0;
  std::vector<SwarmFailure> failures;                   // in seed order
  std::vector<std::string> errors;                      // worlds that could not run (bad input)
};

// Runs worlds first_seed .. first_seed + seeds - 1. `progress` (optional)
// is called after each world with how many are done.
SwarmResult RunSwarm(const Config& config, const Trace& trace, const PriceTables& prices,
                     const SwarmOptions& options, const std::function<void(int done)>& progress = {});

}  // namespace shoal
