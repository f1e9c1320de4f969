// The API token: generated at the daemon's first start into DIR/api-token
// (mode 0600), read by the CLI and the agents.
#pragma once

#include <string>

#include "core/instance.h"
#include "core/status.h"

namespace shoal {

// Reads the token at `path`, creating it (32 random bytes, hex) if missing.
Result<std::string> LoadOrCreateToken(const std::string& path);
Result<std::string> ReadToken(const std::string& path);
// Constant-time comparison of a presented token with the expected one.
bool TokenMatches(const std::string& presented, const std::string& expected);

// The credential of one instance's agent: HMAC-SHA256 of the instance id
// under the daemon's agent secret (DIR/agent-secret, 0600, never handed
// out). It lets the agent post its own instance's events and nothing else;
// nothing needs storing, and it survives daemon restarts.
std::string AgentCredential(const std::string& secret, InstanceId id);
// The same for an instance whose id is not known when its agent's
// credential is written (EC2 names an instance only in RunInstances' answer,
// after the user data is sent): keyed by the launch token instead, which the
// instance record keeps. Distinct messages keep the two kinds apart.
std::string AgentLaunchCredential(const std::string& secret, const std::string& launch_token);

}  // namespace shoal
