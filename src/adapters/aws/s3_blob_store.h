// The blob store on S3, through the shared AwsClient (SigV4, the
// credentials chain, retries; path-style on a configured endpoint,
// virtual-hosted on AWS's own). Keys live under `prefix/` in `bucket`.
//
//   Create   PUT with If-None-Match: * (S3 answers 412 when the key exists)
//   Swap     PUT with If-Match: <ETag>
//   CreateFromFile  one conditional PUT up to 8 MiB; above, a multipart
//            upload in 8 MiB parts whose completion carries If-None-Match: *
//            (aborted on failure), so memory holds one part at a time
//   GetToFile  ranged GETs of 8 MiB pinned to the first ETag (If-Match), so
//            a blob replaced mid-way fails rather than splicing two
// S3's 409 ConditionalRequestConflict (another conditional write to the
// key in flight) is kUnavailable, not kConflict: the key may still be free.
#pragma once

#include <memory>
#include <string>

#include "adapters/aws/client.h"
#include "ports/blob_store.h"

namespace shoal::aws {

inline constexpr std::size_t kS3PartBytes = 8 << 20;

class S3BlobStore final : public BlobStore {
 public:
  // `client` must outlive the store. `prefix` may be empty.
  static Result<std::unique_ptr<S3BlobStore>> Create(AwsClient* client, std::string bucket, std::string prefix);

  std::string Url() const override;
  Result<Blob> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& bytes) override;
  Status Create(const std::string& key, const std::string& bytes) override;
  Status Swap(const std::string& key, const std::string& bytes, const std::string& expected_tag) override;
  Status CreateFromFile(const std::string& key, const std::string& path) override;
  Status GetToFile(const std::string& key, const std::string& path) override;
  Result<BlobInfo> Head(const std::string& key) override;
  Result<std::vector<BlobInfo>> List(const std::string& prefix) override;

 private:
  S3BlobStore(AwsClient* client, std::string bucket, std::string prefix)
      : client_(client), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}
  Result<std::string> ObjectKey(const std::string& key) const;
  Result<Response> HeadObject(const std::string& object);
  Result<Response> PutObject(const std::string& key, const std::string& bytes, Headers headers);
  Status CreateMultipart(const std::string& object, const std::string& key, int fd, std::uint64_t size);

  AwsClient* client_;
  std::string bucket_;
  std::string prefix_;  // "" or ending in '/'
};

}  // namespace shoal::aws
