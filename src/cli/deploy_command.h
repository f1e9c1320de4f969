// `shoal deploy GROUP --release REF` and `shoal revert GROUP`: start a
// deploy (or a rollback) through the daemon's API, then follow it to its
// end with a progress line per change (`--json`: one event object a line).
#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

void AddDeployCommands(CLI::App& app, int* exit_code);

}  // namespace shoal
