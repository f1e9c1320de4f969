// Reading the alarms and policies of a group from the config.
#pragma once

#include "adapters/config/yaml_reader.h"
#include "core/alarm.h"
#include "core/policy.h"

namespace shoal::config_internal {

AlarmSpec ReadAlarm(const MapReader& m);
PolicySpec ReadPolicy(const MapReader& m);

}  // namespace shoal::config_internal
