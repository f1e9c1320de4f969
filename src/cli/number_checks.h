// Command-line checks for fractional numbers. CLI11's Range compares with <
// and >, which NaN passes ("--max-lost-pct nan" was taken as a ceiling that
// nothing stays within, and said so, as if it were a number), so every
// fractional option is checked with FiniteRange instead.
#pragma once

#include <string>

#include <CLI/Error.hpp>  // Validators.hpp uses it without including it
#include <CLI/Validators.hpp>

namespace shoal {

// Accepts a decimal number in [min, max]; refuses NaN, infinities and text
// that is not a number, naming the value and the range.
CLI::Validator FiniteRange(double min, double max);

// The check behind it: "" when `text` is such a number, else why not.
std::string CheckFiniteRange(const std::string& text, double min, double max);

}  // namespace shoal
