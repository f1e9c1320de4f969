// Reading one group of the config (its capacity, spot handling and health
// check here; alarms and policies in scaling_reader.h).
#pragma once

#include "adapters/config/yaml_reader.h"
#include "core/group.h"

namespace shoal::config_internal {

// Lines of the keys that checks across groups point at (0 = unknown).
struct GroupLines {
  int group = 0;
  int name = 0;
  int bump_group = 0;
};

GroupSpec ReadGroup(const MapReader& m, GroupLines* lines);

}  // namespace shoal::config_internal
