#include "adapters/sqlite/sqlite_util.h"

namespace shoal::sqlite {

Status Error(sqlite3* db, const std::string& path, std::string_view what) {
  const char* why = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return Status::IoError(path + ": " + std::string(what) + ": " + why);
}

Result<Statement> Prepare(sqlite3* db, const std::string& path, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &raw, nullptr);
  Statement stmt(raw);
  if (rc != SQLITE_OK) return Error(db, path, "preparing \"" + std::string(sql) + "\"");
  return stmt;
}

Status Exec(sqlite3* db, const std::string& path, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(db, path, std::string("running \"") + sql + "\"");
  }
  return Status::Ok();
}

Result<std::string> QueryText(sqlite3* db, const std::string& path, const char* sql) {
  Result<Statement> stmt = Prepare(db, path, sql);
  if (!stmt.ok()) return stmt.status();
  if (sqlite3_step(stmt->get()) != SQLITE_ROW) return Error(db, path, std::string("running \"") + sql + "\"");
  const unsigned char* text = sqlite3_column_text(stmt->get(), 0);
  return std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "");
}

Status StepDone(sqlite3* db, const std::string& path, sqlite3_stmt* stmt, std::string_view what) {
  if (sqlite3_step(stmt) != SQLITE_DONE) return Error(db, path, what);
  return Status::Ok();
}

Transaction::~Transaction() {
  // Best effort: a failed rollback leaves SQLite to roll back on the next
  // open, which is what a crash would do anyway.
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Begin() {
  SHOAL_RETURN_IF_ERROR(Exec(db_, path_, "BEGIN IMMEDIATE"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  SHOAL_RETURN_IF_ERROR(Exec(db_, path_, "COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace shoal::sqlite
