// The release and the git commit this binary was built from (CMake: the
// project version, and `git rev-parse --short HEAD` at configure time;
// "unknown" when the source was not a git checkout).
#pragma once

#include <string>

namespace shoal {

const char* BuildVersion();
const char* BuildCommit();
// "shoal 0.1.0 (commit 1c11ba9)"
std::string BuildVersionLine();

}  // namespace shoal
