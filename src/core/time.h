// Time in the core is a plain count of seconds. Only the Clock port says what
// "now" is; the core never reads a wall clock.
#pragma once

#include <cstdint>

namespace shoal {

using Seconds = std::int64_t;  // instants (since the clock's epoch) and durations

constexpr Seconds kMinute = 60;
constexpr Seconds kHour = 3600;
constexpr Seconds kNever = -1;

// Index of the minute that contains instant t (t >= 0).
constexpr std::int64_t MinuteOf(Seconds t) { return t / kMinute; }

}  // namespace shoal
