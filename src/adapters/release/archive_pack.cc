#include "adapters/release/archive_pack.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "adapters/release/folder_walk.h"
#include "adapters/release/libarchive_util.h"

namespace shoal {
namespace {

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

Result<ArchiveWriter> OpenTarForWriting(const std::string& out) {
  ArchiveWriter writer(archive_write_new());
  archive* w = writer.get();
  archive_write_set_format_pax_restricted(w);
  if (archive_write_open_filename(w, out.c_str()) != ARCHIVE_OK) {
    return Status::IoError("cannot write " + out + ": " + ArchiveError(w));
  }
  return writer;
}

Status WriteHeader(archive* w, archive_entry* entry, const std::string& out) {
  if (archive_write_header(w, entry) < ARCHIVE_WARN) return Status::IoError("writing " + out + ": " + ArchiveError(w));
  return Status::Ok();
}

Status WriteData(archive* w, const char* data, std::size_t size, const std::string& out) {
  if (size > 0 && archive_write_data(w, data, size) < 0) return Status::IoError("writing " + out + ": " + ArchiveError(w));
  return Status::Ok();
}

bool IsExtraName(const std::vector<ExtraFile>& extras, const std::string& clean) {
  return std::any_of(extras.begin(), extras.end(), [&](const ExtraFile& x) { return x.name == clean; });
}

Status WriteExtras(archive* w, const std::vector<ExtraFile>& extras, ArchiveChecker* checker, const std::string& out) {
  for (const ExtraFile& extra : extras) {
    auto added = checker->Add(extra.name, EntryKind::kFile, extra.bytes.size(), "");
    if (!added.ok()) return added.status();
    Entry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), extra.name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(extra.bytes.size()));
    archive_entry_set_mtime(entry.get(), extra.mtime, 0);
    SHOAL_RETURN_IF_ERROR(WriteHeader(w, entry.get(), out));
    SHOAL_RETURN_IF_ERROR(WriteData(w, extra.bytes.data(), extra.bytes.size(), out));
  }
  return Status::Ok();
}

// Copies exactly `size` bytes of the file into the archive.
Status CopyFile(archive* w, const FolderEntry& e, std::uint64_t size, const std::string& out) {
  const int fd = ::open(e.absolute.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::IoError("cannot open " + e.absolute + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  std::uint64_t done = 0;
  Status status;
  while (status.ok() && done < size) {
    const ssize_t n = ::read(fd, buffer.data(), std::min<std::uint64_t>(buffer.size(), size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Status::IoError("reading " + e.absolute + ": " + std::strerror(errno));
    else if (n == 0) status = Status::Conflict(e.absolute + " shrank while it was packed; publish again");
    else status = WriteData(w, buffer.data(), static_cast<std::size_t>(n), out);
    if (n > 0) done += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return status;
}

Status Finish(ArchiveWriter writer, const std::string& out) {
  if (archive_write_close(writer.get()) != ARCHIVE_OK) return Status::IoError("finishing " + out + ": " + ArchiveError(writer.get()));
  return Status::Ok();
}

}  // namespace

Result<ArchiveSummary> PackFolder(const std::string& dir, const std::vector<ExtraFile>& extras,
                                  const std::string& out, const ArchiveLimits& limits) {
  auto writer = OpenTarForWriting(out);
  if (!writer.ok()) return writer.status();
  archive* w = writer->get();
  ArchiveChecker checker(limits);
  Status walked = WalkFolder(dir, limits.max_entries, [&](const FolderEntry& e) -> Status {
    const EntryKind kind = S_ISREG(e.st.st_mode)   ? EntryKind::kFile
                           : S_ISDIR(e.st.st_mode) ? EntryKind::kDirectory
                           : S_ISLNK(e.st.st_mode) ? EntryKind::kSymlink
                                                   : EntryKind::kOther;
    const std::uint64_t size = kind == EntryKind::kFile ? static_cast<std::uint64_t>(e.st.st_size) : 0;
    if (IsExtraName(extras, e.path) && kind == EntryKind::kFile) return Status::Ok();  // replaced by publish's own
    auto added = checker.Add(e.path, kind, size, e.link);
    if (!added.ok()) return added.status();
    Entry entry(archive_entry_new());
    archive_entry_copy_stat(entry.get(), &e.st);
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    // Owners mean nothing on the instance that unpacks it.
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (kind == EntryKind::kSymlink) archive_entry_set_symlink(entry.get(), e.link.c_str());
    SHOAL_RETURN_IF_ERROR(WriteHeader(w, entry.get(), out));
    return kind == EntryKind::kFile ? CopyFile(w, e, size, out) : Status::Ok();
  });
  if (!walked.ok()) return walked.WithContext(dir);
  SHOAL_RETURN_IF_ERROR(WriteExtras(w, extras, &checker, out));
  auto summary = checker.Finish();
  if (!summary.ok()) return summary.status().WithContext(dir);
  SHOAL_RETURN_IF_ERROR(Finish(std::move(*writer), out));
  return summary;
}

Result<ArchiveSummary> RepackArchive(const std::string& in, const std::vector<ExtraFile>& extras,
                                     const std::string& out, const ArchiveLimits& limits) {
  auto reader = OpenTarForReading(in);
  if (!reader.ok()) return reader.status();
  auto writer = OpenTarForWriting(out);
  if (!writer.ok()) return writer.status();
  archive* a = reader->get();
  archive* w = writer->get();
  ArchiveChecker checker(limits);
  std::vector<char> buffer(1 << 20);
  while (true) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return Status::InvalidArgument(in + " is not a readable tar: " + ArchiveError(a));
    const EntryKind kind = KindOf(entry);
    const char* name = archive_entry_pathname(entry);
    const std::string link = LinkTargetOf(entry, kind);
    auto clean = CleanEntryPath(name ? name : "", limits.max_path_bytes);
    if (clean.ok() && kind == EntryKind::kFile && IsExtraName(extras, *clean)) continue;  // replaced
    const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
    auto added = checker.Add(name ? name : "", kind, size, link);
    if (!added.ok()) return added.status().WithContext(in);
    SHOAL_RETURN_IF_ERROR(WriteHeader(w, entry, out));
    std::uint64_t copied = 0;
    while (true) {
      const la_ssize_t n = archive_read_data(a, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) return Status::InvalidArgument(in + ": entry \"" + *added + "\": " + ArchiveError(a));
      copied += static_cast<std::uint64_t>(n);
      if (copied > size) return Status::InvalidArgument(in + ": entry \"" + *added + "\" holds more than its size");
      SHOAL_RETURN_IF_ERROR(WriteData(w, buffer.data(), static_cast<std::size_t>(n), out));
    }
  }
  SHOAL_RETURN_IF_ERROR(WriteExtras(w, extras, &checker, out));
  auto summary = checker.Finish();
  if (!summary.ok()) return summary.status().WithContext(in);
  SHOAL_RETURN_IF_ERROR(Finish(std::move(*writer), out));
  return summary;
}

}  // namespace shoal
