#include "adapters/blob/store_url.h"

#include "adapters/blob/blob_key.h"

namespace shoal {

Result<StoreUrl> ParseStoreUrl(const std::string& url) {
  const std::string hint = " (expected file:///absolute/path or s3://bucket/prefix)";
  StoreUrl parsed;
  if (url.rfind("file://", 0) == 0) {
    parsed.path = url.substr(7);
    if (parsed.path.empty() || parsed.path.front() != '/') {
      return Status::InvalidArgument("store \"" + url + "\" does not name an absolute path" + hint);
    }
    if (parsed.path.find("/../") != std::string::npos || parsed.path.ends_with("/..")) {
      return Status::InvalidArgument("store \"" + url + "\" has a \"..\" in its path" + hint);
    }
    while (parsed.path.size() > 1 && parsed.path.back() == '/') parsed.path.pop_back();
    return parsed;
  }
  if (url.rfind("s3://", 0) == 0) {
    parsed.kind = StoreUrl::Kind::kS3;
    std::string rest = url.substr(5);
    const std::size_t slash = rest.find('/');
    parsed.bucket = rest.substr(0, slash);
    if (slash != std::string::npos) parsed.prefix = rest.substr(slash + 1);
    while (!parsed.prefix.empty() && parsed.prefix.back() == '/') parsed.prefix.pop_back();
    if (parsed.bucket.empty()) return Status::InvalidArgument("store \"" + url + "\" names no bucket" + hint);
    if (!parsed.prefix.empty()) SHOAL_RETURN_IF_ERROR(ValidateBlobKey(parsed.prefix).WithContext("store \"" + url + "\""));
    return parsed;
  }
  return Status::InvalidArgument("store \"" + url + "\" is neither file:// nor s3://" + hint);
}

}  // namespace shoal
