// Durations in the config: a whole number of seconds ("300"), or numbers with
// units s, m, h, d ("300s", "5m", "2h", "1h30m", "90d"), because "5m" is what
// people mean and "300" is what the seed's consoles showed; both must work.
#pragma once

#include <optional>
#include <string_view>

#include "core/time.h"

namespace shoal::config_internal {

// The number of seconds `text` stands for, or nullopt when it is not a
// non-negative duration in the forms above (or would overflow).
std::optional<Seconds> ParseDuration(std::string_view text);

}  // namespace shoal::config_internal
