// What `shoal plan` shows: the differences between two configs, key by key
// of the schema table (schema.h).
#pragma once

#include <string>
#include <vector>

#include "adapters/config/config.h"

namespace shoal {

// "~ path: old -> new" lines for every value that differs (a note follows
// where apply does not do what the line suggests), "+ path = value" and
// "- path" for alarms, policies and pools added and removed (matched by
// name), "+ group x (min, max)" and "- group x (...)" for groups; empty when
// the configs agree.
std::vector<std::string> DiffConfigs(const Config& running, const Config& next);

}  // namespace shoal
