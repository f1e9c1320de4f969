// Turns a group's LaunchSpec into the launcher's plan for one instance:
// placeholders substituted, programs resolved (so a missing command fails
// Launch with a message naming it, before anything exists), the instance
// environment, the agent's command line.
#pragma once

#include <string>

#include "adapters/local/instance_record.h"
#include "adapters/local/launcher.h"
#include "adapters/local/local_cloud.h"
#include "core/group.h"

namespace shoal {

// `release` (null: the group boots none) adds the bootstrap as the first
// provision step and gives "{release}" and "{version}" their values.
Result<LauncherPlan> BuildLaunchPlan(const GroupSpec& spec, const InstanceRecord& rec, const std::string& dir,
                                     const LocalCloudOptions& options, const ReleaseToBoot* release = nullptr);

}  // namespace shoal
