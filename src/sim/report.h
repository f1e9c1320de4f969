// The simulation report as text for people and as one JSON object for
// scripts. Both are byte-identical for identical runs.
#pragma once

#include <string>

#include "sim/simulation.h"

namespace shoal {

std::string FormatReportText(const SimReport& r);
std::string FormatReportJson(const SimReport& r);
// CSV, one row per trace minute: minute,demand_units,capacity_units,on_demand_units,lost_requests.
std::string FormatMinutesCsv(const SimReport& r);
// One line per activity: time, group, kind, from → to, cause.
std::string FormatActivityLog(const SimReport& r);
// The same as a JSON array; "time" is seconds from trace minute 0 (negative
// during the warm-up), so it lines up with a live run's offsets from its start.
std::string FormatActivityLogJson(const SimReport& r);

}  // namespace shoal
