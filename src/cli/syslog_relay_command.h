#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// Adds `shoal syslog-relay` (a local instance's syslog daemon,
// adapters/local/syslog_relay.h): the launcher starts it; it runs until
// SIGTERM/SIGINT and sets *exit_code.
void AddSyslogRelayCommand(CLI::App& app, int* exit_code);

}  // namespace shoal
