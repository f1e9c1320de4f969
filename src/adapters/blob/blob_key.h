// The key rules of ports/blob_store.h, shared by its backends: a key can
// never name something outside the store (no absolute path, no "..", no
// hidden segment, which the backends keep for their own temporary files).
#pragma once

#include <string>

#include "core/status.h"

namespace shoal {

Status ValidateBlobKey(const std::string& key);
// A list prefix: a key, or a key's beginning ("web/prod/", "web/prod/web-"); "" lists everything.
Status ValidateBlobPrefix(const std::string& prefix);

}  // namespace shoal
