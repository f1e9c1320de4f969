#include "adapters/release/archive_check.h"

#include <deque>
#include <vector>

#include "adapters/release/folder_walk.h"
#include "adapters/release/libarchive_util.h"

namespace shoal {
namespace {

constexpr int kMaxLinkHops = 40;  // as Linux's MAXSYMLINKS
constexpr std::uint64_t kTarBlock = 512;
// Per entry: its header, a pax extended header for long names, padding.
constexpr std::uint64_t kEntryOverhead = 3 * kTarBlock;
constexpr std::uint64_t kEndOfArchive = 20 * kTarBlock;

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts, std::size_t count) {
  std::string path;
  for (std::size_t i = 0; i < count; ++i) path += (i == 0 ? "" : "/") + parts[i];
  return path;
}

// Resolves the link at `link_path` as the kernel would inside the root,
// following the archive's other links; false when it leaves the root, is
// absolute somewhere on the way, or loops.
bool StaysInside(const std::map<std::string, std::string>& links, const std::string& link_path,
                 std::string* why) {
  std::vector<std::string> at = Split(link_path);
  at.pop_back();  // relative to the folder holding the link
  const std::string& first = links.at(link_path);
  if (!first.empty() && first.front() == '/') {
    *why = "is absolute";
    return false;
  }
  std::vector<std::string> initial = Split(first);
  std::deque<std::string> todo(initial.begin(), initial.end());
  int hops = 0;
  while (!todo.empty()) {
    const std::string part = todo.front();
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (at.empty()) {
        *why = "resolves outside the folder";
        return false;
      }
      at.pop_back();
      continue;
    }
    at.push_back(part);
    auto link = links.find(Join(at, at.size()));
    if (link == links.end()) continue;
    if (++hops > kMaxLinkHops) {
      *why = "loops (more than 40 links deep)";
      return false;
    }
    if (!link->second.empty() && link->second.front() == '/') {
      *why = "goes through " + link->first + ", which is absolute";
      return false;
    }
    at.pop_back();
    std::vector<std::string> more = Split(link->second);
    todo.insert(todo.begin(), more.begin(), more.end());
  }
  return true;
}

}  // namespace

Result<std::string> CleanEntryPath(const std::string& raw, std::size_t max_path_bytes) {
  if (raw.empty()) return Status::InvalidArgument("an entry has an empty name");
  if (raw.size() > max_path_bytes) {
    return Status::InvalidArgument("entry \"" + raw.substr(0, 80) + "...\" has a path over " +
                                   std::to_string(max_path_bytes) + " bytes");
  }
  if (raw.front() == '/') return Status::InvalidArgument("entry \"" + raw + "\" has an absolute path");
  std::string clean;
  for (const std::string& part : Split(raw)) {
    if (part == ".") continue;
    if (part == "..") return Status::InvalidArgument("entry \"" + raw + "\" has a \"..\" segment");
    if (part.find('\0') != std::string::npos) return Status::InvalidArgument("entry name holds a NUL byte");
    clean += (clean.empty() ? "" : "/") + part;
  }
  return clean;
}

Result<std::string> ArchiveChecker::Add(const std::string& path, EntryKind kind, std::uint64_t size,
                                        const std::string& link) {
  auto clean = CleanEntryPath(path, limits_.max_path_bytes);
  if (!clean.ok()) return clean.status();
  if (++summary_.entries > limits_.max_entries) {
    return Status::InvalidArgument("more than " + std::to_string(limits_.max_entries) + " entries");
  }
  switch (kind) {
    case EntryKind::kOther:
      return Status::InvalidArgument("entry \"" + path + "\" is a device file, FIFO or socket");
    case EntryKind::kSymlink:
      if (clean->empty()) return Status::InvalidArgument("the root entry \"" + path + "\" is a link");
      if (link.empty()) return Status::InvalidArgument("link \"" + path + "\" has an empty target");
      if (link.size() > limits_.max_path_bytes) return Status::InvalidArgument("link \"" + path + "\" has a target too long");
      symlinks_[*clean] = link;
      break;
    case EntryKind::kHardlink: {
      auto target = CleanEntryPath(link, limits_.max_path_bytes);
      if (!target.ok()) return target.status().WithContext("hard link \"" + path + "\"");
      if (target->empty()) return Status::InvalidArgument("hard link \"" + path + "\" points at the root");
      break;
    }
    case EntryKind::kFile:
    case EntryKind::kDirectory:
      break;
  }
  if (size > limits_.max_entry_bytes) {
    return Status::InvalidArgument("entry \"" + path + "\" is " + std::to_string(size) + " bytes, over the " +
                                   std::to_string(limits_.max_entry_bytes) + "-byte limit per entry");
  }
  summary_.content_bytes += size;
  summary_.tar_bytes += (size + kTarBlock - 1) / kTarBlock * kTarBlock + kEntryOverhead;
  if (summary_.tar_bytes + kEndOfArchive > limits_.max_archive_bytes) {
    return Status::InvalidArgument("the archive would be over " + std::to_string(limits_.max_archive_bytes) +
                                   " bytes (at entry \"" + path + "\")");
  }
  return clean;
}

Result<ArchiveSummary> ArchiveChecker::Finish() const {
  for (const auto& [path, target] : symlinks_) {
    std::string why;
    if (!StaysInside(symlinks_, path, &why)) {
      return Status::InvalidArgument("link \"" + path + "\" -> \"" + target + "\" " + why);
    }
  }
  ArchiveSummary summary = summary_;
  summary.tar_bytes += kEndOfArchive;
  return summary;
}

Result<ArchiveSummary> CheckArchive(const std::string& tar_path, const ArchiveLimits& limits) {
  auto reader = OpenTarForReading(tar_path);
  if (!reader.ok()) return reader.status();
  archive* a = reader->get();
  ArchiveChecker checker(limits);
  std::vector<char> buffer(64 << 10);
  while (true) {
    archive_entry* entry = nullptr;
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return Status::InvalidArgument(tar_path + " is not a readable tar: " + ArchiveError(a));
    const char* name = archive_entry_pathname(entry);
    const EntryKind kind = KindOf(entry);
    const std::string link = LinkTargetOf(entry, kind);
    const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
    auto added = checker.Add(name ? name : "", kind, size, link);
    if (!added.ok()) return added.status().WithContext(tar_path);
    // Read the data: a truncated or corrupt archive shows here.
    std::uint64_t read = 0;
    while (true) {
      const la_ssize_t n = archive_read_data(a, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) return Status::InvalidArgument(tar_path + ": entry \"" + *added + "\": " + ArchiveError(a));
      read += static_cast<std::uint64_t>(n);
      if (read > size) return Status::InvalidArgument(tar_path + ": entry \"" + *added + "\" holds more than its size");
    }
  }
  auto summary = checker.Finish();
  if (!summary.ok()) return summary.status().WithContext(tar_path);
  return summary;
}

Result<ArchiveSummary> CheckFolder(const std::string& dir, const ArchiveLimits& limits) {
  ArchiveChecker checker(limits);
  Status walked = WalkFolder(dir, limits.max_entries, [&](const FolderEntry& e) -> Status {
    EntryKind kind = S_ISREG(e.st.st_mode)   ? EntryKind::kFile
                     : S_ISDIR(e.st.st_mode) ? EntryKind::kDirectory
                     : S_ISLNK(e.st.st_mode) ? EntryKind::kSymlink
                                             : EntryKind::kOther;
    const std::uint64_t size = kind == EntryKind::kFile ? static_cast<std::uint64_t>(e.st.st_size) : 0;
    auto added = checker.Add(e.path, kind, size, e.link);
    return added.ok() ? Status::Ok() : added.status();
  });
  if (!walked.ok()) return walked.WithContext(dir);
  auto summary = checker.Finish();
  if (!summary.ok()) return summary.status().WithContext(dir);
  return summary;
}

Result<ArchiveReader> OpenTarForReading(const std::string& path) {
  ArchiveReader reader(archive_read_new());
  archive* a = reader.get();
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  // Without zlib libarchive would run gzip as a program; a warning is fine, a failure is not.
  if (archive_read_support_filter_gzip(a) < ARCHIVE_WARN) return Status::Internal("libarchive: " + ArchiveError(a));
  if (archive_read_open_filename(a, path.c_str(), 64 << 10) != ARCHIVE_OK) {
    return Status::InvalidArgument("cannot read " + path + " as a tar: " + ArchiveError(a));
  }
  return reader;
}

std::string ArchiveError(archive* a) {
  const char* text = archive_error_string(a);
  return text ? text : "unknown libarchive error";
}

EntryKind KindOf(archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) return EntryKind::kHardlink;
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG: return EntryKind::kFile;
    case AE_IFDIR: return EntryKind::kDirectory;
    case AE_IFLNK: return EntryKind::kSymlink;
    default: return EntryKind::kOther;
  }
}

std::string LinkTargetOf(archive_entry* entry, EntryKind kind) {
  const char* link = kind == EntryKind::kSymlink    ? archive_entry_symlink(entry)
                     : kind == EntryKind::kHardlink ? archive_entry_hardlink(entry)
                                                    : nullptr;
  return link != nullptr ? link : "";
}

}  // namespace shoal
