// Small RAII and error helpers over the SQLite C API, shared by the state
// store and its schema migrations.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace shoal::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// IoError "<path>: <what>: <sqlite3_errmsg>": the operator needs to know which
// file and which step failed, and SQLite's own words for why.
Status Error(sqlite3* db, const std::string& path, std::string_view what);

Result<Statement> Prepare(sqlite3* db, const std::string& path, std::string_view sql);

// Runs fixed SQL (DDL, pragmas) that takes no input; never for user data.
Status Exec(sqlite3* db, const std::string& path, const char* sql);

// The first column of the first row of fixed SQL, as text (for pragmas that
// answer, such as journal_mode).
Result<std::string> QueryText(sqlite3* db, const std::string& path, const char* sql);

// Steps a statement that returns no rows to completion.
Status StepDone(sqlite3* db, const std::string& path, sqlite3_stmt* stmt, std::string_view what);

// Resets a cached statement and drops its bindings when the scope ends, so
// the next use starts clean even after an early error return.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// A write transaction (BEGIN IMMEDIATE takes the write lock up front, so a
// busy database fails at Begin, not halfway). Rolls back unless committed.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  sqlite3* db_;
  const std::string& path_;
  bool open_ = false;
};

}  // namespace shoal::sqlite
