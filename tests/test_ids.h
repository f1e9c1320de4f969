// Instance ids for tests: Id(7) is the id the local provider and the
// simulator give their seventh instance ("i-0000000000000007").
#pragma once

#include <cstdint>

#include "core/instance_id.h"

namespace shoal {

inline InstanceId Id(std::uint64_t n) { return InstanceId::FromCounter(n); }

}  // namespace shoal
