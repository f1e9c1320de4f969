#include "adapters/data/iso_time.h"

#include <array>
#include <cstdio>

#include <fmt/format.h>

namespace shoal {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(std::int64_t year, int month) {
  return kDaysInMonth[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
}

// Days from 0001-01-01 to the first of January of `year` (year >= 1).
std::int64_t DaysBeforeYear(std::int64_t year) {
  const std::int64_t y = year - 1;
  return 365 * y + y / 4 - y / 100 + y / 400;
}

const std::int64_t kEpochDays = DaysBeforeYear(1970);

// Reads exactly `width` digits at text[pos]; false if any is not a digit.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::int64_t DaysFromCivil(const CivilDate& date) {
  std::int64_t days = DaysBeforeYear(date.year) - kEpochDays;
  for (int m = 1; m < date.month; ++m) days += DaysInMonth(date.year, m);
  return days + date.day - 1;
}

CivilDate CivilFromDays(std::int64_t days_since_epoch) {
  const std::int64_t days = days_since_epoch + kEpochDays;  // since 0001-01-01
  // The 400-year cycle has exactly 146097 days, so this guess is off by at most one year.
  std::int64_t year = days * 400 / 146097 + 1;
  while (DaysBeforeYear(year) > days) --year;
  while (DaysBeforeYear(year + 1) <= days) ++year;
  int day_of_year = static_cast<int>(days - DaysBeforeYear(year));
  int month = 1;
  while (day_of_year >= DaysInMonth(year, month)) day_of_year -= DaysInMonth(year, month++);
  return CivilDate{static_cast<int>(year), month, day_of_year + 1};
}

Result<std::int64_t> ParseIsoUtc(std::string_view text) {
  const std::string shown = "'" + std::string(text) + "'";
  // Positions in "YYYY-MM-DDTHH:MM:SSZ".
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return Status::InvalidArgument("timestamp " + shown + " is not ISO-8601 UTC like 2020-03-01T12:05:23Z");
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 0, 4, year) || !ReadDigits(text, 5, 2, month) || !ReadDigits(text, 8, 2, day) ||
      !ReadDigits(text, 11, 2, hour) || !ReadDigits(text, 14, 2, minute) || !ReadDigits(text, 17, 2, second)) {
    return Status::InvalidArgument("timestamp " + shown + " has a non-digit where a digit belongs");
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return Status::InvalidArgument("timestamp " + shown + " is not a calendar date");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return Status::InvalidArgument("timestamp " + shown + " is not a time of day");
  }
  const std::int64_t days = DaysFromCivil(CivilDate{year, month, day});
  return days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

std::string FormatIsoDate(std::int64_t unix_seconds) {
  // Floor division, so instants before 1970 land on the right day.
  std::int64_t days = unix_seconds / kSecondsPerDay;
  if (unix_seconds % kSecondsPerDay < 0) --days;
  const CivilDate d = CivilFromDays(days);
  char buf[40];  // room for any int, so no truncation warning
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::string FormatIsoUtc(std::int64_t unix_seconds) {
  // Floor division, so instants before 1970 land on the right day.
  std::int64_t days = unix_seconds / kSecondsPerDay;
  std::int64_t secs = unix_seconds % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", date.year, date.month, date.day, secs / 3600,
                     secs / 60 % 60, secs % 60);
}


}  // namespace shoal
