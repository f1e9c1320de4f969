#include "cli/simulate_command.h"

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "adapters/config/config.h"
#include "adapters/data/iso_time.h"
#include "adapters/data/prices.h"
#include "adapters/data/trace.h"
#include "cli/bundled_data.h"
#include "cli/number_checks.h"
#include "sim/plot.h"
#include "sim/report.h"
#include "sim/simulation.h"

namespace shoal {
namespace {

struct SimulateArgs {
  SimInputPaths inputs;
  std::string plot;
  std::string trace_start;  // UTC time of the trace's minute 0, for the plot's dates
  std::string activities;
  std::string minutes;
  std::string faults;
  std::string log;
  std::vector<std::string> deploys;
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

int Run(SimulateArgs a) {
  std::optional<std::int64_t> start_utc;
  if (!a.trace_start.empty()) {
    Result<std::int64_t> t = ParseIsoUtc(a.trace_start);
    if (!t.ok()) {
      std::cerr << "error: --trace-start: " << t.status().message() << "\n";
      return 2;
    }
    start_utc = *t;
  }
  if (!a.faults.empty()) {
    Result<FaultSpec> faults = ParseFaultSpec(a.faults);
    if (!faults.ok()) {
      std::cerr << "error: " << faults.status().message() << "\n";
      return 2;
    }
    a.options.faults = *faults;
  }
  for (const std::string& text : a.deploys) {
    Result<SimDeployPlan> d = ParseSimDeploy(text);
    if (!d.ok()) {
      std::cerr << "error: " << d.status().message() << "\n";
      return 2;
    }
    a.options.deploys.push_back(*d);
  }
  Result<SimInputs> in = LoadSimInputs(a.inputs);
  if (!in.ok()) {
    std::cerr << "error: " << in.status().message() << "\n";
    return 1;
  }
  std::ofstream log_file;
  if (!a.log.empty()) {
    log_file.open(a.log, std::ios::binary);
    if (!log_file) {
      std::cerr << "error: cannot write the log '" << a.log << "'\n";
      return 1;
    }
    a.options.log = &log_file;
  }
  Result<SimReport> report = RunSimulation(in->config, in->trace, in->prices, a.options);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  if (Status s = MeasureHeadroom(in->config, in->trace, in->prices, a.options, &*report); !s.ok()) {
    std::cerr << "error: measuring the headroom's cost: " << s.message() << "\n";
    return 1;
  }
  std::cout << (a.json ? FormatReportJson(*report) : FormatReportText(*report));
  if (!a.plot.empty() && !WriteFile(a.plot, RenderPlotSvg(*report, start_utc))) {
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
  // A world with faults that broke an invariant is a failure (its report
  // says which, and the same command replays it).
  return report->violations.empty() ? 0 : 3;
}

}  // namespace

Result<SimInputs> LoadSimInputs(const SimInputPaths& paths) {
  Result<Config> config = LoadConfigFile(paths.config);
  if (!config.ok()) return config.status();
  Result<Trace> trace = LoadTraceFile(paths.trace);
  if (!trace.ok()) return trace.status();
  Result<PriceTables> prices = LoadPriceTables(
      paths.spot_prices.empty() ? BundledDataFile("spot_prices.csv") : paths.spot_prices,
      paths.on_demand_prices.empty() ? BundledDataFile("ondemand_prices.csv") : paths.on_demand_prices,
      paths.advisor.empty() ? BundledDataFile("spot_advisor_interruption.csv") : paths.advisor);
  if (!prices.ok()) {
    return Status::InvalidArgument(
        prices.status().message() +
        "\n(price tables come from --spot-prices/--on-demand-prices/--advisor, $SHOAL_BUNDLED_DATA or ./data)");
  }
  return SimInputs{std::move(*config), std::move(*trace), std::move(*prices)};
}

void AddSimInputOptions(CLI::App* cmd, SimInputPaths* paths, SimOptions* options) {
  cmd->add_option("--config,-c", paths->config, "YAML config (see docs/CONFIG.md)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--trace,-t", paths->trace, "minute,requests CSV")->required()->check(CLI::ExistingFile);
  cmd->add_option("--spot-prices", paths->spot_prices, "spot price history CSV (default: bundled data)");
  cmd->add_option("--on-demand-prices", paths->on_demand_prices, "on-demand price CSV (default: bundled data)");
  cmd->add_option("--advisor", paths->advisor, "Spot Advisor interruption CSV (default: bundled data)");
  cmd->add_option("--peak-instances", options->peak_instances,
                  "instances the trace's peak minute needs at 100% CPU")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--boot-seconds", options->boot_seconds, "mean launch-to-in-service delay")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--warm-start-seconds", options->warm_start_seconds,
                  "mean start-to-in-service delay of a stopped warm-pool instance")
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--notice-seconds", options->notice_seconds, "spot notice to termination")
      ->check(CLI::Range(0, 3600));
  cmd->add_option("--interruption-scale", options->interruption_scale,
                  "multiply every pool's interruption rate (0 = none)")
      ->check(FiniteRange(0.0, 1000.0));
  cmd->add_option("--rebalance-fraction", options->rebalance_fraction,
                  "share of burst interruptions preceded by a rebalance recommendation (0 = none)")
      ->check(FiniteRange(0.0, 1.0));
  cmd->add_option("--rebalance-lead-min", options->rebalance_lead_min,
                  "seconds a recommendation comes before its notice, at least")
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--rebalance-lead-max", options->rebalance_lead_max,
                  "seconds a recommendation comes before its notice, at most")
      ->check(CLI::Range(0, 86400));
}

void AddSimulateCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Replay a traffic trace and a spot market through the decision core; report cost and service");
  AddSimInputOptions(cmd, &args->inputs, &args->options);
  cmd->add_option("--seed", args->options.seed, "seed for every random draw");
  cmd->add_option("--log", args->log,
                  "write the control plane's structured log to FILE (simulated time; debug level)");
  cmd->add_option("--faults", args->faults,
                  "inject faults: \"default\", \"none\" or kind=rate,... (see docs/ARCHITECTURE.md, "
                  "fault swarm); the control plane then runs on a real SQLite store, may crash and restart, "
                  "and the invariants are checked (exit 3 when one breaks)");
  cmd->add_option("--deploy", args->deploys,
                  "replay an operator's deploy: GROUP@TIME=VERSION[,errors=PCT][,unhealthy][,latency_ms=MS][,blue-green] "
                  "(e.g. web@2h=2,errors=5); repeatable; the report says how each ended");
  cmd->add_flag("--json", args->json, "one JSON object instead of text");
  cmd->add_option("--plot", args->plot, "write an SVG of demand and capacity by pool");
  cmd->add_option("--trace-start", args->trace_start,
                  "UTC time of the trace's first minute (1995-07-01T04:00:00Z): the plot marks dates, not day numbers");
  cmd->add_option("--activities", args->activities, "write the activity log to FILE ('-' = stdout); a JSON array with --json");
  cmd->add_option("--minutes", args->minutes, "write per-minute demand, capacity and losses as CSV ('-' = stdout)");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace shoal
