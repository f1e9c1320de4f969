// `shoal swarm`: the fault swarm over N seeds (see sim/swarm.h).
#include "cli/swarm_command.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/simulate_command.h"
#include "sim/swarm.h"

namespace shoal {
namespace {

struct SwarmArgs {
  SimInputPaths inputs;
  SimOptions world;
  int seeds = 100;
  std::uint64_t first_seed = 1;
  std::string faults = "default";
  int jobs = 0;
  bool json = false;
};

// The command that replays one world, with its report and what broke.
std::string ReplayCommand(const SwarmArgs& a, std::uint64_t seed) {
  std::string cmd = "shoal simulate --config " + a.inputs.config + " --trace " + a.inputs.trace +
                    " --seed " + std::to_string(seed) + " --faults " + FormatFaultSpec(*a.world.faults);
  if (a.world.peak_instances != SimOptions{}.peak_instances) {
    cmd += " --peak-instances " + std::to_string(a.world.peak_instances);
  }
  if (a.world.boot_seconds != SimOptions{}.boot_seconds) cmd += " --boot-seconds " + std::to_string(a.world.boot_seconds);
  return cmd;
}

int Run(SwarmArgs a) {
  Result<FaultSpec> faults = ParseFaultSpec(a.faults);
  if (!faults.ok()) {
    std::cerr << "error: " << faults.status().message() << "\n";
    return 2;
  }
  a.world.faults = *faults;
  Result<SimInputs> in = LoadSimInputs(a.inputs);
  if (!in.ok()) {
    std::cerr << "error: " << in.status().message() << "\n";
    return 1;
  }
  SwarmOptions o;
  o.seeds = a.seeds;
  o.first_seed = a.first_seed;
  o.jobs = a.jobs > 0 ? a.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.world = a.world;
  const int step = std::max(1, a.seeds / 10);
  const auto started = std::chrono::steady_clock::now();
  SwarmResult r = RunSwarm(in->config, in->trace, in->prices, o, [&](int done) {
    if (done % step == 0 || done == a.seeds) std::cerr << "swarm: " << done << "/" << a.seeds << " worlds\n";
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const std::string& e : r.errors) std::cerr << "error: " << e << "\n";
  if (!r.errors.empty()) return 1;

  std::vector<std::uint64_t> failing;
  for (const SwarmFailure& f : r.failures) failing.push_back(f.seed);
  if (a.json) {
    nlohmann::ordered_json j;
    j["worlds"] = r.worlds;
    j["violations"] = r.violations;
    j["faults_injected"] = r.faults_injected;
    j["failing_seeds"] = failing;
    j["restarts"] = r.restarts;
    j["faults"] = FormatFaultSpec(*a.world.faults);
    j["first_seed"] = a.first_seed;
    j["seconds"] = std::round(seconds * 100) / 100;
    j["worlds_per_second"] = seconds > 0 ? std::round(r.worlds / seconds * 100) / 100 : 0.0;
    nlohmann::ordered_json failures = nlohmann::ordered_json::array();
    for (const SwarmFailure& f : r.failures) {
      failures.push_back({{"seed", f.seed}, {"violations", f.violations}, {"replay", ReplayCommand(a, f.seed)}});
    }
    j["failures"] = failures;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "worlds " << r.worlds << " (seeds " << a.first_seed << ".." << a.first_seed + a.seeds - 1
              << "), faults " << FormatFaultSpec(*a.world.faults) << "\n";
    std::cout << "faults injected:";
    for (const auto& [kind, n] : r.faults_injected) std::cout << " " << kind << "=" << n;
    std::cout << "\ncontrol-plane restarts " << r.restarts << "\n";
    std::cout << "violations " << r.violations << "\n";
    for (const SwarmFailure& f : r.failures) {
      std::cout << "seed " << f.seed << ":\n";
      for (const std::string& v : f.violations) std::cout << "  " << v << "\n";
      std::cout << "  replay: " << ReplayCommand(a, f.seed) << "\n";
    }
    std::cout << "time " << seconds << " s, " << (seconds > 0 ? r.worlds / seconds : 0) << " worlds/s\n";
  }
  return r.violations == 0 ? 0 : 3;
}

}  // namespace

void AddSwarmCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SwarmArgs>();
  CLI::App* cmd = app.add_subcommand(
      "swarm", "Run many seeded simulated worlds full of faults and check every invariant in each");
  AddSimInputOptions(cmd, &args->inputs, &args->world);
  cmd->add_option("--seeds", args->seeds, "how many worlds")->check(CLI::Range(1, 10000000));
  cmd->add_option("--first-seed", args->first_seed, "the seed of the first world (the others follow)");
  cmd->add_option("--faults", args->faults, "\"default\", \"none\" or kind=rate,... (see `shoal simulate --help`)");
  cmd->add_option("--jobs,-j", args->jobs, "worlds run side by side (default: one per core)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--json", args->json,
                "one JSON object: worlds, violations, faults_injected, failing_seeds, failures (with replay commands)");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace shoal
