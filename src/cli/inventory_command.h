#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// `shoal inventory --list | --host NAME`: an Ansible inventory script over
// the daemon's GET /v1/inventory.
void AddInventoryCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
