// shoal: one binary for the daemon, the CLI over its API, the simulator and
// the spot agent.
#include <CLI/CLI.hpp>

#include <iostream>

#include "api/build_info.h"

#include "cli/agent_command.h"
#include "cli/bootstrap_command.h"
#include "cli/deploy_command.h"
#include "cli/logs_command.h"
#include "cli/inventory_command.h"
#include "cli/cluster_commands.h"
#include "cli/release_command.h"
#include "cli/simulate_command.h"
#include "cli/swarm_command.h"
#include "cli/syslog_relay_command.h"
#include "cli/tune_command.h"

int main(int argc, char** argv) {
  CLI::App app{"shoal: spot-first auto-scaling and release control plane"};
  // A bare `shoal` prints the help (below); more than one command is an error.
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", shoal::BuildVersionLine(), "Print the release and git commit of this binary");
  int exit_code = 0;
  app.add_subcommand("version", "Print the release and git commit of this binary")->callback([] {
    std::cout << shoal::BuildVersionLine() << "\n";
  });
  shoal::AddSimulateCommand(app, &exit_code);
  shoal::AddSwarmCommand(app, &exit_code);
  shoal::AddTuneCommand(app, &exit_code);
  shoal::AddServeCommand(app, &exit_code);
  shoal::AddClusterCommands(app, &exit_code);
  shoal::AddAgentCommand(app, &exit_code);
  shoal::AddSyslogRelayCommand(app, &exit_code);
  shoal::AddReleaseCommand(app, &exit_code);
  shoal::AddBootstrapCommand(app, &exit_code);
  shoal::AddDeployCommands(app, &exit_code);
  shoal::AddLogsCommand(app, &exit_code);
  shoal::AddInventoryCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }
  return exit_code;
}
