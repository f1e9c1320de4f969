#include "api/dashboard_assets.h"

namespace shoal {

const DashboardAsset* FindDashboardAsset(std::string_view name) {
  for (std::size_t i = 0; i < kDashboardAssetCount; ++i) {
    if (kDashboardAssets[i].name == name) return &kDashboardAssets[i];
  }
  return nullptr;
}

}  // namespace shoal
