// End-to-end simulation benchmark: the issue's target is "30 simulated days at
// 1-minute resolution for a group peaking at 1,000 instances in under 5 s".
// This runs exactly what `shoal simulate` runs (RunSimulation: controller,
// decision core, simulated world, spot market) and reports wall time and peak
// RSS. A plain program rather than Google Benchmark: one run is seconds long
// and its memory high-water mark is part of the result, so repetitions would
// only blur it.
//
//   bench_simulate [--config FILE] [--trace CSV] [--days N] [--peak-instances N]
//                  [--interruption-scale X] [--seed N]
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdint>
#include <iostream>
#include <numbers>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "adapters/config/config.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "common/bench_group.h"
#include "core/group.h"
#include "sim/simulation.h"

namespace shoal {
namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr double kTracePeakRequests = 100000;  // absolute scale is irrelevant: --peak-instances rescales

struct BenchArgs {
  std::string config;  // empty: the in-code config below
  std::string trace;   // empty: the synthetic trace below
  int days = 30;
  SimOptions options;
};

// One group sized for a 1,000-instance peak: min 2, max 1500, one on-demand
// instance as the floor and everything above it spot, spread by
// price-capacity-optimized over the six m4.large pools of us-east-1.
Config BenchConfig() {
  GroupSpec g;
  g.name = "web";
  g.service = "web";
  g.min = 2;
  g.desired = 2;
  g.max = 1500;
  g.capacity.on_demand_base = 1;
  g.capacity.on_demand_percent_above_base = 0;
  g.capacity.on_demand_type = "m4.large";
  bench::AddPoolsAndPolicies(&g);
  Config c;
  c.source = "bench_simulate (built-in config)";
  c.groups.push_back(std::move(g));
  return c;
}

// Deterministic noise in [-1, 1): a hash of the minute (SplitMix64), so the
// trace is the same on every machine and every run.
double Noise(std::uint64_t minute) {
  std::uint64_t z = minute + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ULL << 52) - 1.0;
}

// A daily cycle from ~10% to 100% of the peak (trough at 04:00, peak at
// 16:00) with +-5% minute-to-minute noise: the shape that makes the group
// scale from a handful of instances to ~1,000 and back every day, which is
// where the controller does its work.
Trace SyntheticTrace(int days) {
  Trace t;
  t.source = "synthetic: " + std::to_string(days) + " days, daily sine + noise";
  const int minutes = days * kMinutesPerDay;
  t.requests.reserve(static_cast<std::size_t>(minutes));
  for (int m = 0; m < minutes; ++m) {
    const double phase = 2 * std::numbers::pi * static_cast<double>((m - 4 * 60) % kMinutesPerDay) / kMinutesPerDay;
    const double daily = 0.55 - 0.45 * std::cos(phase);  // 0.10 .. 1.00
    const double level = daily * (1.0 + 0.05 * Noise(static_cast<std::uint64_t>(m)));
    t.requests.push_back(std::round(std::max(0.0, level) * kTracePeakRequests / 1.05));
  }
  return t;
}

Result<PriceTables> BundledPrices() {
  const std::string dir = std::string(SHOAL_SOURCE_DIR) + "/data/";
  return LoadPriceTables(dir + "spot_prices.csv", dir + "ondemand_prices.csv",
                         dir + "spot_advisor_interruption.csv");
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Process CPU time: on a shared machine wall time also counts the time other
// processes held the cores; both are reported.
double CpuSecondsSince(std::clock_t start) {
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

struct Timings {
  double load_s = 0;
  double wall_s = 0;
  double cpu_s = 0;
};

void PrintReport(const BenchArgs& a, const SimReport& r, const Timings& t) {
  std::cout << "config: " << r.config << "\n"
            << "trace: " << r.trace << "\n"
            << "peak_instances: " << a.options.peak_instances << "\n"
            << "interruption_scale: " << a.options.interruption_scale << "\n"
            << "seed: " << a.options.seed << "\n"
            << "load_seconds: " << t.load_s << "\n"
            << "wall_seconds: " << t.wall_s << "\n"
            << "cpu_seconds: " << t.cpu_s << "\n"
            << "simulated_minutes: " << r.minutes << "\n"
            << "us_per_simulated_minute: " << (r.minutes > 0 ? 1e6 * t.wall_s / r.minutes : 0) << "\n"
            << "activities: " << r.activities << "\n"
            << "max_instances: " << r.max_instances << "\n"
            << "interruptions: " << r.interruptions << "\n"
            << "replacements: " << r.replacements << "\n"
            << "fallbacks_to_ondemand: " << r.fallbacks_to_ondemand << "\n"
            << "lost_pct: " << r.lost_pct << "\n"
            << "cost_usd: " << r.cost_usd << "\n"
            << "fingerprint: " << r.fingerprint << "\n"
            << "peak_rss_mib: " << PeakRssMiB() << "\n";
}

int Run(const BenchArgs& a) {
  const auto load_start = std::chrono::steady_clock::now();
  Result<Config> config = a.config.empty() ? Result<Config>(BenchConfig()) : LoadConfigFile(a.config);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n";
    return 1;
  }
  for (const GroupSpec& g : config->groups) {
    if (Status s = Validate(g); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
  }
  Result<Trace> trace = a.trace.empty() ? Result<Trace>(SyntheticTrace(a.days)) : LoadTraceFile(a.trace);
  if (!trace.ok()) {
    std::cerr << "error: " << trace.status().message() << "\n";
    return 1;
  }
  Result<PriceTables> prices = BundledPrices();
  if (!prices.ok()) {
    std::cerr << "error: " << prices.status().message() << "\n";
    return 1;
  }
  Timings t;
  t.load_s = SecondsSince(load_start);

  // Only RunSimulation is timed: it is what the 5 s target is about.
  const auto sim_start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  Result<SimReport> report = RunSimulation(*config, *trace, *prices, a.options);
  t.cpu_s = CpuSecondsSince(cpu_start);
  t.wall_s = SecondsSince(sim_start);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  PrintReport(a, *report, t);
  return 0;
}

}  // namespace
}  // namespace shoal

int main(int argc, char** argv) {
  shoal::BenchArgs args;
  args.options.peak_instances = 1000;
  CLI::App app{"Times one `shoal simulate` run (RunSimulation) and reports its peak memory"};
  app.add_option("--config,-c", args.config, "YAML config (default: a built-in 1-group config)")
      ->check(CLI::ExistingFile);
  app.add_option("--trace,-t", args.trace, "minute,requests CSV (default: a synthetic trace)")
      ->check(CLI::ExistingFile);
  app.add_option("--days", args.days, "length of the synthetic trace")->check(CLI::Range(1, 3650));
  app.add_option("--peak-instances", args.options.peak_instances, "instances the peak minute needs at 100% CPU")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--interruption-scale", args.options.interruption_scale,
                 "multiply every pool's interruption rate (stress spot handling)")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_option("--seed", args.options.seed, "seed for every random draw");
  CLI11_PARSE(app, argc, argv);
  return shoal::Run(args);
}
