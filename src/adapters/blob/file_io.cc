#include "adapters/blob/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace shoal {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string DirOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Result<int> OpenTempBeside(const std::string& path, std::string* temp) {
  const std::size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string pattern = DirOf(path) + "/." + name + ".tmp-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const int fd = ::mkostemp(buffer.data(), O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot create a temporary file in " + DirOf(path) + ": " + Errno());
  // mkostemp makes it 0600; a stored blob is readable as cp would leave it
  // (umask is not read: changing it to read it would race other threads).
  ::fchmod(fd, 0644);
  *temp = buffer.data();
  return fd;
}

Status WriteAll(int fd, const std::string& bytes, const std::string& what) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IoError("writing " + what + " failed: " + Errno());
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status CopyInto(const std::string& from, int to_fd, std::uint64_t max_bytes, const std::string& what) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return errno == ENOENT ? Status::NotFound(from + " does not exist") : Status::IoError("cannot open " + from + ": " + Errno());
  }
  std::vector<char> buffer(1 << 20);
  std::uint64_t total = 0;
  Status status;
  while (status.ok()) {
    const ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Status::IoError("reading " + from + " failed: " + Errno());
    if (n <= 0) break;
    total += static_cast<std::uint64_t>(n);
    if (total > max_bytes) {
      status = Status::InvalidArgument(from + " is larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
    status = WriteAll(to_fd, std::string(buffer.data(), static_cast<std::size_t>(n)), what);
  }
  ::close(in);
  return status;
}

Status SyncAndClose(int fd, const std::string& what) {
  const bool synced = ::fsync(fd) == 0;
  const std::string error = synced ? "" : Errno();
  const bool closed = ::close(fd) == 0;
  if (!synced) return Status::IoError("fsync of " + what + " failed: " + error);
  if (!closed) return Status::IoError("closing " + what + " failed: " + Errno());
  return Status::Ok();
}

Status SyncParentDir(const std::string& path) {
  const std::string dir = DirOf(path);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open directory " + dir + ": " + Errno());
  const bool synced = ::fsync(fd) == 0;
  const std::string error = synced ? "" : Errno();
  ::close(fd);
  return synced ? Status::Ok() : Status::IoError("fsync of directory " + dir + " failed: " + error);
}

Result<std::string> ReadSmallFile(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? Status::NotFound(path + " does not exist") : Status::IoError("cannot open " + path + ": " + Errno());
  }
  std::string bytes;
  std::vector<char> buffer(64 << 10);
  Status status;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Status::IoError("reading " + path + " failed: " + Errno());
    if (n <= 0) break;
    bytes.append(buffer.data(), static_cast<std::size_t>(n));
    if (bytes.size() > max_bytes) {
      status = Status::InvalidArgument(path + " is larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return bytes;
}

Status WriteFileAtomically(const std::string& path, const std::string& bytes) {
  std::string temp;
  auto fd = OpenTempBeside(path, &temp);
  if (!fd.ok()) return fd.status();
  Status status = WriteAll(*fd, bytes, temp);
  Status closed = SyncAndClose(*fd, temp);
  if (status.ok()) status = closed;
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = Status::IoError("cannot rename " + temp + " to " + path + ": " + Errno());
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return SyncParentDir(path);
}

}  // namespace shoal
