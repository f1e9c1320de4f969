// Where activities go once decided (a log, SQLite, a report).
#pragma once

#include "core/activity.h"

namespace shoal {

class ActivitySink {
 public:
  virtual ~ActivitySink() = default;
  virtual void Record(const Activity& activity) = 0;
};

}  // namespace shoal
