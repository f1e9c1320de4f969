#include "providers/release_resolver.h"

#include <climits>

#include "adapters/release/release_store.h"

namespace shoal {

ReleaseResolver::ReleaseResolver(std::string data_dir, ReleasesSpec spec)
    : data_dir_(std::move(data_dir)), spec_(std::move(spec)) {}

void ReleaseResolver::SetSpec(const ReleasesSpec& spec) {
  std::lock_guard lock(mu_);
  spec_ = spec;
}

std::string ReleaseResolver::UrlOf(const ReleasesSpec& spec) const {
  return spec.store.empty() ? DefaultStoreUrl(data_dir_) : spec.store;
}

std::string ReleaseResolver::store_url() const {
  std::lock_guard lock(mu_);
  return UrlOf(spec_);
}

Result<ReleaseToBoot> ReleaseResolver::Resolve(const std::string& service, const std::string& ref) {
  std::lock_guard lock(mu_);
  const std::string url = UrlOf(spec_);
  if (url != opened_url_ || store_.store == nullptr) {
    // A local store is created empty if missing, so a daemon may start
    // before the first publish; its launches fail until there is one.
    Result<OpenedStore> opened = OpenStore(url, true);
    if (!opened.ok()) return opened.status().WithContext("release store " + url);
    store_ = std::move(*opened);
    opened_url_ = url;
  }
  ReleaseStore releases(store_.store.get(), ReleaseLayout{service, spec_.env});
  Result<std::uint64_t> version = releases.Resolve(ref);
  if (!version.ok()) return version.status().WithContext("store " + url);
  if (*version > static_cast<std::uint64_t>(INT_MAX)) {
    return Status::InvalidArgument("release " + std::to_string(*version) + " is beyond the versions Shoal tracks");
  }
  Result<ReleaseManifest> manifest = releases.Manifest(*version);
  if (!manifest.ok()) return manifest.status().WithContext("store " + url);
  return ReleaseToBoot{static_cast<int>(*version), url, spec_.env, data_dir_ + "/release-cache"};
}

}  // namespace shoal
