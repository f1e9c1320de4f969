// The blob store in a local directory: each key is a file under the root.
//
//   Put       write a hidden temporary file beside it, fsync, rename over
//   Create    the same temporary file, then link(2) to the key: link fails
//             with EEXIST when the key exists, atomically, so exactly one
//             concurrent creator wins (processes too, on one file system)
//   Swap      under an flock(2) on a hidden lock file beside the key:
//             compare the tag, then Put
// The tag is the SHA-256 of the bytes. Hidden names ('.'-prefixed, which
// keys cannot have) are the store's own and never listed. Directories are
// created as keys need them.
#pragma once

#include <memory>
#include <string>

#include "ports/blob_store.h"

namespace shoal {

class FileBlobStore final : public BlobStore {
 public:
  // `root` must be an absolute path; it is created when missing and
  // `create` is true, else a missing root is kNotFound.
  static Result<std::unique_ptr<FileBlobStore>> Open(const std::string& root, bool create);

  std::string Url() const override { return "file://" + root_; }
  Result<Blob> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& bytes) override;
  Status Create(const std::string& key, const std::string& bytes) override;
  Status Swap(const std::string& key, const std::string& bytes, const std::string& expected_tag) override;
  Status CreateFromFile(const std::string& key, const std::string& path) override;
  Status GetToFile(const std::string& key, const std::string& path) override;
  Result<BlobInfo> Head(const std::string& key) override;
  Result<std::vector<BlobInfo>> List(const std::string& prefix) override;

 private:
  explicit FileBlobStore(std::string root) : root_(std::move(root)) {}
  // The key's file path, its directory created; or why the key is refused.
  Result<std::string> PathFor(const std::string& key, bool make_dirs) const;

  std::string root_;
};

}  // namespace shoal
