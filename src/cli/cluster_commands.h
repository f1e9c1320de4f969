#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// `shoal serve` and the commands that talk to it: get, describe, scale, spot.
void AddServeCommand(CLI::App& app, int* exit_code);
void AddClusterCommands(CLI::App& app, int* exit_code);

}  // namespace shoal
