// Small POSIX file helpers for the file blob store and the release tools:
// each failure says which file and why (errno).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace shoal {

// A new hidden file beside `path` (".<name>.tmp-XXXXXX"), its name in *temp.
Result<int> OpenTempBeside(const std::string& path, std::string* temp);
// Writes all of `bytes` to `fd`.
Status WriteAll(int fd, const std::string& bytes, const std::string& what);
// Copies `from` into the open descriptor `to_fd`, refusing more than `max_bytes`.
Status CopyInto(const std::string& from, int to_fd, std::uint64_t max_bytes, const std::string& what);
// fsync, close; the descriptor is closed whatever happens.
Status SyncAndClose(int fd, const std::string& what);
// fsync of the directory holding `path`, so a rename or link in it is durable.
Status SyncParentDir(const std::string& path);
// Reads a whole file of at most `max_bytes`: kNotFound when absent.
Result<std::string> ReadSmallFile(const std::string& path, std::size_t max_bytes);
// Writes `bytes` to `path` atomically (temporary beside it, fsync, rename).
Status WriteFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace shoal
