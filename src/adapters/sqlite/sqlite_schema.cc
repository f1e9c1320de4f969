#include "adapters/sqlite/sqlite_schema.h"

#include <array>

#include "adapters/sqlite/sqlite_util.h"

namespace shoal::sqlite {
namespace {

// Migration i takes the schema from version i to i + 1. Append only: a
// released migration never changes, or existing databases would diverge.
constexpr std::array<const char*, 3> kMigrations = {
    // 1: group states as JSON; the activity log, read per group in seq order.
    "CREATE TABLE group_state(name TEXT PRIMARY KEY, json TEXT NOT NULL, updated_at INTEGER);"
    "CREATE TABLE activity(seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER, grp TEXT, kind TEXT,"
    " cause TEXT, from_units INTEGER, to_units INTEGER);"
    "CREATE INDEX activity_grp_seq ON activity(grp, seq);",
    // 2: the configuration last run (one row).
    "CREATE TABLE last_config(id INTEGER PRIMARY KEY CHECK (id = 1), source TEXT NOT NULL,"
    " yaml TEXT NOT NULL, saved_at INTEGER NOT NULL);",
    // 3: per-minute metrics of each group (alarms and forecasts survive a
    // restart); activities pruned by age.
    "CREATE TABLE metric_minute(grp TEXT NOT NULL, minute INTEGER NOT NULL,"
    " cpu_sum REAL, cpu_min REAL, cpu_max REAL, cpu_count REAL,"
    " rpt_sum REAL, rpt_min REAL, rpt_max REAL, rpt_count REAL, PRIMARY KEY(grp, minute)) WITHOUT ROWID;"
    "CREATE INDEX activity_time ON activity(time);",
};

Result<int> ReadVersion(sqlite3* db, const std::string& path) {
  SHOAL_RETURN_IF_ERROR(
      Exec(db, path, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
  Result<Statement> stmt = Prepare(db, path, "SELECT max(version) FROM schema_version");
  if (!stmt.ok()) return stmt.status();
  if (sqlite3_step(stmt->get()) != SQLITE_ROW) return Error(db, path, "reading the schema version");
  return sqlite3_column_int(stmt->get(), 0);  // NULL (empty table) reads as 0
}

Status WriteVersion(sqlite3* db, const std::string& path, int version) {
  SHOAL_RETURN_IF_ERROR(Exec(db, path, "DELETE FROM schema_version"));
  Result<Statement> stmt = Prepare(db, path, "INSERT INTO schema_version(version) VALUES(?1)");
  if (!stmt.ok()) return stmt.status();
  sqlite3_bind_int(stmt->get(), 1, version);
  return StepDone(db, path, stmt->get(), "writing the schema version");
}

}  // namespace

int SchemaVersion() { return static_cast<int>(kMigrations.size()); }

Status Migrate(sqlite3* db, const std::string& path) {
  // One transaction for read-check-apply: two processes opening a new file
  // at once cannot both migrate it.
  Transaction tx(db, path);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  Result<int> version = ReadVersion(db, path);
  if (!version.ok()) return version.status();
  if (*version > SchemaVersion()) {
    return Status::IoError(path + ": schema version " + std::to_string(*version) +
                           " is newer than this shoal understands (" + std::to_string(SchemaVersion()) + ")");
  }
  if (*version == SchemaVersion()) return Status::Ok();  // nothing written; the rollback is a no-op
  for (int v = *version; v < SchemaVersion(); ++v) {
    SHOAL_RETURN_IF_ERROR(Exec(db, path, kMigrations[static_cast<std::size_t>(v)]));
  }
  SHOAL_RETURN_IF_ERROR(WriteVersion(db, path, SchemaVersion()));
  return tx.Commit();
}

}  // namespace shoal::sqlite
