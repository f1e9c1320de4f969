// `shoal tune`: search the values a config marks tunable (its `tune:`
// section) over the user's own traces with the simulator (sim/tune.h).
#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

void AddTuneCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
