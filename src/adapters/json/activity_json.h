// An activity as JSON: one shape for the API (/v1/activities) and for
// `shoal simulate --json --activities`, so scripts read both alike.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "core/activity.h"

namespace shoal {

// Adds time, group, kind, from, to and cause to `j`, in that order.
void AddActivityFields(const Activity& a, nlohmann::ordered_json& j);

}  // namespace shoal
