#pragma once

#include <CLI/CLI.hpp>

namespace shoal {

// `shoal logs rsyslog-config INSTANCE [--group G] [--pool P] [--release R]
//  [--brokers B] [--topic T] [--config FILE] [--socket PATH] [--standalone]
//  [--queue-dir DIR] [--queue-max-disk SIZE] [-o FILE]`, under `logs`.
void AddRsyslogConfigCommand(CLI::App* logs, int* exit_code);

}  // namespace shoal
