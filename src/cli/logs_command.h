#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// `shoal logs [GROUP|INSTANCE] [--since T] [--grep TEXT] [-f] [--json] [--limit N]`.
void AddLogsCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
