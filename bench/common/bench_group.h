// The group shape both benchmarks scale: six m4.large spot pools of
// us-east-1 chosen by price-capacity-optimized, target tracking at 60% CPU,
// and a percent step policy on a one-minute 75% surge alarm (so a +30% step
// at 1,000 instances is 300 launches: the work grows with the group, as in
// production configs). Sizes and on-demand base are each benchmark's own.
#pragma once

#include "core/group.h"

namespace shoal::bench {

void AddPoolsAndPolicies(GroupSpec* group);

}  // namespace shoal::bench
