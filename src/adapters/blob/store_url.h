// Where a blob store is, as `--store` and SHOAL_STORE name it:
//   file:///srv/releases         a local directory (absolute)
//   s3://bucket                   an S3 bucket (endpoint, region and
//   s3://bucket/some/prefix       credentials from the AWS environment)
#pragma once

#include <string>

#include "core/status.h"

namespace shoal {

struct StoreUrl {
  enum class Kind { kFile, kS3 };
  Kind kind = Kind::kFile;
  std::string path;    // kFile: absolute, no trailing '/'
  std::string bucket;  // kS3
  std::string prefix;  // kS3: "" or "a/b" (no leading or trailing '/')
};

Result<StoreUrl> ParseStoreUrl(const std::string& url);

}  // namespace shoal
