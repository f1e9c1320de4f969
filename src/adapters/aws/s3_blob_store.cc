#include "adapters/aws/s3_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "adapters/blob/blob_key.h"
#include "adapters/blob/file_io.h"

namespace shoal::aws {
namespace {

bool Has(const Status& status, std::string_view text) { return status.message().find(text) != std::string::npos; }

// What a failed conditional write means for the caller.
Status ConditionalFailure(const Status& status, const std::string& key, const std::string& what) {
  if (Has(status, "ConditionalRequestConflict") || Has(status, "HTTP 409")) {
    return Status::Unavailable("another write to blob " + key + " was in flight; try again (" + status.message() + ")");
  }
  if (status.code() == StatusCode::kConflict || status.code() == StatusCode::kNotFound) {
    return Status::Conflict("blob " + key + " " + what);
  }
  return status;
}

Status NotFoundOr(const Status& status, const std::string& key, const std::string& url) {
  if (status.code() == StatusCode::kNotFound) return Status::NotFound("blob " + key + " not found in " + url);
  return status.WithContext("blob " + key);
}

// Reads exactly `size` bytes at `offset`.
Result<std::string> ReadAt(int fd, std::uint64_t offset, std::size_t size, const std::string& path) {
  std::string bytes(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, bytes.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("reading " + path + " failed: " + std::strerror(errno));
    if (n == 0) return Status::IoError(path + " shrank while it was uploaded");
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

std::string CompleteBody(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (std::size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
  }
  return xml + "</CompleteMultipartUpload>";
}

}  // namespace

Result<std::unique_ptr<S3BlobStore>> S3BlobStore::Create(AwsClient* client, std::string bucket, std::string prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) {
    SHOAL_RETURN_IF_ERROR(ValidateBlobKey(prefix).WithContext("s3 store prefix"));
    prefix += "/";
  }
  // The client checks the bucket name on every request; check it once here so a bad URL fails at once.
  auto probe = client->S3Request("GET", bucket, "");
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<S3BlobStore>(new S3BlobStore(client, std::move(bucket), std::move(prefix)));
}

std::string S3BlobStore::Url() const {
  std::string prefix = prefix_;
  if (!prefix.empty()) prefix.pop_back();
  return "s3://" + bucket_ + (prefix.empty() ? "" : "/" + prefix);
}

Result<std::string> S3BlobStore::ObjectKey(const std::string& key) const {
  SHOAL_RETURN_IF_ERROR(ValidateBlobKey(key));
  return prefix_ + key;
}

Result<Response> S3BlobStore::PutObject(const std::string& object, const std::string& bytes, Headers headers) {
  auto request = client_->S3Request("PUT", bucket_, object);
  if (!request.ok()) return request.status();
  request->headers = std::move(headers);
  request->body = bytes;
  return client_->Send(*request);
}

Result<Response> S3BlobStore::HeadObject(const std::string& object) {
  auto request = client_->S3Request("HEAD", bucket_, object);
  if (!request.ok()) return request.status();
  // libcurl holds a HEAD's Content-Length to the body cap although no body
  // comes; let it name any size the store accepts.
  request->max_response_bytes = kMaxBlobBytes + 1;
  return client_->Send(*request);
}

Result<Blob> S3BlobStore::Get(const std::string& key) {
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  auto request = client_->S3Request("GET", bucket_, *object);
  if (!request.ok()) return request.status();
  request->max_response_bytes = kMaxSmallBlobBytes;
  auto response = client_->Send(*request);
  if (!response.ok()) {
    if (Has(response.status(), "ResponseTooLarge")) return Status::InvalidArgument("blob " + key + " is over 1 MiB");
    return NotFoundOr(response.status(), key, Url());
  }
  return Blob{std::move(response->body), response->Header("ETag")};
}

Status S3BlobStore::Put(const std::string& key, const std::string& bytes) {
  if (bytes.size() > kMaxSmallBlobBytes) return Status::InvalidArgument("blob " + key + " is over 1 MiB");
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  auto response = PutObject(*object, bytes, {});
  return response.ok() ? Status::Ok() : response.status().WithContext("blob " + key);
}

Status S3BlobStore::Create(const std::string& key, const std::string& bytes) {
  if (bytes.size() > kMaxSmallBlobBytes) return Status::InvalidArgument("blob " + key + " is over 1 MiB");
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  auto response = PutObject(*object, bytes, {{"If-None-Match", "*"}});
  return response.ok() ? Status::Ok() : ConditionalFailure(response.status(), key, "already exists");
}

Status S3BlobStore::Swap(const std::string& key, const std::string& bytes, const std::string& expected_tag) {
  if (bytes.size() > kMaxSmallBlobBytes) return Status::InvalidArgument("blob " + key + " is over 1 MiB");
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  auto response = PutObject(*object, bytes, {{"If-Match", expected_tag}});
  return response.ok() ? Status::Ok() : ConditionalFailure(response.status(), key, "changed since it was read");
}

Status S3BlobStore::CreateFromFile(const std::string& key, const std::string& path) {
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = Status::IoError("cannot stat " + path + ": " + std::strerror(errno));
  } else if (static_cast<std::uint64_t>(st.st_size) > kMaxBlobBytes) {
    status = Status::InvalidArgument(path + " is " + std::to_string(st.st_size) +
                                     " bytes; the store takes at most 2 GiB per blob");
  } else if (static_cast<std::uint64_t>(st.st_size) <= kS3PartBytes) {
    auto bytes = ReadAt(fd, 0, static_cast<std::size_t>(st.st_size), path);
    if (!bytes.ok()) {
      status = bytes.status();
    } else if (auto put = PutObject(*object, *bytes, {{"If-None-Match", "*"}}); !put.ok()) {
      status = ConditionalFailure(put.status(), key, "already exists");
    }
  } else {
    status = CreateMultipart(*object, key, fd, static_cast<std::uint64_t>(st.st_size));
  }
  ::close(fd);
  return status;
}

Status S3BlobStore::CreateMultipart(const std::string& object, const std::string& key, int fd, std::uint64_t size) {
  auto start = client_->S3Request("PUT", bucket_, object);
  if (!start.ok()) return start.status();
  start->method = "POST";
  start->action = "CreateMultipartUpload";
  start->query = {{"uploads", ""}};
  auto started = client_->Send(*start);
  if (!started.ok()) return started.status().WithContext("blob " + key);
  auto doc = XmlDocument::Parse(started->body);
  const std::string upload_id = doc.ok() ? doc->Root().Text("UploadId") : "";
  if (upload_id.empty()) return Status::Internal("s3 CreateMultipartUpload for " + key + " returned no UploadId");

  Status status;
  std::vector<std::string> etags;
  for (std::uint64_t offset = 0; offset < size && status.ok(); offset += kS3PartBytes) {
    auto part = ReadAt(fd, offset, static_cast<std::size_t>(std::min<std::uint64_t>(kS3PartBytes, size - offset)), key);
    if (!part.ok()) {
      status = part.status();
      break;
    }
    auto request = client_->S3Request("PUT", bucket_, object);
    if (!request.ok()) return request.status();
    request->action = "UploadPart";
    request->query = {{"partNumber", std::to_string(etags.size() + 1)}, {"uploadId", upload_id}};
    request->body = std::move(*part);
    auto uploaded = client_->Send(*request);
    if (!uploaded.ok()) status = uploaded.status().WithContext("blob " + key);
    else etags.push_back(uploaded->Header("ETag"));
  }
  if (status.ok()) {
    auto finish = client_->S3Request("PUT", bucket_, object);
    if (!finish.ok()) return finish.status();
    finish->method = "POST";
    finish->action = "CompleteMultipartUpload";
    finish->query = {{"uploadId", upload_id}};
    finish->headers = {{"If-None-Match", "*"}, {"Content-Type", "application/xml"}};
    finish->body = CompleteBody(etags);
    auto finished = client_->Send(*finish);
    if (!finished.ok()) {
      status = ConditionalFailure(finished.status(), key, "already exists");
    } else if (auto answer = XmlDocument::Parse(finished->body); answer.ok() && answer->Root().Name() == "Error") {
      // S3 may answer 200 and put the error in the body.
      status = Status::Unavailable("s3 CompleteMultipartUpload for " + key + ": " + answer->Root().Text("Code") + ": " +
                                   answer->Root().Text("Message"));
    }
  }
  if (!status.ok()) {
    auto abort = client_->S3Request("DELETE", bucket_, object);
    if (abort.ok()) {
      abort->action = "AbortMultipartUpload";
      abort->query = {{"uploadId", upload_id}};
      // Best effort: a left-over upload costs storage, not correctness; a lifecycle rule cleans it.
      if (auto aborted = client_->Send(*abort); !aborted.ok()) {
        status = Status::FromCode(status.code(), status.message() + " (and aborting upload " + upload_id +
                                                     " failed: " + aborted.status().message() + ")");
      }
    }
  }
  return status;
}

Status S3BlobStore::GetToFile(const std::string& key, const std::string& path) {
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  auto head = HeadObject(*object);
  if (!head.ok()) return NotFoundOr(head.status(), key, Url());
  const std::string etag = head->Header("ETag");
  const std::uint64_t size = std::strtoull(head->Header("Content-Length").c_str(), nullptr, 10);
  if (size > kMaxBlobBytes) return Status::InvalidArgument("blob " + key + " is over 2 GiB");
  std::string temp;
  auto fd = OpenTempBeside(path, &temp);
  if (!fd.ok()) return fd.status();
  Status status;
  for (std::uint64_t offset = 0; offset < size && status.ok(); offset += kS3PartBytes) {
    const std::uint64_t last = std::min<std::uint64_t>(offset + kS3PartBytes, size) - 1;
    auto request = client_->S3Request("GET", bucket_, *object);
    if (!request.ok()) return request.status();
    request->headers = {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(last)}};
    if (!etag.empty()) request->headers.emplace_back("If-Match", etag);
    request->max_response_bytes = kS3PartBytes;
    auto got = client_->Send(*request);
    if (!got.ok()) {
      status = got.status().code() == StatusCode::kConflict
                   ? Status::Conflict("blob " + key + " changed while it was downloaded")
                   : NotFoundOr(got.status(), key, Url());
    } else if (got->body.size() != last - offset + 1) {
      status = Status::Unavailable("s3 answered " + std::to_string(got->body.size()) + " bytes for a range of " +
                                   std::to_string(last - offset + 1) + " of blob " + key);
    } else {
      status = WriteAll(*fd, got->body, temp);
    }
  }
  Status closed = SyncAndClose(*fd, temp);
  if (status.ok()) status = closed;
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = Status::IoError("cannot rename " + temp + " to " + path + ": " + std::strerror(errno));
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

Result<BlobInfo> S3BlobStore::Head(const std::string& key) {
  auto object = ObjectKey(key);
  if (!object.ok()) return object.status();
  auto head = HeadObject(*object);
  if (!head.ok()) return NotFoundOr(head.status(), key, Url());
  return BlobInfo{key, std::strtoull(head->Header("Content-Length").c_str(), nullptr, 10)};
}

Result<std::vector<BlobInfo>> S3BlobStore::List(const std::string& prefix) {
  SHOAL_RETURN_IF_ERROR(ValidateBlobPrefix(prefix));
  std::vector<BlobInfo> found;
  std::string token;
  while (true) {
    auto request = client_->S3Request("GET", bucket_, "");
    if (!request.ok()) return request.status();
    request->query = {{"list-type", "2"}, {"prefix", prefix_ + prefix}};
    if (!token.empty()) request->query.emplace_back("continuation-token", token);
    auto response = client_->Send(*request);
    if (!response.ok()) return response.status().WithContext("listing " + Url() + "/" + prefix);
    auto doc = XmlDocument::Parse(response->body);
    if (!doc.ok()) return Status::Internal("s3 ListObjectsV2: unreadable answer: " + doc.status().message());
    for (const XmlNode& item : doc->Root().All("Contents")) {
      const std::string object = item.Text("Key");
      if (object.compare(0, prefix_.size(), prefix_) != 0) continue;
      if (found.size() >= kMaxListedBlobs) {
        return Status::LimitExceeded("more than " + std::to_string(kMaxListedBlobs) + " blobs under " + prefix);
      }
      found.push_back(BlobInfo{object.substr(prefix_.size()), std::strtoull(item.Text("Size").c_str(), nullptr, 10)});
    }
    token = doc->Root().Text("NextContinuationToken");
    if (doc->Root().Text("IsTruncated") != "true" || token.empty()) break;
  }
  std::sort(found.begin(), found.end(), [](const BlobInfo& a, const BlobInfo& b) { return a.key < b.key; });
  return found;
}

}  // namespace shoal::aws
