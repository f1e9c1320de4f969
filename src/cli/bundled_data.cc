#include "cli/bundled_data.h"

#include <cstdlib>
#include <filesystem>

#ifndef SHOAL_DEFAULT_DATA_DIR
#define SHOAL_DEFAULT_DATA_DIR "data"
#endif

namespace shoal {

std::string BundledDataFile(const std::string& name) {
  if (const char* dir = std::getenv("SHOAL_BUNDLED_DATA"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/" + name;
  }
  if (std::filesystem::exists("data/" + name)) return "data/" + name;
  return std::string(SHOAL_DEFAULT_DATA_DIR) + "/" + name;
}

}  // namespace shoal
