#include "adapters/blob/file_blob_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "adapters/blob/blob_key.h"
#include "adapters/blob/file_io.h"
#include "adapters/blob/sha256.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;

std::string Errno() { return std::strerror(errno); }

// Holds an exclusive flock(2) on a hidden lock file beside `path` while it lives.
class KeyLock {
 public:
  explicit KeyLock(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    const std::string lock = path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".lock";
    fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      status_ = Status::IoError("cannot open lock file " + lock + ": " + Errno());
      return;
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        status_ = Status::IoError("cannot lock " + lock + ": " + Errno());
        return;
      }
    }
  }
  ~KeyLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  KeyLock(const KeyLock&) = delete;
  KeyLock& operator=(const KeyLock&) = delete;
  const Status& status() const { return status_; }

 private:
  int fd_ = -1;
  Status status_;
};

// Links the finished temporary file to `path`; EEXIST is the conflict.
Status LinkNew(const std::string& temp, const std::string& path, const std::string& key) {
  const int linked = ::link(temp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return Status::Conflict("blob " + key + " already exists");
    return Status::IoError("cannot link " + path + ": " + std::strerror(link_errno));
  }
  return SyncParentDir(path);
}

}  // namespace

Result<std::unique_ptr<FileBlobStore>> FileBlobStore::Open(const std::string& root, bool create) {
  if (root.empty() || root.front() != '/') {
    return Status::InvalidArgument("file store root \"" + root + "\" is not an absolute path");
  }
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  std::error_code ec;
  if (!fs::is_directory(clean, ec)) {
    if (!create) return Status::NotFound("no release store at " + clean + " (nothing was published there yet)");
    fs::create_directories(clean, ec);
    if (ec) return Status::IoError("cannot create store directory " + clean + ": " + ec.message());
  }
  return std::unique_ptr<FileBlobStore>(new FileBlobStore(clean));
}

Result<std::string> FileBlobStore::PathFor(const std::string& key, bool make_dirs) const {
  SHOAL_RETURN_IF_ERROR(ValidateBlobKey(key));
  const std::string path = root_ + "/" + key;
  if (make_dirs) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec) return Status::IoError("cannot create the directory of " + path + ": " + ec.message());
  }
  return path;
}

Result<Blob> FileBlobStore::Get(const std::string& key) {
  auto path = PathFor(key, false);
  if (!path.ok()) return path.status();
  auto bytes = ReadSmallFile(*path, kMaxSmallBlobBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) return Status::NotFound("blob " + key + " not found in " + Url());
    return bytes.status();
  }
  Blob blob;
  blob.tag = Sha256Hex(*bytes);
  blob.bytes = std::move(*bytes);
  return blob;
}

Status FileBlobStore::Put(const std::string& key, const std::string& bytes) {
  if (bytes.size() > kMaxSmallBlobBytes) return Status::InvalidArgument("blob " + key + " is over 1 MiB");
  auto path = PathFor(key, true);
  if (!path.ok()) return path.status();
  return WriteFileAtomically(*path, bytes);
}

Status FileBlobStore::Create(const std::string& key, const std::string& bytes) {
  if (bytes.size() > kMaxSmallBlobBytes) return Status::InvalidArgument("blob " + key + " is over 1 MiB");
  auto path = PathFor(key, true);
  if (!path.ok()) return path.status();
  std::string temp;
  auto fd = OpenTempBeside(*path, &temp);
  if (!fd.ok()) return fd.status();
  Status status = WriteAll(*fd, bytes, temp);
  Status closed = SyncAndClose(*fd, temp);
  if (status.ok()) status = closed;
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return LinkNew(temp, *path, key);
}

Status FileBlobStore::Swap(const std::string& key, const std::string& bytes, const std::string& expected_tag) {
  auto path = PathFor(key, true);
  if (!path.ok()) return path.status();
  KeyLock lock(*path);
  SHOAL_RETURN_IF_ERROR(lock.status());
  auto current = Get(key);
  if (!current.ok()) {
    if (current.status().code() == StatusCode::kNotFound) return Status::Conflict("blob " + key + " is gone");
    return current.status();
  }
  if (current->tag != expected_tag) return Status::Conflict("blob " + key + " changed since it was read");
  return Put(key, bytes);
}

Status FileBlobStore::CreateFromFile(const std::string& key, const std::string& from) {
  auto path = PathFor(key, true);
  if (!path.ok()) return path.status();
  std::string temp;
  auto fd = OpenTempBeside(*path, &temp);
  if (!fd.ok()) return fd.status();
  Status status = CopyInto(from, *fd, kMaxBlobBytes, temp);
  Status closed = SyncAndClose(*fd, temp);
  if (status.ok()) status = closed;
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return LinkNew(temp, *path, key);
}

Status FileBlobStore::GetToFile(const std::string& key, const std::string& to) {
  auto path = PathFor(key, false);
  if (!path.ok()) return path.status();
  std::string temp;
  auto fd = OpenTempBeside(to, &temp);
  if (!fd.ok()) return fd.status();
  Status status = CopyInto(*path, *fd, kMaxBlobBytes, temp);
  Status closed = SyncAndClose(*fd, temp);
  if (status.ok()) status = closed;
  if (status.ok() && ::rename(temp.c_str(), to.c_str()) != 0) {
    status = Status::IoError("cannot rename " + temp + " to " + to + ": " + Errno());
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    if (status.code() == StatusCode::kNotFound) return Status::NotFound("blob " + key + " not found in " + Url());
  }
  return status;
}

Result<BlobInfo> FileBlobStore::Head(const std::string& key) {
  auto path = PathFor(key, false);
  if (!path.ok()) return path.status();
  struct stat st {};
  if (::stat(path->c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("blob " + key + " not found in " + Url());
    return Status::IoError("cannot stat " + *path + ": " + Errno());
  }
  if (!S_ISREG(st.st_mode)) return Status::NotFound("blob " + key + " not found in " + Url() + " (not a file)");
  return BlobInfo{key, static_cast<std::uint64_t>(st.st_size)};
}

Result<std::vector<BlobInfo>> FileBlobStore::List(const std::string& prefix) {
  SHOAL_RETURN_IF_ERROR(ValidateBlobPrefix(prefix));
  // Walk only the deepest directory the prefix names.
  const std::size_t slash = prefix.rfind('/');
  const std::string dir = root_ + (slash == std::string::npos ? "" : "/" + prefix.substr(0, slash));
  std::vector<BlobInfo> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.front() == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string key = it->path().string().substr(root_.size() + 1);
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (found.size() >= kMaxListedBlobs) {
      return Status::LimitExceeded("more than " + std::to_string(kMaxListedBlobs) + " blobs under " + prefix);
    }
    found.push_back(BlobInfo{key, static_cast<std::uint64_t>(it->file_size(ec))});
  }
  std::sort(found.begin(), found.end(), [](const BlobInfo& a, const BlobInfo& b) { return a.key < b.key; });
  return found;
}

}  // namespace shoal
