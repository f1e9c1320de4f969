// The embedded log store: SQLite in WAL mode, in its own file (DATA/logs.db,
// apart from the state database so log volume never slows a state commit).
// One table of lines with a UNIQUE (source, offset) index (the dedup key), an
// FTS5 trigram index over the text for --grep, and the collector's cursors.
// Appends are one transaction per batch; searches use a second connection,
// so WAL lets them read while the collector writes.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ports/log_store.h"

namespace shoal {

class SqliteLogStore final : public LogStore {
 public:
  static Result<std::unique_ptr<SqliteLogStore>> Open(const std::string& path);
  ~SqliteLogStore() override;
  SqliteLogStore(const SqliteLogStore&) = delete;
  SqliteLogStore& operator=(const SqliteLogStore&) = delete;

  Result<std::int64_t> Append(const std::vector<LogRecord>& lines, const std::vector<LogCursor>& cursors) override;
  Result<std::optional<LogCursor>> Cursor(const std::string& source) override;
  Result<LogPage> Search(const LogQuery& query) override;
  Result<std::int64_t> Prune(const LogRetention& retention, std::int64_t now_us) override;

  // Bytes the database holds in used pages (what max_size bounds).
  Result<std::int64_t> UsedBytes();
  Result<std::int64_t> Count();

 private:
  struct Statements;
  SqliteLogStore(std::string path, sqlite3* writer, sqlite3* reader);
  // The first seq whose line was read at or after `time_us` (max + 1 if none).
  Result<std::int64_t> FirstSeqAtOrAfter(sqlite3* db, std::int64_t time_us);
  Result<std::int64_t> DeleteOldest(const std::string& where, std::int64_t bound, std::int64_t max_rows);

  std::string path_;
  std::mutex write_mu_;  // guards writer_ and its statements
  std::mutex read_mu_;   // guards reader_
  sqlite3* writer_;
  sqlite3* reader_;
  std::unique_ptr<Statements> stmts_;
};

}  // namespace shoal
