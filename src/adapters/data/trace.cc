#include "adapters/data/trace.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>

#include <nlohmann/json.hpp>

#include "adapters/data/csv.h"
#include "adapters/data/iso_time.h"

namespace shoal {
namespace {

constexpr std::string_view kTraceHeader = "minute,requests";

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// CloudWatch's timestamps: "2026-12-03T09:00:00Z", "...+00:00", with or
// without fractional seconds, any whole-minute UTC offset.
Result<std::int64_t> ParseCloudWatchTime(std::string text) {
  std::int64_t offset = 0;
  if (text.size() > 6 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-') &&
      text[text.size() - 3] == ':') {
    std::int64_t h = 0;
    std::int64_t m = 0;
    if (!ParseInt64(std::string_view(text).substr(text.size() - 5, 2), h) ||
        !ParseInt64(std::string_view(text).substr(text.size() - 2, 2), m)) {
      return Status::InvalidArgument("bad time zone in " + Quoted(text));
    }
    offset = (h * 60 + m) * 60 * (text[text.size() - 6] == '-' ? -1 : 1);
    text = text.substr(0, text.size() - 6) + "Z";
  }
  if (const std::size_t dot = text.find('.'); dot != std::string::npos && !text.empty() && text.back() == 'Z') {
    text = text.substr(0, dot) + "Z";
  }
  Result<std::int64_t> t = ParseIsoUtc(text);
  if (!t.ok()) return t.status();
  return *t - offset;
}

}  // namespace

Result<Trace> ParseCloudWatchTrace(const std::string& json_text, const std::string& source_name) {
  using Json = nlohmann::json;
  auto fail = [&](const std::string& what) { return Status::InvalidArgument(source_name + ": " + what); };
  Json doc = Json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("not a JSON object (expected a CloudWatch export)");
  // (time, value) pairs from either output shape.
  std::vector<std::pair<std::string, double>> points;
  if (doc.contains("MetricDataResults")) {
    const Json& results = doc["MetricDataResults"];
    if (!results.is_array() || results.size() != 1) {
      return fail("MetricDataResults must hold exactly one metric (export one query, e.g. the Sum of RequestCount)");
    }
    const Json& r = results[0];
    if (!r.contains("Timestamps") || !r.contains("Values") || !r["Timestamps"].is_array() ||
        !r["Values"].is_array() || r["Timestamps"].size() != r["Values"].size()) {
      return fail("MetricDataResults[0] needs Timestamps and Values of the same length");
    }
    for (std::size_t i = 0; i < r["Timestamps"].size(); ++i) {
      if (!r["Timestamps"][i].is_string() || !r["Values"][i].is_number()) {
        return fail("MetricDataResults[0]: entry " + std::to_string(i) + " is not a time and a number");
      }
      points.emplace_back(r["Timestamps"][i].get<std::string>(), r["Values"][i].get<double>());
    }
  } else if (doc.contains("Datapoints")) {
    if (!doc["Datapoints"].is_array()) return fail("Datapoints is not a list");
    for (std::size_t i = 0; i < doc["Datapoints"].size(); ++i) {
      const Json& d = doc["Datapoints"][i];
      if (!d.is_object() || !d.contains("Timestamp") || !d["Timestamp"].is_string()) {
        return fail("Datapoints[" + std::to_string(i) + "] has no Timestamp");
      }
      if (!d.contains("Sum") || !d["Sum"].is_number()) {
        return fail("Datapoints[" + std::to_string(i) +
                    "] has no Sum (export with --statistics Sum: requests per period)");
      }
      points.emplace_back(d["Timestamp"].get<std::string>(), d["Sum"].get<double>());
    }
  } else {
    return fail("neither MetricDataResults (get-metric-data) nor Datapoints (get-metric-statistics)");
  }
  if (points.empty()) return fail("the export holds no data points");
  std::map<std::int64_t, double> by_time;
  for (const auto& [text, value] : points) {
    Result<std::int64_t> t = ParseCloudWatchTime(text);
    if (!t.ok()) return fail("timestamp " + Quoted(text) + ": " + t.status().message());
    if (!(value >= 0) || !std::isfinite(value)) return fail("a negative or non-finite value at " + text);
    if (*t % 60 != 0) return fail("timestamp " + text + " is not on a whole minute");
    if (!by_time.emplace(*t, value).second) return fail("timestamp " + text + " appears twice");
  }
  // The period: the smallest gap between data points (one minute when only one).
  std::int64_t period = 60;
  if (by_time.size() > 1) {
    period = INT64_MAX;
    for (auto it = std::next(by_time.begin()); it != by_time.end(); ++it) {
      period = std::min(period, it->first - std::prev(it)->first);
    }
  }
  const std::int64_t first = by_time.begin()->first;
  const std::int64_t minutes = (by_time.rbegin()->first - first + period) / 60;
  constexpr std::int64_t kMaxMinutes = 366LL * 24 * 60 * 3;
  if (minutes > kMaxMinutes) return fail("spans more than three years");
  const std::int64_t per = period / 60;
  for (const auto& [t, value] : by_time) {
    if (value / static_cast<double>(per) > kMaxTraceRequestsPerMinute) {
      return fail("more than 1e12 requests a minute at " + FormatIsoUtc(t));
    }
  }
  Trace trace;
  trace.source = source_name;
  trace.requests.assign(static_cast<std::size_t>(minutes), 0.0);
  for (const auto& [t, value] : by_time) {
    const std::int64_t m0 = (t - first) / 60;
    for (std::int64_t k = 0; k < per && m0 + k < minutes; ++k) {
      trace.requests[static_cast<std::size_t>(m0 + k)] = std::round(value / static_cast<double>(per));
    }
  }
  return trace;
}

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
        if (static_cast<double>(requests) > kMaxTraceRequestsPerMinute) {
          return CsvLineError(source_name, line,
                              "requests is more than 1e12 in a minute (" + std::to_string(requests) + ")");
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
  const std::size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{') return ParseCloudWatchTrace(*text, path);
  return ParseTrace(*text, path);
}

}  // namespace shoal
