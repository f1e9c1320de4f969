// The only source of "now". The daemon wires a real clock; the simulator and
// tests a virtual one that moves only when told.
#pragma once

#include "core/time.h"

namespace shoal {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Seconds Now() const = 0;
};

}  // namespace shoal
