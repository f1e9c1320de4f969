#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// Adds `shoal swarm` to the app; the callback runs it and sets *exit_code
// (3 when any world broke an invariant).
void AddSwarmCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
