#include "adapters/sqlite/sqlite_log_store.h"

#include <algorithm>
#include <cmath>

#include "adapters/sqlite/sqlite_util.h"

namespace shoal {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Retention deletes in chunks so the collector's next batch never waits long.
constexpr std::int64_t kPruneChunk = 20000;
// The shortest text the trigram index can look up; shorter --grep scans.
constexpr std::size_t kMinIndexedGrep = 3;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS logs(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  grp TEXT NOT NULL,
  instance TEXT NOT NULL,
  pool TEXT NOT NULL,
  release TEXT NOT NULL,
  stream TEXT NOT NULL,
  source TEXT NOT NULL,
  off INTEGER NOT NULL,
  msg TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS logs_key ON logs(source, off);
CREATE INDEX IF NOT EXISTS logs_ts ON logs(ts);
CREATE INDEX IF NOT EXISTS logs_grp ON logs(grp);
CREATE INDEX IF NOT EXISTS logs_instance ON logs(instance);
CREATE VIRTUAL TABLE IF NOT EXISTS logs_fts USING fts5(msg, content='logs', content_rowid='seq', tokenize='trigram');
CREATE TABLE IF NOT EXISTS log_cursors(
  source TEXT PRIMARY KEY,
  file_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  base INTEGER NOT NULL);
)sql";

Result<sqlite3*> OpenConnection(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status s = sqlite::Error(db, path, "opening");
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return db;
}

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t != nullptr ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(s, col)))
                      : std::string();
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// A GLOB pattern matching `text` anywhere: '*', '?' and '[' stand for themselves.
std::string GlobContaining(const std::string& text) {
  std::string out = "*";
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[') {
      out += '[';
      out += c;
      out += ']';
    } else {
      out += c;
    }
  }
  out += '*';
  return out;
}

Result<std::int64_t> QueryInt(sqlite3* db, const std::string& path, const char* sql) {
  Result<sqlite::Statement> s = sqlite::Prepare(db, path, sql);
  if (!s.ok()) return s.status();
  if (sqlite3_step(s->get()) != SQLITE_ROW) return sqlite::Error(db, path, sql);
  return static_cast<std::int64_t>(sqlite3_column_int64(s->get(), 0));
}

}  // namespace

struct SqliteLogStore::Statements {
  sqlite::Statement insert;
  sqlite::Statement insert_fts;
  sqlite::Statement put_cursor;
  sqlite::Statement get_cursor;
};

SqliteLogStore::SqliteLogStore(std::string path, sqlite3* writer, sqlite3* reader)
    : path_(std::move(path)), writer_(writer), reader_(reader), stmts_(std::make_unique<Statements>()) {}

SqliteLogStore::~SqliteLogStore() {
  stmts_.reset();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

Result<std::unique_ptr<SqliteLogStore>> SqliteLogStore::Open(const std::string& path) {
  Result<sqlite3*> writer = OpenConnection(path, true);
  if (!writer.ok()) return writer.status();
  sqlite3* w = *writer;
  auto fail = [&](Status s) {
    sqlite3_close(w);
    return s;
  };
  // Before the first table exists: lets Prune give freed pages back to the
  // file system (PRAGMA incremental_vacuum), so max_size bounds the file.
  if (Status s = sqlite::Exec(w, path, "PRAGMA auto_vacuum=INCREMENTAL"); !s.ok()) return fail(s);
  Result<std::string> mode = sqlite::QueryText(w, path, "PRAGMA journal_mode=WAL");
  if (!mode.ok()) return fail(mode.status());
  if (*mode != "wal") return fail(Status::IoError(path + ": cannot use write-ahead logging (journal_mode is '" + *mode + "')"));
  // NORMAL in WAL mode: a power loss may lose the last batches, never
  // corrupt; those lines are read again from the files (their cursors were
  // in the same transactions).
  if (Status s = sqlite::Exec(w, path, "PRAGMA synchronous=NORMAL"); !s.ok()) return fail(s);
  if (Status s = sqlite::Exec(w, path, "PRAGMA journal_size_limit=67108864"); !s.ok()) return fail(s);
  if (Status s = sqlite::Exec(w, path, kSchema); !s.ok()) return fail(s);
  Result<sqlite3*> reader = OpenConnection(path, false);
  if (!reader.ok()) return fail(reader.status());
  std::unique_ptr<SqliteLogStore> store(new SqliteLogStore(path, w, *reader));
  Statements& st = *store->stmts_;
  struct {
    sqlite::Statement* out;
    const char* sql;
  } prepared[] = {
      {&st.insert,
       "INSERT OR IGNORE INTO logs(ts, grp, instance, pool, release, stream, source, off, msg) "
       "VALUES(?,?,?,?,?,?,?,?,?)"},
      {&st.insert_fts, "INSERT INTO logs_fts(rowid, msg) VALUES(?,?)"},
      {&st.put_cursor,
       "INSERT INTO log_cursors(source, file_id, position, base) VALUES(?,?,?,?) "
       "ON CONFLICT(source) DO UPDATE SET file_id=excluded.file_id, position=excluded.position, base=excluded.base"},
      {&st.get_cursor, "SELECT file_id, position, base FROM log_cursors WHERE source = ?"},
  };
  for (auto& p : prepared) {
    Result<sqlite::Statement> s = sqlite::Prepare(w, path, p.sql);
    if (!s.ok()) return s.status();
    *p.out = std::move(*s);
  }
  return store;
}

Result<std::int64_t> SqliteLogStore::Append(const std::vector<LogRecord>& lines, const std::vector<LogCursor>& cursors) {
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite::Transaction tx(writer_, path_);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  std::int64_t added = 0;
  sqlite3_stmt* ins = stmts_->insert.get();
  sqlite3_stmt* fts = stmts_->insert_fts.get();
  for (const LogRecord& r : lines) {
    {
      sqlite::ResetOnExit reset(ins);
      sqlite3_bind_int64(ins, 1, r.time_us);
      BindText(ins, 2, r.group);
      BindText(ins, 3, r.instance);
      BindText(ins, 4, r.pool);
      BindText(ins, 5, r.release);
      BindText(ins, 6, r.stream);
      BindText(ins, 7, r.source);
      sqlite3_bind_int64(ins, 8, r.offset);
      BindText(ins, 9, r.text);
      SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, ins, "storing a log line"));
    }
    if (sqlite3_changes(writer_) == 0) continue;  // its (source, offset) is stored already
    ++added;
    sqlite::ResetOnExit reset(fts);
    sqlite3_bind_int64(fts, 1, sqlite3_last_insert_rowid(writer_));
    BindText(fts, 2, r.text);
    SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, fts, "indexing a log line"));
  }
  sqlite3_stmt* cur = stmts_->put_cursor.get();
  for (const LogCursor& c : cursors) {
    sqlite::ResetOnExit reset(cur);
    BindText(cur, 1, c.source);
    BindText(cur, 2, c.file_id);
    sqlite3_bind_int64(cur, 3, c.position);
    sqlite3_bind_int64(cur, 4, c.base);
    SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, cur, "storing a log cursor"));
  }
  SHOAL_RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<std::optional<LogCursor>> SqliteLogStore::Cursor(const std::string& source) {
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite3_stmt* s = stmts_->get_cursor.get();
  sqlite::ResetOnExit reset(s);
  BindText(s, 1, source);
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<LogCursor>();
  if (rc != SQLITE_ROW) return sqlite::Error(writer_, path_, "reading a log cursor");
  LogCursor c;
  c.source = source;
  c.file_id = Text(s, 0);
  c.position = sqlite3_column_int64(s, 1);
  c.base = sqlite3_column_int64(s, 2);
  return std::optional<LogCursor>(std::move(c));
}

Result<LogPage> SqliteLogStore::Search(const LogQuery& q) {
  const bool indexed = q.grep.size() >= kMinIndexedGrep;
  std::string sql = "SELECT l.seq, l.ts, l.grp, l.instance, l.pool, l.release, l.stream, l.source, l.off, l.msg FROM ";
  sql += indexed ? "logs_fts f JOIN logs l ON l.seq = f.rowid WHERE f.msg GLOB ?1" : "logs l WHERE 1";
  if (!q.grep.empty()) sql += " AND instr(l.msg, ?2) > 0";
  if (!q.target.empty()) sql += " AND (l.grp = ?3 OR l.instance = ?3)";
  if (q.since_us > 0) sql += " AND l.ts >= ?4";
  const std::string order = indexed ? "f.rowid" : "l.seq";
  if (q.after_seq > 0) {
    sql += " AND l.seq > ?5 ORDER BY " + order + " ASC LIMIT ?6";
  } else {
    sql += " ORDER BY " + order + " DESC LIMIT ?6";
  }
  std::lock_guard<std::mutex> lock(read_mu_);
  // One read transaction: the lines and the cursor come from one snapshot.
  SHOAL_RETURN_IF_ERROR(sqlite::Exec(reader_, path_, "BEGIN"));
  struct End {
    sqlite3* db;
    ~End() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end{reader_};
  Result<sqlite::Statement> stmt = sqlite::Prepare(reader_, path_, sql);
  if (!stmt.ok()) return stmt.status();
  sqlite3_stmt* s = stmt->get();
  const std::string glob = GlobContaining(q.grep);
  if (indexed) BindText(s, 1, glob);
  if (!q.grep.empty()) BindText(s, 2, q.grep);
  if (!q.target.empty()) BindText(s, 3, q.target);
  if (q.since_us > 0) sqlite3_bind_int64(s, 4, q.since_us);
  if (q.after_seq > 0) sqlite3_bind_int64(s, 5, q.after_seq);
  const int limit = std::max(1, q.limit);
  sqlite3_bind_int(s, 6, limit);
  LogPage page;
  int rc = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    StoredLog line;
    line.seq = sqlite3_column_int64(s, 0);
    LogRecord& r = line.record;
    r.time_us = sqlite3_column_int64(s, 1);
    r.group = Text(s, 2);
    r.instance = Text(s, 3);
    r.pool = Text(s, 4);
    r.release = Text(s, 5);
    r.stream = Text(s, 6);
    r.source = Text(s, 7);
    r.offset = sqlite3_column_int64(s, 8);
    r.text = Text(s, 9);
    page.lines.push_back(std::move(line));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(reader_, path_, "searching the logs");
  if (q.after_seq <= 0) std::reverse(page.lines.begin(), page.lines.end());
  // Following from a full page goes on from its last line; otherwise from
  // the newest line stored, so a follower skips what cannot match.
  if (q.after_seq > 0 && static_cast<int>(page.lines.size()) == limit) {
    page.cursor = page.lines.back().seq;
  } else {
    Result<std::int64_t> newest = QueryInt(reader_, path_, "SELECT coalesce(max(seq), 0) FROM logs");
    if (!newest.ok()) return newest.status();
    page.cursor = std::max({q.after_seq, *newest, page.lines.empty() ? 0 : page.lines.back().seq});
  }
  return page;
}

Result<std::int64_t> SqliteLogStore::DeleteOldest(const std::string& where, std::int64_t bound, std::int64_t max_rows) {
  // The chunk's last seq, then the index rows (FTS5's external-content
  // delete needs the old text) and the lines, in one transaction.
  sqlite::Transaction tx(writer_, path_);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  const std::string upto_sql = "SELECT max(seq) FROM (SELECT seq FROM logs WHERE " + where + " ORDER BY seq LIMIT ?2)";
  Result<sqlite::Statement> upto = sqlite::Prepare(writer_, path_, upto_sql);
  if (!upto.ok()) return upto.status();
  if (where.find("?1") != std::string::npos) sqlite3_bind_int64(upto->get(), 1, bound);
  sqlite3_bind_int64(upto->get(), 2, max_rows);
  if (sqlite3_step(upto->get()) != SQLITE_ROW) return sqlite::Error(writer_, path_, "finding old log lines");
  if (sqlite3_column_type(upto->get(), 0) == SQLITE_NULL) return std::int64_t{0};
  const std::int64_t last = sqlite3_column_int64(upto->get(), 0);
  for (const char* sql : {"INSERT INTO logs_fts(logs_fts, rowid, msg) SELECT 'delete', seq, msg FROM logs WHERE seq <= ?1",
                          "DELETE FROM logs WHERE seq <= ?1"}) {
    Result<sqlite::Statement> s = sqlite::Prepare(writer_, path_, sql);
    if (!s.ok()) return s.status();
    sqlite3_bind_int64(s->get(), 1, last);
    SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, s->get(), "pruning log lines"));
  }
  const std::int64_t gone = sqlite3_changes(writer_);
  SHOAL_RETURN_IF_ERROR(tx.Commit());
  return gone;
}

Result<std::int64_t> SqliteLogStore::Prune(const LogRetention& retention, std::int64_t now_us) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::int64_t total = 0;
  if (retention.max_age_us > 0) {
    // Lines are stored in time order (the collector stamps them as it reads),
    // so the oldest by seq are the oldest by time.
    for (;;) {
      Result<std::int64_t> gone = DeleteOldest("ts < ?1", now_us - retention.max_age_us, kPruneChunk);
      if (!gone.ok()) return gone.status();
      total += *gone;
      if (*gone < kPruneChunk) break;
    }
  }
  if (retention.max_bytes > 0) {
    for (int round = 0; round < 1000; ++round) {
      Result<std::int64_t> used = QueryInt(writer_, path_,
                                           "SELECT (SELECT page_count FROM pragma_page_count()) - "
                                           "(SELECT freelist_count FROM pragma_freelist_count())");
      Result<std::int64_t> page = QueryInt(writer_, path_, "SELECT page_size FROM pragma_page_size()");
      Result<std::int64_t> rows = QueryInt(writer_, path_, "SELECT count(*) FROM logs");
      if (!used.ok() || !page.ok() || !rows.ok()) return !used.ok() ? used.status() : !page.ok() ? page.status() : rows.status();
      const double bytes = static_cast<double>(*used) * static_cast<double>(*page);
      if (bytes <= static_cast<double>(retention.max_bytes) || *rows == 0) break;
      // Down to 90% of the limit, so a full store is not pruned every pass.
      const double share = (bytes - 0.9 * static_cast<double>(retention.max_bytes)) / bytes;
      const std::int64_t excess = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(share * static_cast<double>(*rows))));
      Result<std::int64_t> gone = DeleteOldest("1", 0, std::min(excess, kPruneChunk));
      if (!gone.ok()) return gone.status();
      total += *gone;
      if (*gone == 0) break;
    }
  }
  if (total > 0) {
    SHOAL_RETURN_IF_ERROR(sqlite::Exec(writer_, path_, "PRAGMA incremental_vacuum"));
    // Best effort: readers may hold the WAL; it is truncated on a later pass.
    sqlite3_exec(writer_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  return total;
}

Result<std::int64_t> SqliteLogStore::UsedBytes() {
  std::lock_guard<std::mutex> lock(write_mu_);
  Result<std::int64_t> used = QueryInt(writer_, path_,
                                       "SELECT ((SELECT page_count FROM pragma_page_count()) - "
                                       "(SELECT freelist_count FROM pragma_freelist_count())) * "
                                       "(SELECT page_size FROM pragma_page_size())");
  return used;
}

Result<std::int64_t> SqliteLogStore::Count() {
  std::lock_guard<std::mutex> lock(write_mu_);
  return QueryInt(writer_, path_, "SELECT count(*) FROM logs");
}

}  // namespace shoal
