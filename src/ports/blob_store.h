// A store of named byte blobs: the release artifacts (tars, checksums,
// manifests, pointer files). Two backends: a local directory
// (adapters/blob/file_blob_store.h) and S3 (adapters/aws/s3_blob_store.h).
//
// Keys are relative paths of [A-Za-z0-9._-] segments joined by '/', no
// segment starting with '.', at most kMaxBlobKeyBytes (ValidateBlobKey).
// Small blobs (pointers, manifests) move whole in memory, at most
// kMaxSmallBlobBytes; artifacts stream between a local file and the store,
// at most kMaxBlobBytes, holding at most one part (8 MiB) in memory.
//
// Guarantees every backend keeps:
//   - a reader sees a blob whole or not at all (writes are atomic);
//   - Create / CreateFromFile succeed for exactly one of several concurrent
//     writers of one key; the others get kConflict and the blob is not
//     changed;
//   - Swap replaces a blob only while it still has the tag the caller read.
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace shoal {

inline constexpr std::size_t kMaxBlobKeyBytes = 512;
inline constexpr std::size_t kMaxSmallBlobBytes = 1 << 20;         // 1 MiB
inline constexpr std::uint64_t kMaxBlobBytes = 2ULL << 30;          // 2 GiB
inline constexpr std::size_t kMaxListedBlobs = 100000;

struct Blob {
  std::string bytes;
  std::string tag;  // changes whenever the bytes do (S3's ETag; a SHA-256 on disk)
};

struct BlobInfo {
  std::string key;
  std::uint64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Where the store is, for messages: "file:///srv/releases", "s3://bucket/prefix".
  virtual std::string Url() const = 0;

  // kNotFound when absent; kInvalidArgument above kMaxSmallBlobBytes.
  virtual Result<Blob> Get(const std::string& key) = 0;
  // Creates or replaces the blob atomically.
  virtual Status Put(const std::string& key, const std::string& bytes) = 0;
  // Creates the blob only if no blob has the key: kConflict otherwise.
  virtual Status Create(const std::string& key, const std::string& bytes) = 0;
  // Replaces the blob only while its tag is `expected_tag`: kConflict when
  // it changed or is gone.
  virtual Status Swap(const std::string& key, const std::string& bytes, const std::string& expected_tag) = 0;

  // Create, from a local file of at most kMaxBlobBytes (kInvalidArgument above).
  virtual Status CreateFromFile(const std::string& key, const std::string& path) = 0;
  // Writes the blob to `path` (replaced atomically); kNotFound when absent.
  virtual Status GetToFile(const std::string& key, const std::string& path) = 0;

  // Size of the blob; kNotFound when absent.
  virtual Result<BlobInfo> Head(const std::string& key) = 0;
  // Every blob whose key starts with `prefix`, sorted by key; more than
  // kMaxListedBlobs is an error rather than a silently short list.
  virtual Result<std::vector<BlobInfo>> List(const std::string& prefix) = 0;
};

}  // namespace shoal
