#include "adapters/release/archive_extract.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "adapters/release/libarchive_util.h"

namespace shoal {
namespace {

struct DiskFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

// Not SECURE_NOABSOLUTEPATHS: each entry is written at "<dest>/<its clean
// name>", absolute by construction, after names that were absolute were
// refused. dest itself is canonical, so SECURE_SYMLINKS only meets links
// the archive made.
constexpr int kExtractFlags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                              ARCHIVE_EXTRACT_SECURE_NODOTDOT;

Status ExtractInto(const std::string& tar_path, const std::string& dest, const ArchiveLimits& limits) {
  auto reader = OpenTarForReading(tar_path);
  if (!reader.ok()) return reader.status();
  archive* a = reader->get();
  std::unique_ptr<archive, DiskFree> disk(archive_write_disk_new());
  archive_write_disk_set_options(disk.get(), kExtractFlags);
  ArchiveChecker checker(limits);
  std::vector<char> buffer(1 << 20);
  while (true) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return Status::InvalidArgument(tar_path + ": " + ArchiveError(a));
    const EntryKind kind = KindOf(entry);
    const char* name = archive_entry_pathname(entry);
    const std::string link = LinkTargetOf(entry, kind);
    const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
    // The same rules again, entry by entry: the file may have changed since the check.
    auto clean = checker.Add(name ? name : "", kind, size, link);
    if (!clean.ok()) return clean.status();
    archive_entry_set_pathname(entry, (dest + "/" + *clean).c_str());
    if (kind == EntryKind::kHardlink) {
      auto target = CleanEntryPath(link, limits.max_path_bytes);
      if (!target.ok()) return target.status();
      archive_entry_set_hardlink(entry, (dest + "/" + *target).c_str());
    }
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 0777);
    if (archive_write_header(disk.get(), entry) < ARCHIVE_WARN) {
      return Status::IoError("extracting \"" + *clean + "\": " + ArchiveError(disk.get()));
    }
    std::uint64_t copied = 0;
    while (true) {
      const la_ssize_t n = archive_read_data(a, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) return Status::InvalidArgument(tar_path + ": entry \"" + *clean + "\": " + ArchiveError(a));
      copied += static_cast<std::uint64_t>(n);
      if (copied > size) return Status::InvalidArgument(tar_path + ": entry \"" + *clean + "\" holds more than its size");
      if (archive_write_data(disk.get(), buffer.data(), static_cast<std::size_t>(n)) < 0) {
        return Status::IoError("extracting \"" + *clean + "\": " + ArchiveError(disk.get()));
      }
    }
    if (archive_write_finish_entry(disk.get()) < ARCHIVE_WARN) {
      return Status::IoError("extracting \"" + *clean + "\": " + ArchiveError(disk.get()));
    }
  }
  auto summary = checker.Finish();
  if (!summary.ok()) return summary.status();
  if (archive_write_close(disk.get()) != ARCHIVE_OK) return Status::IoError("extracting: " + ArchiveError(disk.get()));
  return Status::Ok();
}

}  // namespace

Result<ArchiveSummary> ExtractArchive(const std::string& tar_path, const std::string& dest, const ArchiveLimits& limits) {
  auto summary = CheckArchive(tar_path, limits);
  if (!summary.ok()) return summary.status();
  if (dest.empty() || dest.front() != '/') return Status::InvalidArgument("extract into \"" + dest + "\": not an absolute path");
  if (::mkdir(dest.c_str(), 0755) != 0) {
    return errno == EEXIST ? Status::Conflict(dest + " already exists: a release unpacks into a new folder")
                           : Status::IoError("cannot create " + dest + ": " + std::strerror(errno));
  }
  std::error_code ec;
  const std::string canonical = std::filesystem::canonical(dest, ec).string();
  Status status = ec ? Status::IoError("cannot resolve " + dest + ": " + ec.message())
                     : ExtractInto(tar_path, canonical, limits);
  if (!status.ok()) {
    std::filesystem::remove_all(dest, ec);
    return status.WithContext("unpacking " + tar_path);
  }
  return summary;
}

}  // namespace shoal
