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

struct Config {
  std::string source;  // file name (for messages)
  std::vector<GroupSpec> groups;

  // Index of the group named `name`, or -1.
  int FindGroup(std::string_view name) const;
};

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& source_name);
Result<Config> LoadConfigFile(const std::string& path);
// The file's text, or an error naming it (what LoadConfigFile parses).
Result<std::string> ReadConfigText(const std::string& path);

}  // namespace shoal
