#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// `shoal release publish|promote|list|show|history`: the release store
// (docs/RELEASES.md).
void AddReleaseCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
