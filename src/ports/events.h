// A fact about one instance of a group, as a cloud or a load balancer reports it.
#pragma once

#include <string>

#include "core/decide.h"

namespace shoal {

struct GroupInstanceEvent {
  std::string group;
  InstanceObservation observation;
};

}  // namespace shoal
