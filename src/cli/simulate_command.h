#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// Adds `shoal simulate` to the app; the callback runs it and sets *exit_code.
void AddSimulateCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
