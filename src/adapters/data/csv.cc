#include "adapters/data/csv.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>

namespace shoal {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open (" + std::strerror(errno) + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Status::IoError(path + ": cannot determine the size");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0, std::ios::beg);
  if (!in.read(text.data(), size)) return Status::IoError(path + ": read failed");
  return text;
}

Status CsvLineError(const std::string& source, int line, const std::string& what) {
  return Status::InvalidArgument(source + ":" + std::to_string(line) + ": " + what);
}

void SplitCsvFields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

bool ParseInt64(std::string_view text, std::int64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool ParseDouble(std::string_view text, double& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out, std::chars_format::general);
  return ec == std::errc() && ptr == end && !text.empty() && std::isfinite(out);
}

namespace csv_internal {

bool OnlyLineBreaksFrom(std::string_view text, std::size_t pos) {
  return text.find_first_not_of("\r\n", pos) == std::string_view::npos;
}

std::size_t ExpectedFieldCount(std::string_view header) {
  std::size_t n = 1;
  for (char c : header) n += c == ',' ? 1 : 0;
  return n;
}

Status CheckHeader(std::string_view text, std::size_t& pos, const std::string& source, std::string_view header) {
  const std::string want(header);
  // A UTF-8 byte-order mark is what spreadsheet exports put first; it is not content.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
  if (OnlyLineBreaksFrom(text, pos)) {
    return Status::InvalidArgument(source + ": file is empty (expected the header '" + want + "')");
  }
  std::string_view line;
  NextLine(text, pos, line);
  if (line != header) {
    return CsvLineError(source, 1, "expected the header '" + want + "', got '" + std::string(line) + "'");
  }
  return Status::Ok();
}

}  // namespace csv_internal
}  // namespace shoal
