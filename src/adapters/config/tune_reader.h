// Reading the `tune:` section (tune_spec.h) inside ParseConfig.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "adapters/config/tune_spec.h"

namespace shoal::config_internal {

// The tunables of `root`'s `tune:` section (none when absent). Throws
// ConfigError naming "tune.<path>" when a path does not lead to a value
// written in the file, or a range or a list of choices is malformed.
std::vector<TuneParam> ReadTune(const YAML::Node& root, const std::string& source);

}  // namespace shoal::config_internal
