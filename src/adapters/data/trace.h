// Traffic traces: `minute,requests` CSV (header required, minutes from 0 with
// no gaps, non-negative integer requests).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace shoal {

struct Trace {
  std::string source;
  std::vector<double> requests;  // requests in minute i
  double total() const;
  double peak() const;
};

// Errors name the file, the line and what is wrong ("line 17: requests is negative (-3)").
Result<Trace> ParseTrace(const std::string& csv_text, const std::string& source_name);
Result<Trace> LoadTraceFile(const std::string& path);

}  // namespace shoal
