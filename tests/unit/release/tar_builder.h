// Crafts tars for the checker's tests: any path, type, link target or
// declared size, whatever a well-behaved tar tool would refuse to write.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <utility>
#include <vector>

namespace shoal::testing {

struct TarEntry {
  TarEntry(std::string p, unsigned t = AE_IFREG, std::string d = "", std::string l = "", std::string h = "",
           unsigned m = 0644)
      : path(std::move(p)), type(t), data(std::move(d)), link(std::move(l)), hardlink(std::move(h)), perm(m) {}
  std::string path;
  unsigned type;         // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO, ...
  std::string data;      // a file's bytes
  std::string link;      // a symlink's target
  std::string hardlink;  // a hard link's target
  unsigned perm;
};

inline bool WriteTar(const std::string& out, const std::vector<TarEntry>& entries) {
  archive* w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  if (archive_write_open_filename(w, out.c_str()) != ARCHIVE_OK) return false;
  for (const TarEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    if (!t.link.empty()) archive_entry_set_symlink(e, t.link.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    if (t.type == AE_IFREG && t.hardlink.empty()) archive_entry_set_size(e, static_cast<la_int64_t>(t.data.size()));
    archive_write_header(w, e);
    if (!t.data.empty()) archive_write_data(w, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  const bool ok = archive_write_close(w) == ARCHIVE_OK;
  archive_write_free(w);
  return ok;
}

}  // namespace shoal::testing
