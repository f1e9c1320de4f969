// libarchive handles with owners, and the one way release code opens a tar
// for reading (tar formats only, plain or gzip), for archive_*.cc.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>

#include "adapters/release/archive_check.h"
#include "core/status.h"

namespace shoal {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;

Result<ArchiveReader> OpenTarForReading(const std::string& path);
// libarchive's message for the last failure on `a`.
std::string ArchiveError(archive* a);
// The kind of entry for ArchiveChecker.
EntryKind KindOf(archive_entry* entry);
// Where a link entry of `kind` points ("" for any other entry).
std::string LinkTargetOf(archive_entry* entry, EntryKind kind);

}  // namespace shoal
