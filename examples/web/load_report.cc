#include "load_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace shoal::web {
namespace {

double NearestRank(const std::vector<double>& sorted, double fraction) {
  const auto rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double AchievedRate(const LoadResult& result) {
  return result.elapsed_s > 0 ? static_cast<double>(result.sent) / result.elapsed_s : 0;
}

std::string TargetText(const LoadOptions& options) {
  const TargetUrl& t = options.target;
  const bool v6 = t.host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}{}", v6 ? "[" : "", t.host, v6 ? "]" : "", t.port, t.path);
}

}  // namespace

LatencySummary SummarizeLatency(std::vector<double> latencies_ms) {
  if (latencies_ms.empty()) return {};
  std::sort(latencies_ms.begin(), latencies_ms.end());
  return {.p50 = NearestRank(latencies_ms, 0.50),
          .p90 = NearestRank(latencies_ms, 0.90),
          .p99 = NearestRank(latencies_ms, 0.99),
          .max = latencies_ms.back()};
}

nlohmann::json ReportJson(const LoadOptions& options, const LoadResult& result) {
  const LatencySummary latency = SummarizeLatency(result.latencies_ms);
  return {
      {"url", TargetText(options)},
      {"target_rate_start", options.plan.start_rate},
      {"target_rate_end", options.plan.end_rate},
      {"duration_s", options.plan.duration_s},
      {"concurrency", options.concurrency},
      {"planned", result.planned},
      {"sent", result.sent},
      {"ok", result.ok},
      {"failed", result.failed_http + result.failed_connection},
      {"failed_http", result.failed_http},
      {"failed_connection", result.failed_connection},
      {"missed", result.missed},
      {"latency_ms", {{"p50", latency.p50}, {"p90", latency.p90}, {"p99", latency.p99},
                      {"max", latency.max}}},
      {"achieved_rate", AchievedRate(result)},
      {"elapsed_s", result.elapsed_s},
  };
}

std::string ReportText(const LoadOptions& options, const LoadResult& result) {
  const LatencySummary latency = SummarizeLatency(result.latencies_ms);
  std::string out;
  out += fmt::format("target      {} at {:g} -> {:g} req/s for {:g} s, {} connections\n",
                     TargetText(options), options.plan.start_rate, options.plan.end_rate,
                     options.plan.duration_s, options.concurrency);
  out += fmt::format("sent        {} of {} planned", result.sent, result.planned);
  if (result.missed > 0) {
    out += fmt::format(" ({} missed: due while every connection was busy)", result.missed);
  }
  out += "\n";
  out += fmt::format("ok          {}\n", result.ok);
  out += fmt::format("failed      {} (non-2xx {}, connection errors {})\n",
                     result.failed_http + result.failed_connection, result.failed_http,
                     result.failed_connection);
  out += fmt::format("latency ms  p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f}\n", latency.p50,
                     latency.p90, latency.p99, latency.max);
  out += fmt::format("rate        {:.1f} req/s achieved over {:.2f} s\n", AchievedRate(result),
                     result.elapsed_s);
  return out;
}

}  // namespace shoal::web
