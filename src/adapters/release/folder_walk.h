// Walks a folder for packing: depth first, names sorted (so a folder packs
// to the same tar twice), links never followed, `.git` left out.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "core/status.h"

namespace shoal {

struct FolderEntry {
  std::string path;      // relative to the folder, '/'-separated
  std::string absolute;  // for reading
  struct stat st {};     // lstat(2)
  std::string link;      // a symlink's target
};

// Calls `visit` for each entry, a directory before what it holds; stops at
// the first error `visit` returns. At most `max_entries` + 1 entries are
// visited, so a huge tree is refused without walking it all.
Status WalkFolder(const std::string& dir, std::uint64_t max_entries,
                  const std::function<Status(const FolderEntry&)>& visit);

}  // namespace shoal
