// UTC calendar arithmetic for the price files, done by hand so the result
// never depends on the machine's time zone or <ctime> (timegm is not
// standard, mktime reads TZ).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace shoal {

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days since 1970-01-01 (negative before it). Valid for years 1..9999.
std::int64_t DaysFromCivil(const CivilDate& date);
CivilDate CivilFromDays(std::int64_t days_since_epoch);

// Exactly "YYYY-MM-DDTHH:MM:SSZ" -> seconds since the Unix epoch. The error
// message says what is wrong; callers add the file and line.
Result<std::int64_t> ParseIsoUtc(std::string_view text);

// "2026-11-26T06:30:00Z"
std::string FormatIsoUtc(std::int64_t unix_seconds);

// "YYYY-MM-DD" of the UTC day holding `unix_seconds`.
std::string FormatIsoDate(std::int64_t unix_seconds);

}  // namespace shoal
