// Small, strict CSV reading shared by the trace and price parsers: the whole
// file is read at once and split in place (string_views into the text), so
// even the 125k-row WC98 trace parses in a few milliseconds. No quoting: the
// bundled files never quote, and rejecting quotes beats misreading them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace shoal {

// The whole file, or an IoError naming `path`.
Result<std::string> ReadWholeFile(const std::string& path);

// "source:line: what" — the one shape every parse error takes.
Status CsvLineError(const std::string& source, int line, const std::string& what);

// Splits `line` on commas into `out` (cleared first).
void SplitCsvFields(std::string_view line, std::vector<std::string_view>& out);

// Whole-field numbers: no spaces, no '+', nothing left over.
bool ParseInt64(std::string_view text, std::int64_t& out);
bool ParseDouble(std::string_view text, double& out);  // finite values only

// Walks the text line by line after checking the header. Calls
// row(fields, line_number) for each data row; stops at the first non-ok
// Status. Tolerates "\r\n" and trailing blank lines; a blank line in the
// middle, a wrong field count, an empty file, a wrong header or no rows at all
// are errors naming `source` (and the line).
template <typename RowFn>
Status ForEachCsvRow(std::string_view text, const std::string& source, std::string_view header, RowFn&& row);

// ---- implementation details ----
namespace csv_internal {

// Next line of `text` from `pos` (without its "\n" or "\r\n"); false at the end.
inline bool NextLine(std::string_view text, std::size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  std::size_t end = text.find('\n', pos);
  std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
  if (end == std::string_view::npos) end = text.size();
  line = text.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = next;
  return true;
}

bool OnlyLineBreaksFrom(std::string_view text, std::size_t pos);
std::size_t ExpectedFieldCount(std::string_view header);
Status CheckHeader(std::string_view text, std::size_t& pos, const std::string& source, std::string_view header);

}  // namespace csv_internal

template <typename RowFn>
Status ForEachCsvRow(std::string_view text, const std::string& source, std::string_view header, RowFn&& row) {
  std::size_t pos = 0;
  SHOAL_RETURN_IF_ERROR(csv_internal::CheckHeader(text, pos, source, header));
  const std::size_t want = csv_internal::ExpectedFieldCount(header);
  std::vector<std::string_view> fields;
  std::string_view line;
  int line_number = 1;
  int rows = 0;
  while (csv_internal::NextLine(text, pos, line)) {
    ++line_number;
    if (line.empty()) {
      if (csv_internal::OnlyLineBreaksFrom(text, pos)) break;  // trailing blank lines
      return CsvLineError(source, line_number, "empty line");
    }
    SplitCsvFields(line, fields);
    if (fields.size() != want) {
      return CsvLineError(source, line_number,
                          "expected " + std::to_string(want) + " fields, got " + std::to_string(fields.size()));
    }
    SHOAL_RETURN_IF_ERROR(row(fields, line_number));
    ++rows;
  }
  if (rows == 0) return Status::InvalidArgument(source + ": no data rows after the header");
  return Status::Ok();
}

}  // namespace shoal
