// Opens the blob store a release command names: --store, else SHOAL_STORE,
// else a directory under the data dir. Wires the real adapters (the local
// directory, or S3 through an AwsClient on the process's AWS environment).
#pragma once

#include <memory>
#include <string>

#include "adapters/aws/client.h"
#include "adapters/system/system_clock.h"
#include "ports/blob_store.h"

namespace shoal {

// "file://<absolute data_dir>/releases" unless SHOAL_STORE is set.
std::string DefaultStoreUrl(const std::string& data_dir);

struct OpenedStore {
  std::unique_ptr<SystemClock> clock;
  std::unique_ptr<aws::AwsClient> client;  // S3 only
  std::unique_ptr<BlobStore> store;
};

// `create`: a missing local directory is made (publish); else it is kNotFound.
Result<OpenedStore> OpenStore(const std::string& url, bool create);

}  // namespace shoal
