#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// Adds `shoal bootstrap` (the first provision step of an instance whose
// group boots a release): fetch one version from the store, verify its
// size and SHA-256 against the manifest, check every entry and unpack it.
void AddBootstrapCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
