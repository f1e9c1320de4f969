// Tables for people: the CLI's `get` and `describe` output. Columns are
// aligned, times read as UTC, ages as kubectl shows them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace shoal {

// Wall-clock seconds as UTC ("2026-11-26T08:53:25Z").
std::string UtcTime(std::int64_t t);
// How long ago, like kubectl's AGE: 42s, 7m, 3h12m, 2d4h (never negative).
std::string Age(std::int64_t since, std::int64_t now);

// A JSON value as a cell: strings bare, null as "-", the rest as JSON.
std::string CellText(const nlohmann::json& v);

enum class Show { kPlain, kUtc, kAge };

struct Column {
  std::string header;
  std::string key;  // of each row object
  Show show = Show::kPlain;
};

// One line of headers and one per row of `rows` (an array of objects); a
// missing value reads "-". With an indent (a section of `describe`), no rows
// read "(none)". No trailing spaces.
std::string RenderTable(const nlohmann::json& rows, const std::vector<Column>& columns, std::int64_t now,
                        const std::string& indent = "");

}  // namespace shoal
