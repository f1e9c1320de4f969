// Where the bundled price tables and traces are: $SHOAL_BUNDLED_DATA, else
// ./data, else the source tree's data/ (compiled in). Distinct from
// $SHOAL_DATA_DIR, which names the daemon's state directory.
#pragma once

#include <string>

namespace shoal {

std::string BundledDataFile(const std::string& name);

}  // namespace shoal
