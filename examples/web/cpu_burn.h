// The work one request to GET / stands for: a fixed amount of CPU time.
#pragma once

#include <chrono>
#include <cstdint>

namespace shoal::web {

struct BurnResult {
  double cpu_seconds = 0;  // CPU time this thread actually spent
  uint64_t digest = 0;     // the hash computed, so the work cannot be elided
};

// Hashes a buffer over and over until this thread has used `budget` of CPU.
// It reads the thread's CPU clock, not the wall clock, so a request that is
// descheduled on a busy machine still costs the full budget of CPU: that is
// what makes the service's CPU utilisation track its request rate.
BurnResult BurnCpu(std::chrono::milliseconds budget);

}  // namespace shoal::web
