// The trace reader: a `minute,requests` CSV as `simulate --trace` reads it.
#include "adapters/data/trace.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  shoal::Result<shoal::Trace> trace = shoal::ParseTrace(shoal::fuzz::Text(data, size), "fuzz.csv");
  if (!trace.ok()) {
    FUZZ_CHECK(shoal::fuzz::StartsWith(trace.status().message(), "fuzz.csv:"), trace.status().message());
    return 0;
  }
  FUZZ_CHECK(!trace->requests.empty(), "an accepted trace has rows");
  for (double r : trace->requests) FUZZ_CHECK(r >= 0, std::to_string(r));
  FUZZ_CHECK(trace->peak() <= trace->total(), std::to_string(trace->peak()));
  return 0;
}
