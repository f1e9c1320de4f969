// The core's validation messages name struct fields (scaling_adjustment,
// steps[0].lower_bound); the config spells some of them differently
// (adjustment, steps[0].lower). This maps a message onto the config's
// spelling so that what the user reads is a key they can find in the file.
#pragma once

#include <string>

namespace shoal::config_internal {

std::string WithConfigKeyNames(const std::string& core_message);

}  // namespace shoal::config_internal
