// HAProxy's `show stat` answer as the runtime adapter parses it (the daemon
// polls it every few seconds, so a reply it cannot read must be an error).
#include "adapters/haproxy/haproxy.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto stats = shoal::ParseShowStat(shoal::fuzz::Text(data, size));
  if (!stats.ok()) {
    FUZZ_CHECK(shoal::fuzz::StartsWith(stats.status().message(), "show stat: "), stats.status().message());
    return 0;
  }
  for (const shoal::ServerStat& s : *stats) {
    FUZZ_CHECK(!s.backend.empty() && !s.server.empty(), s.backend + "/" + s.server);
  }
  return 0;
}
