#include "adapters/data/trace.h"

#include <algorithm>
#include <numeric>

#include "adapters/data/csv.h"

namespace shoal {
namespace {

constexpr std::string_view kTraceHeader = "minute,requests";

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

double Trace::total() const { return std::accumulate(requests.begin(), requests.end(), 0.0); }

double Trace::peak() const {
  return requests.empty() ? 0.0 : *std::max_element(requests.begin(), requests.end());
}

Result<Trace> ParseTrace(const std::string& csv_text, const std::string& source_name) {
  Trace trace;
  trace.source = source_name;
  // A guess from the text size (about 8 bytes a row) saves regrowing the vector.
  trace.requests.reserve(csv_text.size() / 8 + 1);
  Status status = ForEachCsvRow(
      csv_text, source_name, kTraceHeader, [&](const std::vector<std::string_view>& f, int line) -> Status {
        std::int64_t minute = 0;
        std::int64_t requests = 0;
        if (!ParseInt64(f[0], minute)) {
          return CsvLineError(source_name, line, "minute is not an integer (" + Quoted(f[0]) + ")");
        }
        const auto expected = static_cast<std::int64_t>(trace.requests.size());
        if (minute != expected) {
          return CsvLineError(source_name, line,
                              "expected minute " + std::to_string(expected) + ", got " + std::to_string(minute) +
                                  " (minutes must start at 0 and have no gaps)");
        }
        if (!ParseInt64(f[1], requests)) {
          return CsvLineError(source_name, line, "requests is not an integer (" + Quoted(f[1]) + ")");
        }
        if (requests < 0) {
          return CsvLineError(source_name, line, "requests is negative (" + std::to_string(requests) + ")");
        }
        trace.requests.push_back(static_cast<double>(requests));
        return Status::Ok();
      });
  if (!status.ok()) return status;
  return trace;
}

Result<Trace> LoadTraceFile(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return ParseTrace(*text, path);
}

}  // namespace shoal
