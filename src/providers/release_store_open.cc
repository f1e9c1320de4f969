#include "providers/release_store_open.h"

#include <cstdlib>
#include <filesystem>

#include "adapters/aws/s3_blob_store.h"
#include "adapters/blob/file_blob_store.h"
#include "adapters/blob/store_url.h"

namespace shoal {

std::string DefaultStoreUrl(const std::string& data_dir) {
  if (const char* env = std::getenv("SHOAL_STORE"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  return "file://" + std::filesystem::absolute(data_dir, ec).lexically_normal().string() + "/releases";
}

Result<OpenedStore> OpenStore(const std::string& url, bool create) {
  auto parsed = ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  OpenedStore opened;
  if (parsed->kind == StoreUrl::Kind::kFile) {
    auto store = FileBlobStore::Open(parsed->path, create);
    if (!store.ok()) return store.status();
    opened.store = std::move(*store);
    return opened;
  }
  opened.clock = std::make_unique<SystemClock>();
  aws::ClientOptions options;
  // One request carries up to an 8 MiB part: give it minutes, not the API calls' 30 s.
  options.http.total_timeout_ms = 300000;
  aws::ClientDeps deps;
  deps.clock = opened.clock.get();
  auto client = aws::AwsClient::Create(options, std::move(deps));
  if (!client.ok()) return client.status().WithContext("store " + url);
  opened.client = std::move(*client);
  auto store = aws::S3BlobStore::Create(opened.client.get(), parsed->bucket, parsed->prefix);
  if (!store.ok()) return store.status().WithContext("store " + url);
  opened.store = std::move(*store);
  return opened;
}

}  // namespace shoal
