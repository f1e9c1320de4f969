// Runs one open-loop load test against a loopback target and tallies it.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "load_schedule.h"
#include "load_url.h"

namespace shoal::web {

struct LoadOptions {
  TargetUrl target;
  LoadPlan plan;
  int concurrency = 4;                    // connections, i.e. requests outstanding at most
  std::chrono::milliseconds timeout{5000};  // per request
};

struct LoadResult {
  uint64_t planned = 0;
  uint64_t sent = 0;
  uint64_t ok = 0;                 // 2xx
  uint64_t failed_http = 0;        // answered, but not 2xx
  uint64_t failed_connection = 0;  // no answer: refused, reset, timed out
  // Due before the end of the run but not sent by then, because every
  // connection was busy: the target was too slow for the rate.
  uint64_t missed = 0;
  // Of answered requests, from when each was due (not when a connection was
  // free to send it), so queueing behind a slow server counts as latency.
  std::vector<double> latencies_ms;
  double elapsed_s = 0;
};

// Blocks for about plan.duration_s (plus at most one request timeout).
LoadResult RunLoad(const LoadOptions& options);

}  // namespace shoal::web
