// Where a service's releases live in a blob store: the seed's layout, plus
// the files that make it safe to share.
//
//   <service>/<env>/<service>-<N>.tar          the release (RELEASE at its top)
//   <service>/<env>/<service>-<N>.tar.sha256   "<hex>  <service>-<N>.tar" (sha256sum -c)
//   <service>/<env>/<service>-<N>.release      the manifest: RELEASE keys + ENV, BRANCH, SHA256, SIZE;
//                                              written last, so its presence means "complete"
//   <service>/<env>/<service>-<N>.claim        who allocated N (created exclusively)
//   <service>/<env>/latest.txt                 RELEASE of the newest complete release
//   <service>/<env>/latest-stable.txt          RELEASE of the promoted release
//   <service>/<env>/history/promote-<K>.txt    each promotion: VERSION, PREVIOUS, TIMESTAMP, TAG, GIT_COMMIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

struct ReleaseLayout {
  std::string service;
  std::string env = "prod";

  std::string Dir() const { return service + "/" + env + "/"; }
  std::string TarName(std::uint64_t n) const { return service + "-" + std::to_string(n) + ".tar"; }
  std::string Tar(std::uint64_t n) const { return Dir() + TarName(n); }
  std::string TarSha256(std::uint64_t n) const { return Tar(n) + ".sha256"; }
  std::string Manifest(std::uint64_t n) const { return Dir() + service + "-" + std::to_string(n) + ".release"; }
  std::string Claim(std::uint64_t n) const { return Dir() + service + "-" + std::to_string(n) + ".claim"; }
  std::string Latest() const { return Dir() + "latest.txt"; }
  std::string LatestStable() const { return Dir() + "latest-stable.txt"; }
  std::string HistoryDir() const { return Dir() + "history/"; }
  std::string Promotion(std::uint64_t k) const { return HistoryDir() + "promote-" + std::to_string(k) + ".txt"; }

  // The N of a key "<Dir()><service>-<N><suffix>" (suffix ".tar", ".claim",
  // ".release"), or of "<HistoryDir()>promote-<K>.txt" with PromotionNumber.
  std::optional<std::uint64_t> VersionOf(std::string_view key, std::string_view suffix) const;
  std::optional<std::uint64_t> PromotionNumber(std::string_view key) const;
};

// "123" -> 123; anything else (empty, signs, leading zeros, over 18 digits) -> nothing.
std::optional<std::uint64_t> ParseVersionNumber(std::string_view text);

}  // namespace shoal
