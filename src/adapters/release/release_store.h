// A service's releases in a BlobStore (layout in release_layout.h): version
// allocation, upload, the two pointers, promotion history, listing.
//
// Versions are allocated by creating "<service>-<N>.claim" exclusively
// (BlobStore::Create): the listing only suggests where to start, the
// create decides, and a publisher that loses N tries N+1. So concurrent
// publishers get distinct, consecutive versions and none overwrites
// another. A claim whose publish then failed stays as a gap (`list` shows
// it incomplete); nothing reuses it.
//
// latest.txt only moves forward: it is replaced with Swap (compare the tag
// read, then write), so a publisher that finishes late never moves it back.
// latest-stable.txt is whatever the last promote chose, and each promote
// is recorded under history/.
// Thread-safe as far as the BlobStore is; each call is independent.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "adapters/release/release_file.h"
#include "adapters/release/release_layout.h"
#include "ports/blob_store.h"

namespace shoal {

struct ReleaseEntry {
  std::uint64_t version = 0;
  bool complete = false;  // the manifest exists
  bool has_tar = false;
  std::optional<ReleaseManifest> manifest;  // read for the newest complete releases (List's limit)
  std::string problem;                       // why a manifest could not be read
};

struct Promotion {
  std::uint64_t number = 0;  // K of history/promote-K.txt
  std::uint64_t version = 0;
  std::uint64_t previous = 0;  // 0: none was stable before
  std::string timestamp;
  std::string tag;  // "" when no git tag was made
  std::string git_commit;
};

class ReleaseStore {
 public:
  ReleaseStore(BlobStore* store, ReleaseLayout layout) : store_(store), layout_(std::move(layout)) {}

  const ReleaseLayout& layout() const { return layout_; }
  BlobStore* blobs() const { return store_; }

  // The next free version, claimed for `claimant` (a unique string: a
  // retried create that already landed is recognised by it).
  Result<std::uint64_t> ClaimVersion(const std::string& claimant, const std::string& timestamp);
  // The tar (exclusively), its .sha256, then the manifest (exclusively).
  Status Upload(const std::string& tar_path, const ReleaseManifest& manifest);
  // Moves latest.txt to `release` unless it already names a newer one.
  // *moved says which happened.
  Status AdvanceLatest(const ReleaseFile& release, bool* moved);

  // "latest", "latest-stable" or a version number -> the version.
  Result<std::uint64_t> Resolve(const std::string& ref);
  // The manifest; kNotFound saying whether N was never claimed or is incomplete.
  Result<ReleaseManifest> Manifest(std::uint64_t version);
  // Downloads the tar to `local_path` and checks its size and SHA-256
  // against the manifest and the .sha256 file; a mismatch is kInternal,
  // says "corrupt" and names the key.
  Status Verify(const ReleaseManifest& manifest, const std::string& local_path);
  // latest-stable.txt := the release, then a history entry.
  Result<Promotion> MoveStable(const ReleaseManifest& manifest, const std::string& tag, const std::string& timestamp);

  // A pointer's release, or nothing when it was never written.
  Result<std::optional<ReleaseFile>> Pointer(const std::string& key);
  // Every claimed version, oldest first; manifests read for the `limit`
  // newest complete ones (0: all).
  Result<std::vector<ReleaseEntry>> List(std::size_t limit);
  // Promotions, newest first, at most `limit` (0: all).
  Result<std::vector<Promotion>> History(std::size_t limit);

 private:
  // Creates key(n) for the first n >= start that is free (or already holds
  // exactly `body`: an earlier attempt of ours that landed).
  Result<std::uint64_t> CreateNumbered(std::uint64_t start, const std::function<std::string(std::uint64_t)>& key,
                                       const std::string& body);

  BlobStore* store_;
  ReleaseLayout layout_;
};

}  // namespace shoal
