// shoal_load's summary, as text for people or one JSON object for scripts.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load_runner.h"

namespace shoal::web {

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;  // milliseconds; 0 when nothing answered
};

// Nearest-rank percentiles.
LatencySummary SummarizeLatency(std::vector<double> latencies_ms);

nlohmann::json ReportJson(const LoadOptions& options, const LoadResult& result);
std::string ReportText(const LoadOptions& options, const LoadResult& result);

}  // namespace shoal::web
