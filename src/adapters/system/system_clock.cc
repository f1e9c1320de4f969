#include "adapters/system/system_clock.h"

#include <chrono>

namespace shoal {

Seconds SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace shoal
