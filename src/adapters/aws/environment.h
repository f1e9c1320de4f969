// Where the AWS client reads its environment variables from. Injected so
// tests never change the process environment (which other threads may read)
// and can state exactly what a case sees.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace shoal::aws {

// The value of one variable, or nullopt when it is unset. An empty value
// counts as unset, as in the AWS SDKs.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

// A fixed set of variables (tests).
EnvLookup MapEnv(std::map<std::string, std::string> vars);

// "true" in any case; what the SDKs accept for boolean variables.
bool EnvFlag(const EnvLookup& env, const std::string& name);

}  // namespace shoal::aws
