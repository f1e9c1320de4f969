// shoal: one binary for the simulator (and, later, the daemon and the CLI).
#include <CLI/CLI.hpp>

#include "cli/simulate_command.h"

int main(int argc, char** argv) {
  CLI::App app{"shoal: spot-first auto-scaling and release control plane"};
  app.require_subcommand(1);
  int exit_code = 0;
  shoal::AddSimulateCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
