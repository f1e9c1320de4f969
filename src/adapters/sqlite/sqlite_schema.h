// The state store's schema and its migrations. The database remembers its
// version in `schema_version`; opening applies every newer migration in one
// transaction, so a daemon upgraded in place moves its data forward, and a
// file written by a newer shoal is refused rather than misread.
#pragma once

#include <sqlite3.h>

#include <string>

#include "core/status.h"

namespace shoal::sqlite {

// The version this build writes (the number of migrations).
int SchemaVersion();

// Brings the database at `path` (open as `db`) to SchemaVersion().
Status Migrate(sqlite3* db, const std::string& path);

}  // namespace shoal::sqlite
