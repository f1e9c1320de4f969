// `shoal release publish` without the CLI: check the source, claim a
// version, pack it with its RELEASE, upload, move latest.
//
// Order, and what a failure leaves:
//   1. check the folder or tar (CheckFolder / CheckArchive)   nothing written
//   2. claim N                                                 a claim (a gap in versions)
//   3. pack <service>-<N>.tar in work_dir with RELEASE on top  the same
//   4. upload tar, .sha256, manifest                           an incomplete release N
//   5. move latest.txt forward to N
// Steps 1-3 refuse bad input before the store sees anything but the claim.
#pragma once

#include <cstdint>
#include <string>

#include "adapters/release/archive_check.h"
#include "adapters/release/release_file.h"
#include "adapters/release/release_layout.h"
#include "ports/blob_store.h"

namespace shoal {

struct PublishRequest {
  ReleaseLayout layout;
  std::string source;  // a folder, or a tar (plain or gzip)
  std::string build;
  std::string git_commit;
  std::string branch;
  std::int64_t now = 0;   // Unix seconds: TIMESTAMP, the RELEASE file's mtime
  std::string claimant;   // unique per publish: host, pid and a random number
  std::string work_dir;   // a private folder for the packed tar
  ArchiveLimits limits;
};

struct PublishResult {
  ReleaseManifest manifest;
  ArchiveSummary summary;
  bool latest_moved = false;  // false: a newer release was already latest
};

Result<PublishResult> PublishRelease(BlobStore* store, const PublishRequest& request);

}  // namespace shoal
