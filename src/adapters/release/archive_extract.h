// Unpacks a release tar into a new folder, for the bootstrap of an instance.
// The whole archive is checked first (CheckArchive); nothing is written if
// it is refused. Then each entry is extracted with libarchive's own guards
// on too (no absolute paths, no "..", never through a link), permissions
// kept without setuid, setgid or sticky bits, owners not changed.
#pragma once

#include <string>

#include "adapters/release/archive_check.h"
#include "core/status.h"

namespace shoal {

// `dest` must not exist (it is created, 0755); on failure it is removed.
Result<ArchiveSummary> ExtractArchive(const std::string& tar_path, const std::string& dest, const ArchiveLimits& limits);

}  // namespace shoal
