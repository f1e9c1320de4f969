#include "api/build_info.h"

// Defined for this one file only (CMakeLists.txt), so no other object
// changes with the commit and ccache keeps sharing them.
#ifndef SHOAL_VERSION
#define SHOAL_VERSION "unknown"
#endif
#ifndef SHOAL_GIT_COMMIT
#define SHOAL_GIT_COMMIT "unknown"
#endif

namespace shoal {

const char* BuildVersion() { return SHOAL_VERSION; }
const char* BuildCommit() { return SHOAL_GIT_COMMIT; }

std::string BuildVersionLine() {
  return std::string("shoal ") + BuildVersion() + " (commit " + BuildCommit() + ")";
}

}  // namespace shoal
