// The embedded log store: SQLite in WAL mode, in its own file (DATA/logs.db,
// apart from the state database so log volume never slows a state commit).
// One table of lines holding integer ids of their source and of their labels
// (group, instance, pool, release, stream; each set stored once), a UNIQUE
// (source id, offset) index (the dedup key), an FTS5 trigram index over the
// text for --grep, and the collector's cursors. Appends are one transaction
// per batch; the trigram index follows behind in batches of kIndexBatch lines
// (a search scans the lines past its mark), see docs/LOGS.md. Searches use a
// second connection, so WAL lets them read while the collector writes.
// A store of the first layout (labels as text on each line) is migrated on
// Open, in one transaction.
#pragma once

#include <sqlite3.h>

#include <map>
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
  // Indexes up to `max_lines` of the lines past the trigram index's mark in
  // one transaction (Append does this itself once kIndexBatch lines wait;
  // the daemon's log thread calls it when a pass found nothing new).
  // Returns how many lines were indexed.
  Result<std::int64_t> IndexPending(std::int64_t max_lines);
  // Lines stored but not yet in the trigram index.
  Result<std::int64_t> Unindexed();

  // Lines the trigram index lags behind at most (past this, Append indexes).
  static constexpr std::int64_t kIndexBatch = 50000;

 private:
  struct Statements;
  SqliteLogStore(std::string path, sqlite3* writer, sqlite3* reader);
  // The seq of the first line stored whose time is at or after `time_us`
  // (max + 1 if none is): every line before it is older; lines after it may
  // be older too (stored late).
  Result<std::int64_t> FirstSeqAtOrAfter(sqlite3* db, std::int64_t time_us);
  Result<std::int64_t> DeleteOldest(const std::string& where, std::int64_t bound, std::int64_t max_rows);
  // The id of `source` / of a line's labels, created if new (writer, in the
  // open transaction); cached until a transaction fails.
  Result<std::int64_t> SourceId(const std::string& source);
  Result<std::int64_t> LabelsId(const LogRecord& r);
  Result<std::int64_t> IndexPendingLocked(std::int64_t max_lines);

  std::string path_;
  std::mutex write_mu_;  // guards writer_ and its statements
  std::mutex read_mu_;   // guards reader_
  sqlite3* writer_;
  sqlite3* reader_;
  std::unique_ptr<Statements> stmts_;
  std::map<std::string, std::int64_t> source_ids_;  // writer side, under write_mu_
  std::map<std::string, std::int64_t> label_ids_;   // key: the five labels joined by '\0'
};

}  // namespace shoal
