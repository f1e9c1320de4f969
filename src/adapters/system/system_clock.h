// The wall clock. This file and system_clock.cc are the only places that
// read real time; everything else takes a Clock.
#pragma once

#include "ports/clock.h"

namespace shoal {

// Seconds since the Unix epoch (UTC).
class SystemClock final : public Clock {
 public:
  Seconds Now() const override;
};

}  // namespace shoal
