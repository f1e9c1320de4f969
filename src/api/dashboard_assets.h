// The web dashboard's files (src/api/dashboard/), built into the binary by
// cmake/EmbedDashboard.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal {

struct DashboardAsset {
  std::string_view name;  // file name: index.html, app.js, app.css
  std::string_view body;
};

extern const DashboardAsset kDashboardAssets[];
extern const std::size_t kDashboardAssetCount;

// The file named `name`, or nullptr.
const DashboardAsset* FindDashboardAsset(std::string_view name);

}  // namespace shoal
