#include "cli/number_checks.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace shoal {

std::string CheckFiniteRange(const std::string& text, double min, double max) {
  const std::string range = fmt::format("{:g} to {:g}", min, max);
  char* end = nullptr;
  const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return "'" + text + "' is not a number (" + range + ")";
  // An overflow reads as infinite; an underflow as (nearly) 0, which is a number.
  if (!std::isfinite(v)) return "'" + text + "' is not a finite number (" + range + ")";
  if (v < min || v > max) return "Value " + text + " not in range " + range;
  return "";
}

CLI::Validator FiniteRange(double min, double max) {
  return CLI::Validator([min, max](std::string& text) { return CheckFiniteRange(text, min, max); },
                        fmt::format("NUMBER in [{:g} - {:g}]", min, max));
}

}  // namespace shoal
