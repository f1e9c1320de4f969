#include "adapters/release/release_store.h"

#include <algorithm>
#include <map>
#include <chrono>
#include <thread>

#include "adapters/blob/sha256.h"

namespace shoal {
namespace {

constexpr std::uint64_t kMaxCreateAttempts = 10000;
constexpr int kMaxInFlightRetries = 5;
constexpr int kMaxSwapAttempts = 100;

std::string Where(const ReleaseLayout& layout) { return layout.service + "/" + layout.env; }

std::string Value(const KeyValues& values, std::string_view key) {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace

Result<std::uint64_t> ReleaseStore::CreateNumbered(std::uint64_t start,
                                                   const std::function<std::string(std::uint64_t)>& key,
                                                   const std::string& body) {
  std::uint64_t n = start;
  int in_flight = 0;
  for (std::uint64_t attempt = 0; attempt < kMaxCreateAttempts; ++attempt) {
    Status created = store_->Create(key(n), body);
    if (created.ok()) return n;
    if (created.code() == StatusCode::kUnavailable && ++in_flight <= kMaxInFlightRetries) {
      // Another create of the same key is in flight (S3's 409): the key may still be free.
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * in_flight));
      continue;
    }
    if (created.code() != StatusCode::kConflict) return created;
    auto existing = store_->Get(key(n));
    if (existing.ok() && existing->bytes == body) return n;  // our own earlier attempt landed
    ++n;
    in_flight = 0;
  }
  return Status::LimitExceeded("no free number after " + std::to_string(kMaxCreateAttempts) + " attempts from " +
                               key(start));
}

Result<std::uint64_t> ReleaseStore::ClaimVersion(const std::string& claimant, const std::string& timestamp) {
  auto listed = store_->List(layout_.Dir() + layout_.service + "-");
  if (!listed.ok()) return listed.status();
  std::uint64_t highest = 0;
  for (const BlobInfo& blob : *listed) {
    for (const char* suffix : {".claim", ".tar", ".release"}) {
      if (auto n = layout_.VersionOf(blob.key, suffix)) highest = std::max(highest, *n);
    }
  }
  const std::string body = FormatKeyValues({{"CLAIMANT", claimant}, {"TIMESTAMP", timestamp}});
  return CreateNumbered(highest + 1, [&](std::uint64_t n) { return layout_.Claim(n); }, body);
}

Status ReleaseStore::Upload(const std::string& tar_path, const ReleaseManifest& manifest) {
  const std::uint64_t n = manifest.release.version;
  Status tar = store_->CreateFromFile(layout_.Tar(n), tar_path);
  if (tar.code() == StatusCode::kConflict) {
    return Status::Conflict(layout_.Tar(n) + " already exists in " + store_->Url() + " although version " +
                            std::to_string(n) + " was claimed by this publish: something else writes there; "
                            "nothing was overwritten");
  }
  SHOAL_RETURN_IF_ERROR(tar);
  SHOAL_RETURN_IF_ERROR(store_->Create(layout_.TarSha256(n), manifest.sha256 + "  " + layout_.TarName(n) + "\n"));
  return store_->Create(layout_.Manifest(n), FormatManifest(manifest));
}

Status ReleaseStore::AdvanceLatest(const ReleaseFile& release, bool* moved) {
  *moved = false;
  const std::string text = FormatReleaseFile(release);
  for (int attempt = 0; attempt < kMaxSwapAttempts; ++attempt) {
    auto current = store_->Get(layout_.Latest());
    Status written;
    if (!current.ok()) {
      if (current.status().code() != StatusCode::kNotFound) return current.status();
      written = store_->Create(layout_.Latest(), text);
    } else {
      auto parsed = ParseReleaseFile(current->bytes);
      // An unreadable pointer is replaced: it serves nobody as it is.
      if (parsed.ok() && parsed->version >= release.version) return Status::Ok();
      written = store_->Swap(layout_.Latest(), text, current->tag);
    }
    if (written.ok()) {
      *moved = true;
      return Status::Ok();
    }
    if (written.code() != StatusCode::kConflict && written.code() != StatusCode::kUnavailable) return written;
  }
  return Status::Unavailable(layout_.Latest() + " kept changing; it was not moved to " + std::to_string(release.version));
}

Result<std::optional<ReleaseFile>> ReleaseStore::Pointer(const std::string& key) {
  auto blob = store_->Get(key);
  if (!blob.ok()) {
    if (blob.status().code() == StatusCode::kNotFound) return std::optional<ReleaseFile>();
    return blob.status();
  }
  auto parsed = ParseReleaseFile(blob->bytes);
  if (!parsed.ok()) return parsed.status().WithContext(store_->Url() + "/" + key + " is not a RELEASE file");
  return std::optional<ReleaseFile>(std::move(*parsed));
}

Result<std::uint64_t> ReleaseStore::Resolve(const std::string& ref) {
  if (ref == "latest" || ref == "latest-stable") {
    const bool stable = ref == "latest-stable";
    auto pointer = Pointer(stable ? layout_.LatestStable() : layout_.Latest());
    if (!pointer.ok()) return pointer.status();
    if (!pointer->has_value()) {
      return Status::NotFound(stable ? "no release of " + Where(layout_) + " was promoted yet (shoal release promote " +
                                           layout_.service + " latest)"
                                     : "no release of " + Where(layout_) + " was published yet in " + store_->Url());
    }
    return (*pointer)->version;
  }
  auto n = ParseVersionNumber(ref);
  if (!n || *n == 0) {
    return Status::InvalidArgument("release \"" + ref + "\" is not latest, latest-stable or a version number (1, 2, ...)");
  }
  return *n;
}

Result<ReleaseManifest> ReleaseStore::Manifest(std::uint64_t version) {
  auto blob = store_->Get(layout_.Manifest(version));
  if (!blob.ok()) {
    if (blob.status().code() != StatusCode::kNotFound) return blob.status();
    const std::string name = "release " + std::to_string(version) + " of " + Where(layout_);
    if (store_->Head(layout_.Claim(version)).ok()) {
      return Status::NotFound(name + " is incomplete: its publish failed or is still running");
    }
    return Status::NotFound(name + " does not exist in " + store_->Url() + " (shoal release list " + layout_.service +
                            " shows the versions)");
  }
  auto manifest = ParseManifest(blob->bytes);
  if (!manifest.ok()) return manifest.status().WithContext(store_->Url() + "/" + layout_.Manifest(version));
  if (manifest->release.version != version || manifest->release.module != layout_.service) {
    return Status::Internal(store_->Url() + "/" + layout_.Manifest(version) + " describes " + manifest->release.module +
                            " " + std::to_string(manifest->release.version) + ", not this release");
  }
  return manifest;
}

Status ReleaseStore::Verify(const ReleaseManifest& manifest, const std::string& local_path) {
  const std::uint64_t n = manifest.release.version;
  const std::string tar = store_->Url() + "/" + layout_.Tar(n);
  auto head = store_->Head(layout_.Tar(n));
  if (!head.ok()) return head.status().WithContext("release " + std::to_string(n) + " has no tar");
  if (head->size != manifest.size) {
    return Status::Internal(tar + " is corrupt: " + std::to_string(head->size) + " bytes, its manifest says " +
                            std::to_string(manifest.size));
  }
  auto sha_file = store_->Get(layout_.TarSha256(n));
  if (!sha_file.ok()) return sha_file.status().WithContext("release " + std::to_string(n));
  if (sha_file->bytes.substr(0, 64) != manifest.sha256) {
    return Status::Internal(tar + ".sha256 disagrees with the manifest's SHA256: the release is corrupt");
  }
  SHOAL_RETURN_IF_ERROR(store_->GetToFile(layout_.Tar(n), local_path));
  auto digest = Sha256OfFile(local_path);
  if (!digest.ok()) return digest.status();
  if (digest->sha256 != manifest.sha256 || digest->size != manifest.size) {
    return Status::Internal(tar + " is corrupt: its SHA-256 is " + digest->sha256 + ", the manifest says " +
                            manifest.sha256);
  }
  return Status::Ok();
}

Result<Promotion> ReleaseStore::MoveStable(const ReleaseManifest& manifest, const std::string& tag,
                                           const std::string& timestamp) {
  auto previous = Pointer(layout_.LatestStable());
  Promotion promotion;
  promotion.version = manifest.release.version;
  promotion.previous = previous.ok() && previous->has_value() ? (*previous)->version : 0;
  promotion.timestamp = timestamp;
  promotion.tag = tag;
  promotion.git_commit = manifest.release.git_commit;
  SHOAL_RETURN_IF_ERROR(store_->Put(layout_.LatestStable(), FormatReleaseFile(manifest.release)));

  auto listed = store_->List(layout_.HistoryDir());
  std::uint64_t highest = 0;
  if (listed.ok()) {
    for (const BlobInfo& blob : *listed) {
      if (auto k = layout_.PromotionNumber(blob.key)) highest = std::max(highest, *k);
    }
  }
  const std::string body = FormatKeyValues({{"VERSION", std::to_string(promotion.version)},
                                            {"PREVIOUS", std::to_string(promotion.previous)},
                                            {"TIMESTAMP", timestamp},
                                            {"TAG", tag},
                                            {"GIT_COMMIT", promotion.git_commit}});
  auto k = CreateNumbered(highest + 1, [&](std::uint64_t i) { return layout_.Promotion(i); }, body);
  if (!k.ok()) {
    return k.status().WithContext("latest-stable now names " + std::to_string(promotion.version) +
                                  " but its history entry was not written");
  }
  promotion.number = *k;
  return promotion;
}

Result<std::vector<ReleaseEntry>> ReleaseStore::List(std::size_t limit) {
  auto listed = store_->List(layout_.Dir() + layout_.service + "-");
  if (!listed.ok()) return listed.status();
  std::map<std::uint64_t, ReleaseEntry> by_version;
  for (const BlobInfo& blob : *listed) {
    if (auto n = layout_.VersionOf(blob.key, ".claim")) by_version[*n].version = *n;
    if (auto n = layout_.VersionOf(blob.key, ".tar")) by_version[*n].version = *n, by_version[*n].has_tar = true;
    if (auto n = layout_.VersionOf(blob.key, ".release")) by_version[*n].version = *n, by_version[*n].complete = true;
  }
  std::vector<ReleaseEntry> entries;
  for (auto& [n, entry] : by_version) entries.push_back(std::move(entry));
  std::size_t read = 0;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (!it->complete || (limit != 0 && read >= limit)) continue;
    ++read;
    auto manifest = Manifest(it->version);
    if (manifest.ok()) it->manifest = std::move(*manifest);
    else it->problem = manifest.status().message();
  }
  return entries;
}

Result<std::vector<Promotion>> ReleaseStore::History(std::size_t limit) {
  auto listed = store_->List(layout_.HistoryDir());
  if (!listed.ok()) return listed.status();
  std::vector<std::uint64_t> numbers;
  for (const BlobInfo& blob : *listed) {
    if (auto k = layout_.PromotionNumber(blob.key)) numbers.push_back(*k);
  }
  std::sort(numbers.rbegin(), numbers.rend());
  if (limit != 0 && numbers.size() > limit) numbers.resize(limit);
  std::vector<Promotion> promotions;
  for (std::uint64_t k : numbers) {
    auto blob = store_->Get(layout_.Promotion(k));
    if (!blob.ok()) return blob.status();
    auto values = ParseKeyValues(blob->bytes);
    if (!values.ok()) return values.status().WithContext(store_->Url() + "/" + layout_.Promotion(k));
    Promotion p;
    p.number = k;
    p.version = ParseVersionNumber(Value(*values, "VERSION")).value_or(0);
    p.previous = ParseVersionNumber(Value(*values, "PREVIOUS")).value_or(0);
    p.timestamp = Value(*values, "TIMESTAMP");
    p.tag = Value(*values, "TAG");
    p.git_commit = Value(*values, "GIT_COMMIT");
    promotions.push_back(std::move(p));
  }
  return promotions;
}

}  // namespace shoal
