// Builds the daemon's provider from the config's `provider:` section: the
// one place that knows the concrete providers.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "providers/provider.h"

namespace shoal {

// What `shoal serve` needs of a config beyond what parses (each provider's
// launch keys, ports); fills in what depends on where the file is.
Status PrepareLiveConfig(Config* config, const std::string& config_path, int api_port);

// Starts the provider the config names.
Result<std::unique_ptr<Provider>> MakeProvider(const Config& config, ProviderContext context);

// Whether a running daemon may take `next`: the provider and how to reach
// it are fixed for the daemon's life. The error says what to do instead.
Status CheckProviderChange(const ProviderSpec& running, const ProviderSpec& next);

// `shoal down`: stops what the daemon of `data_dir` left running. The local
// provider's instances are found in the data dir; a cloud's through the
// config the daemon last ran (`last`).
Status TearDown(const std::string& data_dir, const std::optional<Config>& last, std::ostream& out);

}  // namespace shoal
