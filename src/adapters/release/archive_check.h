// What a release archive may hold, checked before anything is written: by
// `shoal release publish` (a tar it is given, a folder it packs) and by the
// bootstrap that unpacks a release on an instance (ExtractArchive, in
// archive_extract.h, applies the same rules entry by entry).
//
// Refused, each with an error naming the entry:
//   - absolute paths and ".." segments (in names and hard-link targets);
//   - symbolic links that are absolute or resolve outside the root,
//     following the archive's own links (a -> . then b -> a/.. escapes);
//   - device files, FIFOs and sockets;
//   - more than max_entries entries, an entry over max_entry_bytes, a path
//     over max_path_bytes, and an archive whose tar would exceed
//     max_archive_bytes (the bound of ports/blob_store.h);
//   - a corrupt or truncated tar (libarchive's own error).
// Readable formats: tar (ustar, pax, GNU), plain or gzip-compressed.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace shoal {

struct ArchiveLimits {
  std::uint64_t max_archive_bytes = 2ULL << 30;  // the tar as stored
  std::uint64_t max_entry_bytes = 1ULL << 30;
  std::uint64_t max_entries = 100000;
  std::size_t max_path_bytes = 1024;
};

// What a check found: the number of entries and the tar's estimated size.
struct ArchiveSummary {
  std::uint64_t entries = 0;
  std::uint64_t content_bytes = 0;
  std::uint64_t tar_bytes = 0;  // estimate: headers, padding, end blocks
};

enum class EntryKind { kFile, kDirectory, kSymlink, kHardlink, kOther };

// An entry's path made relative and clean ("./a//b/" -> "a/b"), or why it
// is refused. "" is the root itself ("./").
Result<std::string> CleanEntryPath(const std::string& raw, std::size_t max_path_bytes);

// Adds entries one by one and checks the archive as a whole at the end.
class ArchiveChecker {
 public:
  explicit ArchiveChecker(ArchiveLimits limits) : limits_(limits) {}
  // `path` as stored; `link` is the symlink or hard-link target (else "").
  // Returns the cleaned path.
  Result<std::string> Add(const std::string& path, EntryKind kind, std::uint64_t size, const std::string& link);
  // The links, resolved against each other; then the summary.
  Result<ArchiveSummary> Finish() const;

 private:
  ArchiveLimits limits_;
  ArchiveSummary summary_;
  std::map<std::string, std::string> symlinks_;  // clean path -> target
};

// Reads the whole archive (data too, so truncation is found).
Result<ArchiveSummary> CheckArchive(const std::string& tar_path, const ArchiveLimits& limits);
// Walks the folder without following links; `.git` (file or folder, at any
// depth) is left out, as publish leaves it out of the tar.
Result<ArchiveSummary> CheckFolder(const std::string& dir, const ArchiveLimits& limits);

}  // namespace shoal
