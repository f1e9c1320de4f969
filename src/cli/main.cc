// shoal: one binary for the daemon, the CLI over its API, the simulator and
// the spot agent.
#include <CLI/CLI.hpp>

#include "cli/agent_command.h"
#include "cli/bootstrap_command.h"
#include "cli/deploy_command.h"
#include "cli/logs_command.h"
#include "cli/cluster_commands.h"
#include "cli/release_command.h"
#include "cli/simulate_command.h"
#include "cli/swarm_command.h"

int main(int argc, char** argv) {
  CLI::App app{"shoal: spot-first auto-scaling and release control plane"};
  app.require_subcommand(1);
  int exit_code = 0;
  shoal::AddSimulateCommand(app, &exit_code);
  shoal::AddSwarmCommand(app, &exit_code);
  shoal::AddServeCommand(app, &exit_code);
  shoal::AddClusterCommands(app, &exit_code);
  shoal::AddAgentCommand(app, &exit_code);
  shoal::AddReleaseCommand(app, &exit_code);
  shoal::AddBootstrapCommand(app, &exit_code);
  shoal::AddDeployCommands(app, &exit_code);
  shoal::AddLogsCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
