#include "cli/table.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace shoal {
namespace {

using nlohmann::json;

std::string CellOf(const json& row, const Column& c, std::int64_t now) {
  const json v = row.is_object() ? row.value(c.key, json()) : json();
  if (c.show != Show::kPlain && v.is_number_integer()) {
    return c.show == Show::kUtc ? UtcTime(v.get<std::int64_t>()) : Age(v.get<std::int64_t>(), now);
  }
  return CellText(v);
}

}  // namespace

std::string CellText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

std::string UtcTime(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Age(std::int64_t since, std::int64_t now) {
  const std::int64_t s = std::max<std::int64_t>(0, now - since);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m", s / 60);
  if (s < 86400) return fmt::format("{}h{}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{}h", s / 86400, (s % 86400) / 3600);
}

std::string RenderTable(const json& rows, const std::vector<Column>& columns, std::int64_t now,
                        const std::string& indent) {
  if (!indent.empty() && rows.empty()) return indent + "(none)\n";
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> headers;
  std::vector<std::size_t> width;
  for (const Column& c : columns) {
    headers.push_back(c.header);
    width.push_back(c.header.size());
  }
  lines.push_back(std::move(headers));
  for (const json& r : rows) {
    std::vector<std::string> line;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      line.push_back(CellOf(r, columns[c], now));
      width[c] = std::max(width[c], line.back().size());
    }
    lines.push_back(std::move(line));
  }
  std::string out;
  for (const auto& line : lines) {
    out += indent;
    for (std::size_t c = 0; c < line.size(); ++c) {
      out += c + 1 < line.size() ? fmt::format("{:<{}}  ", line[c], width[c]) : line[c];
    }
    out += "\n";
  }
  return out;
}

}  // namespace shoal
