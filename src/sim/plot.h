// An SVG of a simulation: demand and in-service capacity by pool over time.
#pragma once

#include <string>

#include "sim/simulation.h"

namespace shoal {

std::string RenderPlotSvg(const SimReport& r);

}  // namespace shoal
