#include "adapters/blob/blob_key.h"

#include "ports/blob_store.h"

namespace shoal {
namespace {

bool KeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '/';
}

// Checks each '/'-separated segment; the last one may be empty only for a prefix.
Status CheckSegments(const std::string& text, bool prefix) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    const std::string segment = text.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    const bool last = slash == std::string::npos;
    if (segment.empty() && !(last && prefix)) {
      return Status::InvalidArgument("blob key \"" + text + "\" has an empty segment (a leading, trailing or double '/')");
    }
    if (!segment.empty() && segment.front() == '.') {
      return Status::InvalidArgument("blob key \"" + text + "\" has a segment starting with '.' (\"" + segment +
                                     "\"): hidden names and \"..\" are refused");
    }
    if (last) return Status::Ok();
    start = slash + 1;
  }
}

Status CheckText(const std::string& text, bool prefix) {
  if (text.size() > kMaxBlobKeyBytes) {
    return Status::InvalidArgument("blob key longer than " + std::to_string(kMaxBlobKeyBytes) + " bytes");
  }
  for (char c : text) {
    if (!KeyChar(c)) {
      return Status::InvalidArgument("blob key \"" + text + "\" has a character outside [A-Za-z0-9._/-]");
    }
  }
  return CheckSegments(text, prefix);
}

}  // namespace

Status ValidateBlobKey(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("blob key is empty");
  return CheckText(key, false);
}

Status ValidateBlobPrefix(const std::string& prefix) {
  if (prefix.empty()) return Status::Ok();
  return CheckText(prefix, true);
}

}  // namespace shoal
