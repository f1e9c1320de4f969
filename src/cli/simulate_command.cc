#include "cli/simulate_command.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "adapters/config/config.h"
#include "cli/bundled_data.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "sim/plot.h"
#include "sim/report.h"
#include "sim/simulation.h"

namespace shoal {
namespace {

struct SimulateArgs {
  std::string config;
  std::string trace;
  std::string spot_prices;
  std::string on_demand_prices;
  std::string advisor;
  std::string plot;
  std::string activities;
  std::string minutes;
  bool json = false;
  SimOptions options;
};

bool WriteFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text;
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

int Run(const SimulateArgs& a) {
  Result<Config> config = LoadConfigFile(a.config);
  if (!config.ok()) {
    std::cerr << "error: " << config.status().message() << "\n";
    return 1;
  }
  Result<Trace> trace = LoadTraceFile(a.trace);
  if (!trace.ok()) {
    std::cerr << "error: " << trace.status().message() << "\n";
    return 1;
  }
  Result<PriceTables> prices = LoadPriceTables(
      a.spot_prices.empty() ? BundledDataFile("spot_prices.csv") : a.spot_prices,
      a.on_demand_prices.empty() ? BundledDataFile("ondemand_prices.csv") : a.on_demand_prices,
      a.advisor.empty() ? BundledDataFile("spot_advisor_interruption.csv") : a.advisor);
  if (!prices.ok()) {
    std::cerr << "error: " << prices.status().message()
              << "\n(price tables come from --spot-prices/--on-demand-prices/--advisor, $SHOAL_BUNDLED_DATA or ./data)\n";
    return 1;
  }
  Result<SimReport> report = RunSimulation(*config, *trace, *prices, a.options);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << (a.json ? FormatReportJson(*report) : FormatReportText(*report));
  if (!a.plot.empty() && !WriteFile(a.plot, RenderPlotSvg(*report))) {
    std::cerr << "error: cannot write plot '" << a.plot << "'\n";
    return 1;
  }
  if (!a.activities.empty() &&
      !WriteFile(a.activities, a.json ? FormatActivityLogJson(*report) : FormatActivityLog(*report))) {
    std::cerr << "error: cannot write activity log '" << a.activities << "'\n";
    return 1;
  }
  if (!a.minutes.empty() && !WriteFile(a.minutes, FormatMinutesCsv(*report))) {
    std::cerr << "error: cannot write minutes CSV '" << a.minutes << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Replay a traffic trace and a spot market through the decision core; report cost and service");
  cmd->add_option("--config,-c", args->config, "YAML config (see docs/CONFIG.md)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--trace,-t", args->trace, "minute,requests CSV")->required()->check(CLI::ExistingFile);
  cmd->add_option("--spot-prices", args->spot_prices, "spot price history CSV (default: bundled data)");
  cmd->add_option("--on-demand-prices", args->on_demand_prices, "on-demand price CSV (default: bundled data)");
  cmd->add_option("--advisor", args->advisor, "Spot Advisor interruption CSV (default: bundled data)");
  cmd->add_option("--peak-instances", args->options.peak_instances,
                  "instances the trace's peak minute needs at 100% CPU")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--seed", args->options.seed, "seed for every random draw");
  cmd->add_option("--boot-seconds", args->options.boot_seconds, "mean launch-to-in-service delay")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--notice-seconds", args->options.notice_seconds, "spot notice to termination")
      ->check(CLI::Range(0, 3600));
  cmd->add_option("--interruption-scale", args->options.interruption_scale,
                  "multiply every pool's interruption rate (0 = none)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_flag("--json", args->json, "one JSON object instead of text");
  cmd->add_option("--plot", args->plot, "write an SVG of demand and capacity by pool");
  cmd->add_option("--activities", args->activities, "write the activity log to FILE ('-' = stdout); a JSON array with --json");
  cmd->add_option("--minutes", args->minutes, "write per-minute demand, capacity and losses as CSV ('-' = stdout)");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace shoal
