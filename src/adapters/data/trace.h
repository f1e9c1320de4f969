// Traffic traces: `minute,requests` CSV (header required, minutes from 0 with
// no gaps, non-negative integer requests), or a CloudWatch export (JSON).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace shoal {

// The most requests a trace may hold in one minute: about 17 billion a second,
// beyond any real service, and low enough that no sum over a trace can
// overflow a double (a CloudWatch export's 1e308 twice is infinite).
inline constexpr double kMaxTraceRequestsPerMinute = 1e12;

struct Trace {
  std::string source;
  std::vector<double> requests;  // requests in minute i
  double total() const;
  double peak() const;
};

// Errors name the file, the line and what is wrong ("line 17: requests is negative (-3)").
Result<Trace> ParseTrace(const std::string& csv_text, const std::string& source_name);
// A CloudWatch export as a trace: the JSON that `aws cloudwatch
// get-metric-statistics` prints (Datapoints with a Sum, e.g. an ALB's
// RequestCount) or `aws cloudwatch get-metric-data` (one MetricDataResults
// entry: Timestamps and Values). Minute 0 is the earliest timestamp; a
// period missing from the export (CloudWatch leaves out periods without
// data) is 0 requests; a period longer than a minute is spread evenly over
// its minutes. Values are rounded to whole requests.
Result<Trace> ParseCloudWatchTrace(const std::string& json_text, const std::string& source_name);
// CSV, or a CloudWatch export when the file starts with '{'.
Result<Trace> LoadTraceFile(const std::string& path);

}  // namespace shoal
