#include "sim/swarm.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace shoal {

SwarmResult RunSwarm(const Config& config, const Trace& trace, const PriceTables& prices,
                     const SwarmOptions& options, const std::function<void(int done)>& progress) {
  const int n = std::max(0, options.seeds);
  std::vector<Result<SimReport>> reports(static_cast<std::size_t>(n), Status::Internal("not run"));
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::mutex progress_mu;
  auto worker = [&] {
    for (int i = next++; i < n; i = next++) {
      SimOptions world = options.world;
      world.seed = options.first_seed + static_cast<std::uint64_t>(i);
      reports[static_cast<std::size_t>(i)] = RunSimulation(config, trace, prices, world);
      const int finished = ++done;
      if (progress) {
        std::lock_guard lock(progress_mu);
        progress(finished);
      }
    }
  };
  const int jobs = std::clamp(options.jobs, 1, std::max(1, n));
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  // Merged in seed order, so the result does not depend on scheduling.
  SwarmResult out;
  for (int i = 0; i < n; ++i) {
    const Result<SimReport>& r = reports[static_cast<std::size_t>(i)];
    const std::uint64_t seed = options.first_seed + static_cast<std::uint64_t>(i);
    if (!r.ok()) {
      out.errors.push_back("seed " + std::to_string(seed) + ": " + r.status().message());
      continue;
    }
    ++out.worlds;
    for (const auto& [kind, count] : r->faults_injected) out.faults_injected[kind] += count;
    out.restarts += r->restarts;
    if (!r->violations.empty()) {
      out.violations += static_cast<std::int64_t>(r->violations.size());
      out.failures.push_back({seed, r->violations});
    }
  }
  return out;
}

}  // namespace shoal
