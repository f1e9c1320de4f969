// Resolves the release a launch names ("latest-stable", "latest" or N) of a
// service to the version to boot, reading the store the config's
// `releases` section names (else SHOAL_STORE, else DATA/releases). The
// store is opened once per URL and kept. Each launch reads the pointer
// afresh, so a promote reaches the next launch without a restart.
// Thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "adapters/config/config.h"
#include "adapters/local/local_cloud.h"
#include "providers/release_store_open.h"

namespace shoal {

class ReleaseResolver {
 public:
  explicit ReleaseResolver(std::string data_dir, ReleasesSpec spec);

  // A new `releases` section (after `shoal apply`): later launches use it.
  void SetSpec(const ReleasesSpec& spec);
  // The version `ref` names, checked to be a complete release (its
  // manifest exists); kNotFound, kUnavailable, ... otherwise.
  Result<ReleaseToBoot> Resolve(const std::string& service, const std::string& ref);
  std::string store_url() const;

 private:
  std::string UrlOf(const ReleasesSpec& spec) const;

  const std::string data_dir_;
  mutable std::mutex mu_;
  ReleasesSpec spec_;
  std::string opened_url_;  // the URL store_ was opened for ("" = none yet)
  OpenedStore store_;
};

}  // namespace shoal
