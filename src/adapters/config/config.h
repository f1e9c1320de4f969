// The YAML configuration: groups, pools, alarms, policies, health checks.
// Parsing checks every key (unknown keys are errors) and every value; an
// error names the file, the key path and what is wrong, e.g.
//   examples/x.yaml: groups[0].policies[1].steps[0].lower_bound: expected a number, got "abc"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/group.h"
#include "core/status.h"

namespace shoal {

// The `controller:` section: the reconcile loop's timings. `shoal serve`
// gives them to the reconciler; `shoal simulate` ignores them.
struct ControllerSpec {
  Seconds inventory_period = 60;               // how often the cloud's instances are compared with the state
  Seconds orphan_grace = 60;                   // an instance of no configured group lives this long
  Seconds activity_retention = 90 * 24 * kHour;  // activities older than this are pruned; 0 keeps all
};

struct Config {
  std::string source;  // file name (for messages)
  std::vector<GroupSpec> groups;
  ControllerSpec controller;

  // Index of the group named `name`, or -1.
  int FindGroup(std::string_view name) const;
};

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& source_name);
Result<Config> LoadConfigFile(const std::string& path);
// The file's text, or an error naming it (what LoadConfigFile parses).
Result<std::string> ReadConfigText(const std::string& path);

}  // namespace shoal
