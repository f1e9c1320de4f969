// Writes a release tar (pax, readable by any tar): the entries of a folder
// or of a tar it is given, each checked again as it is copied (a folder
// that changed since CheckFolder is refused), plus files publish adds at
// the top (RELEASE), which replace entries of the same name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/release/archive_check.h"
#include "core/status.h"

namespace shoal {

struct ExtraFile {
  std::string name;  // at the top of the tar: "RELEASE"
  std::string bytes;
  std::int64_t mtime = 0;
};

// Packs `dir` (without `.git`) into a new tar at `out`, then `extras`.
Result<ArchiveSummary> PackFolder(const std::string& dir, const std::vector<ExtraFile>& extras,
                                  const std::string& out, const ArchiveLimits& limits);
// Copies the entries of the tar at `in` into a new tar at `out`, then `extras`.
Result<ArchiveSummary> RepackArchive(const std::string& in, const std::vector<ExtraFile>& extras,
                                     const std::string& out, const ArchiveLimits& limits);

}  // namespace shoal
