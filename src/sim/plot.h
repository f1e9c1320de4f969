// An SVG of a simulation: demand and in-service capacity by pool over time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulation.h"

namespace shoal {

// A mark on the time axis, at a trace minute.
struct TimeTick {
  std::int64_t minute = 0;
  std::string label;
};

// The time axis of a trace of `minutes` minutes: marks on whole days, at most
// eight, every 1, 2, 3, 5, 7, 14 or 28 days. Without `start_utc` they count
// days from the trace's start ("day 0", "day 7", ...); with it (the Unix
// time of minute 0) they fall on UTC midnights and show the date
// ("1995-07-02"). A trace shorter than two days is marked on whole hours
// instead ("hour 6", or "06:00" with a start time).
std::vector<TimeTick> TimeAxisTicks(std::int64_t minutes, std::optional<std::int64_t> start_utc = std::nullopt);

// `start_utc`: the Unix time of the trace's minute 0, when it is known.
std::string RenderPlotSvg(const SimReport& r, std::optional<std::int64_t> start_utc = std::nullopt);

}  // namespace shoal
