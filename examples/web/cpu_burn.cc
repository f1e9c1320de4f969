#include "cpu_burn.h"

#include <time.h>

#include <array>

namespace shoal::web {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
// Small enough that the clock is read every few microseconds, so the
// overshoot past the budget is negligible.
constexpr size_t kBlockBytes = 4096;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// FNV-1a over the block; the result is written back into the block so every
// round depends on the previous one.
uint64_t HashBlock(std::array<uint8_t, kBlockBytes>& block, uint64_t seed) {
  uint64_t h = kFnvOffset ^ seed;
  for (uint8_t byte : block) {
    h ^= byte;
    h *= kFnvPrime;
  }
  block[h % kBlockBytes] = static_cast<uint8_t>(h);
  return h;
}

}  // namespace

BurnResult BurnCpu(std::chrono::milliseconds budget) {
  const double start = ThreadCpuSeconds();
  const double end = start + static_cast<double>(budget.count()) / 1000.0;
  std::array<uint8_t, kBlockBytes> block{};
  BurnResult result;
  double now = start;
  while (now < end) {
    result.digest = HashBlock(block, result.digest);
    now = ThreadCpuSeconds();
  }
  result.cpu_seconds = now - start;
  return result;
}

}  // namespace shoal::web
