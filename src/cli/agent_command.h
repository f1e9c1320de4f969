#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// Adds `shoal agent` (the spot agent sidecar, adapters/local/agent.h) to the
// app; the callback runs it until SIGTERM/SIGINT (or one poll with --once)
// and sets *exit_code.
void AddAgentCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
