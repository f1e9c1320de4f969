// A group's settings as JSON, keyed like the YAML (for `shoal plan`'s diff
// and for showing what runs).
#pragma once

#include <string>
#include <vector>

#include "adapters/config/config.h"

namespace shoal {

// "path: old -> new" lines for every setting that differs, "+ group x" and
// "- group x" for groups added and removed; empty when the configs agree.
std::vector<std::string> DiffConfigs(const Config& running, const Config& next);

}  // namespace shoal
