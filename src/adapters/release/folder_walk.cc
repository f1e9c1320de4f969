#include "adapters/release/folder_walk.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace shoal {
namespace {

constexpr std::size_t kMaxLinkTarget = 4096;

Result<std::vector<std::string>> SortedNames(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::IoError("cannot read folder " + dir + ": " + std::strerror(errno));
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != ".." && name != ".git") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status Walk(const std::string& root, const std::string& rel, std::uint64_t max_entries, std::uint64_t* seen,
            const std::function<Status(const FolderEntry&)>& visit) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  auto names = SortedNames(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (++*seen > max_entries + 1) return Status::Ok();  // the visitor has refused by now
    FolderEntry entry;
    entry.path = rel.empty() ? name : rel + "/" + name;
    entry.absolute = root + "/" + entry.path;
    if (::lstat(entry.absolute.c_str(), &entry.st) != 0) {
      return Status::IoError("cannot stat " + entry.absolute + ": " + std::strerror(errno));
    }
    if (S_ISLNK(entry.st.st_mode)) {
      std::vector<char> target(kMaxLinkTarget + 1);
      const ssize_t n = ::readlink(entry.absolute.c_str(), target.data(), target.size());
      if (n < 0) return Status::IoError("cannot read link " + entry.absolute + ": " + std::strerror(errno));
      if (static_cast<std::size_t>(n) > kMaxLinkTarget) return Status::InvalidArgument(entry.path + ": link target too long");
      entry.link.assign(target.data(), static_cast<std::size_t>(n));
    }
    SHOAL_RETURN_IF_ERROR(visit(entry));
    if (S_ISDIR(entry.st.st_mode)) SHOAL_RETURN_IF_ERROR(Walk(root, entry.path, max_entries, seen, visit));
  }
  return Status::Ok();
}

}  // namespace

Status WalkFolder(const std::string& dir, std::uint64_t max_entries,
                  const std::function<Status(const FolderEntry&)>& visit) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::NotFound(dir + " is not a folder");
  }
  std::uint64_t seen = 0;
  return Walk(dir, "", max_entries, &seen, visit);
}

}  // namespace shoal
