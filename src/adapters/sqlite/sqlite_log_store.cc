#include "adapters/sqlite/sqlite_log_store.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "adapters/sqlite/sqlite_util.h"

namespace shoal {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Retention deletes in chunks so the collector's next batch never waits long.
constexpr std::int64_t kPruneChunk = 20000;
// The shortest text the trigram index can look up; shorter --grep scans.
constexpr std::size_t kMinIndexedGrep = 3;

// Labels and sources are stored once each and named by integer ids on every
// line: a line's record and its two index entries stay a few bytes apart
// from its text (the first layout repeated ~70 bytes of labels per line and
// indexed group and instance as text: about a third of the ingest cost).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS log_sources(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS log_labels(
  id INTEGER PRIMARY KEY,
  grp TEXT NOT NULL,
  instance TEXT NOT NULL,
  pool TEXT NOT NULL,
  release TEXT NOT NULL,
  stream TEXT NOT NULL,
  UNIQUE(grp, instance, pool, release, stream));
CREATE INDEX IF NOT EXISTS log_labels_instance ON log_labels(instance);
CREATE TABLE IF NOT EXISTS log_lines(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  src INTEGER NOT NULL,
  off INTEGER NOT NULL,
  lab INTEGER NOT NULL,
  msg TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS log_lines_key ON log_lines(src, off);
CREATE INDEX IF NOT EXISTS log_lines_lab ON log_lines(lab);
-- detail=none: the index answers "which lines hold every one of these
-- trigrams" (no positions: a third of the size, faster to write); the
-- search checks the text itself. External content: the text is stored once.
CREATE VIRTUAL TABLE IF NOT EXISTS log_fts USING fts5(msg, content='log_lines', content_rowid='seq', tokenize='trigram',
  detail=none, columnsize=0);
-- indexed_to: every line with seq <= it is in log_fts, none above it.
CREATE TABLE IF NOT EXISTS log_meta(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL);
INSERT OR IGNORE INTO log_meta(key, value) VALUES('indexed_to', 0);
-- Time marks: after each stored batch, an upper bound of the time of every
-- line up to seq (a running maximum, so it never falls as seq grows). Lines
-- can be stored after lines newer than they are (late through Kafka, from
-- rsyslog's queue, a host's clock), so times alone are not ordered by seq;
-- every line before the last mark below T is older than T, which is how
-- --since and retention find where to start (FirstSeqAtOrAfter).
CREATE TABLE IF NOT EXISTS log_time_marks(
  seq INTEGER PRIMARY KEY,
  tsmax INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS log_time_marks_ts ON log_time_marks(tsmax, seq);
CREATE TABLE IF NOT EXISTS log_cursors(
  source TEXT PRIMARY KEY,
  file_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  base INTEGER NOT NULL);
)sql";

// FTS5 settings: merge 16 segments of a level at a time, not 4 (about a
// tenth of the indexing cost; a search reads a few more segments), and a
// 64 MiB in-memory term table so a batch of kIndexBatch lines is written as
// one segment.
constexpr const char* kFtsSettings = R"sql(
INSERT INTO log_fts(log_fts, rank) VALUES('automerge', 16);
INSERT INTO log_fts(log_fts, rank) VALUES('hashsize', 67108864);
)sql";

// A store written before time marks existed gets them from its lines: a
// mark every 5,000 lines and one at the last, each the running maximum.
constexpr const char* kMarkExistingLines = R"sql(
INSERT INTO log_time_marks(seq, tsmax)
  SELECT seq, m FROM (SELECT seq, max(ts) OVER (ORDER BY seq) AS m, row_number() OVER (ORDER BY seq) AS n,
                             count(*) OVER () AS c FROM log_lines)
  WHERE n % 5000 = 0 OR n = c;
)sql";

// The first layout (labels as text on every line, the index inline): its
// lines move to log_lines with their seq, the labels and sources to their
// tables; the trigram index is built again afterwards (IndexPending).
constexpr const char* kMigrateV1 = R"sql(
INSERT OR IGNORE INTO log_sources(source) SELECT DISTINCT source FROM logs;
INSERT OR IGNORE INTO log_labels(grp, instance, pool, release, stream)
  SELECT DISTINCT grp, instance, pool, release, stream FROM logs;
INSERT INTO log_lines(seq, ts, src, off, lab, msg)
  SELECT l.seq, l.ts, s.id, l.off, b.id, l.msg FROM logs l
  JOIN log_sources s ON s.source = l.source
  JOIN log_labels b ON b.grp = l.grp AND b.instance = l.instance AND b.pool = l.pool AND b.release = l.release
    AND b.stream = l.stream
  ORDER BY l.seq;
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'logs'), 0))
  WHERE name = 'log_lines';
INSERT INTO sqlite_sequence(name, seq) SELECT 'log_lines', seq FROM sqlite_sequence
  WHERE name = 'logs' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'log_lines');
DROP TABLE IF EXISTS logs_fts;
DROP TABLE logs;
UPDATE log_meta SET value = 0 WHERE key = 'indexed_to';
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
  // Reads through a shared mapping, not a pread copy per page.
  if (Status s = sqlite::Exec(db, path, "PRAGMA mmap_size=1073741824"); !s.ok()) {
    sqlite3_close(db);
    return s;
  }
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

Result<std::int64_t> QueryInt(sqlite3* db, const std::string& path, const char* sql) {
  Result<sqlite::Statement> s = sqlite::Prepare(db, path, sql);
  if (!s.ok()) return s.status();
  if (sqlite3_step(s->get()) != SQLITE_ROW) return sqlite::Error(db, path, sql);
  return static_cast<std::int64_t>(sqlite3_column_int64(s->get(), 0));
}

}  // namespace

struct SqliteLogStore::Statements {
  sqlite::Statement insert;
  sqlite::Statement put_source;
  sqlite::Statement get_source;
  sqlite::Statement put_labels;
  sqlite::Statement get_labels;
  sqlite::Statement put_cursor;
  sqlite::Statement get_cursor;
  sqlite::Statement put_mark;
};

SqliteLogStore::SqliteLogStore(std::string path, sqlite3* writer, sqlite3* reader)
    : path_(std::move(path)), writer_(writer), reader_(reader), stmts_(std::make_unique<Statements>()) {}

SqliteLogStore::~SqliteLogStore() {
  stmts_.reset();
  sqlite3_close(reader_);
  sqlite3_close(writer_);
}

namespace {

// Creates the tables, or migrates a store of the first layout, in one
// transaction (a crash leaves the old layout, migrated again next Open).
Status CreateOrMigrate(sqlite3* w, const std::string& path) {
  sqlite::Transaction tx(w, path);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  Result<std::int64_t> fresh = QueryInt(w, path, "SELECT count(*) = 0 FROM sqlite_master WHERE name = 'log_fts'");
  if (!fresh.ok()) return fresh.status();
  SHOAL_RETURN_IF_ERROR(sqlite::Exec(w, path, kSchema));
  if (*fresh != 0) SHOAL_RETURN_IF_ERROR(sqlite::Exec(w, path, kFtsSettings));
  Result<std::int64_t> v1 = QueryInt(w, path, "SELECT count(*) FROM pragma_table_info('logs') WHERE name = 'grp'");
  if (!v1.ok()) return v1.status();
  if (*v1 > 0) SHOAL_RETURN_IF_ERROR(sqlite::Exec(w, path, kMigrateV1));
  Result<std::int64_t> unmarked = QueryInt(
      w, path, "SELECT NOT EXISTS (SELECT 1 FROM log_time_marks) AND EXISTS (SELECT 1 FROM log_lines)");
  if (!unmarked.ok()) return unmarked.status();
  if (*unmarked != 0) SHOAL_RETURN_IF_ERROR(sqlite::Exec(w, path, kMarkExistingLines));
  return tx.Commit();
}

}  // namespace

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
  // The index pages a batch touches stay in memory (64 MiB, not SQLite's
  // 2 MiB), and the WAL is copied back every 32 MiB rather than every
  // 4 MiB: each checkpoint is an fsync, and at 100k lines/s they add up.
  if (Status s = sqlite::Exec(w, path, "PRAGMA cache_size=-65536"); !s.ok()) return fail(s);
  if (Status s = sqlite::Exec(w, path, "PRAGMA wal_autocheckpoint=8192"); !s.ok()) return fail(s);
  if (Status s = CreateOrMigrate(w, path); !s.ok()) return fail(Status::IoError(path + ": " + s.message() +
                                                                                " (creating or migrating the log store)"));
  Result<sqlite3*> reader = OpenConnection(path, false);
  if (!reader.ok()) return fail(reader.status());
  std::unique_ptr<SqliteLogStore> store(new SqliteLogStore(path, w, *reader));
  Statements& st = *store->stmts_;
  struct {
    sqlite::Statement* out;
    const char* sql;
  } prepared[] = {
      {&st.insert, "INSERT OR IGNORE INTO log_lines(ts, src, off, lab, msg) VALUES(?,?,?,?,?)"},
      {&st.put_source, "INSERT OR IGNORE INTO log_sources(source) VALUES(?)"},
      {&st.get_source, "SELECT id FROM log_sources WHERE source = ?"},
      {&st.put_labels, "INSERT OR IGNORE INTO log_labels(grp, instance, pool, release, stream) VALUES(?,?,?,?,?)"},
      {&st.get_labels, "SELECT id FROM log_labels WHERE grp = ? AND instance = ? AND pool = ? AND release = ? AND stream = ?"},
      {&st.put_cursor,
       "INSERT INTO log_cursors(source, file_id, position, base) VALUES(?,?,?,?) "
       "ON CONFLICT(source) DO UPDATE SET file_id=excluded.file_id, position=excluded.position, base=excluded.base"},
      {&st.get_cursor, "SELECT file_id, position, base FROM log_cursors WHERE source = ?"},
      // The mark at the batch's newest line: the greater of its time and the
      // last mark's (a running maximum).
      {&st.put_mark,
       "INSERT OR REPLACE INTO log_time_marks(seq, tsmax) "
       "VALUES(?1, max(?2, coalesce((SELECT tsmax FROM log_time_marks ORDER BY seq DESC LIMIT 1), ?2)))"},
  };
  for (auto& p : prepared) {
    Result<sqlite::Statement> s = sqlite::Prepare(w, path, p.sql);
    if (!s.ok()) return s.status();
    *p.out = std::move(*s);
  }
  // A migrated (or crashed mid-catch-up) store: index what waits now, so
  // searches never scan more than kIndexBatch unindexed lines.
  for (;;) {
    Result<std::int64_t> waiting = store->Unindexed();
    if (!waiting.ok()) return waiting.status();
    if (*waiting == 0) break;
    Result<std::int64_t> n = store->IndexPending(4 * kIndexBatch);
    if (!n.ok()) return n.status();
  }
  return store;
}

Result<std::int64_t> SqliteLogStore::SourceId(const std::string& source) {
  if (auto it = source_ids_.find(source); it != source_ids_.end()) return it->second;
  for (sqlite3_stmt* s : {stmts_->put_source.get(), stmts_->get_source.get()}) {
    sqlite::ResetOnExit reset(s);
    BindText(s, 1, source);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return source_ids_[source] = sqlite3_column_int64(s, 0);
    if (rc != SQLITE_DONE) return sqlite::Error(writer_, path_, "storing a log source");
  }
  return sqlite::Error(writer_, path_, "finding a log source");
}

Result<std::int64_t> SqliteLogStore::LabelsId(const LogRecord& r) {
  std::string key = r.group;
  for (const std::string* v : {&r.instance, &r.pool, &r.release, &r.stream}) {
    key += '\0';
    key += *v;
  }
  if (auto it = label_ids_.find(key); it != label_ids_.end()) return it->second;
  for (sqlite3_stmt* s : {stmts_->put_labels.get(), stmts_->get_labels.get()}) {
    sqlite::ResetOnExit reset(s);
    BindText(s, 1, r.group);
    BindText(s, 2, r.instance);
    BindText(s, 3, r.pool);
    BindText(s, 4, r.release);
    BindText(s, 5, r.stream);
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return label_ids_[key] = sqlite3_column_int64(s, 0);
    if (rc != SQLITE_DONE) return sqlite::Error(writer_, path_, "storing log labels");
  }
  return sqlite::Error(writer_, path_, "finding log labels");
}

Result<std::int64_t> SqliteLogStore::Append(const std::vector<LogRecord>& lines, const std::vector<LogCursor>& cursors) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::int64_t added = 0;
  Status written = [&]() -> Status {
    sqlite::Transaction tx(writer_, path_);
    SHOAL_RETURN_IF_ERROR(tx.Begin());
    sqlite3_stmt* ins = stmts_->insert.get();
    // Consecutive lines mostly share a source and labels: looked up once.
    const LogRecord* prev = nullptr;
    std::int64_t newest_seq = 0;  // of the lines this batch stored (0: none)
    std::int64_t newest_time = 0;  // the greatest time among them
    std::int64_t src = 0;
    std::int64_t lab = 0;
    for (const LogRecord& r : lines) {
      if (prev == nullptr || r.source != prev->source) {
        Result<std::int64_t> id = SourceId(r.source);
        if (!id.ok()) return id.status();
        src = *id;
      }
      if (prev == nullptr || r.group != prev->group || r.instance != prev->instance || r.pool != prev->pool ||
          r.release != prev->release || r.stream != prev->stream) {
        Result<std::int64_t> id = LabelsId(r);
        if (!id.ok()) return id.status();
        lab = *id;
      }
      prev = &r;
      sqlite::ResetOnExit reset(ins);
      sqlite3_bind_int64(ins, 1, r.time_us);
      sqlite3_bind_int64(ins, 2, src);
      sqlite3_bind_int64(ins, 3, r.offset);
      sqlite3_bind_int64(ins, 4, lab);
      BindText(ins, 5, r.text);
      SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, ins, "storing a log line"));
      if (sqlite3_changes(writer_) == 0) continue;  // its (source, offset) is stored already
      ++added;
      // seq is AUTOINCREMENT: the last line stored is the newest.
      newest_seq = sqlite3_last_insert_rowid(writer_);
      newest_time = std::max(newest_time, r.time_us);
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
    if (newest_seq > 0) {
      sqlite3_stmt* mark = stmts_->put_mark.get();
      sqlite::ResetOnExit reset(mark);
      sqlite3_bind_int64(mark, 1, newest_seq);
      sqlite3_bind_int64(mark, 2, newest_time);
      SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, mark, "marking the lines' times"));
    }
    return tx.Commit();
  }();
  if (!written.ok()) {
    // Ids created in the rolled-back transaction are gone: forget them all.
    source_ids_.clear();
    label_ids_.clear();
    return written;
  }
  // The trigram index follows in batches: once kIndexBatch lines wait,
  // index them (a transaction of its own; the lines are stored already).
  Result<std::int64_t> waiting = QueryInt(writer_, path_,
                                          "SELECT coalesce((SELECT max(seq) FROM log_lines), 0) - "
                                          "(SELECT value FROM log_meta WHERE key = 'indexed_to')");
  if (!waiting.ok()) return waiting.status();
  if (*waiting >= kIndexBatch) {
    Result<std::int64_t> indexed = IndexPendingLocked(*waiting);
    if (!indexed.ok()) return indexed.status();
  }
  return added;
}

Result<std::int64_t> SqliteLogStore::IndexPending(std::int64_t max_lines) {
  std::lock_guard<std::mutex> lock(write_mu_);
  return IndexPendingLocked(max_lines);
}

Result<std::int64_t> SqliteLogStore::IndexPendingLocked(std::int64_t max_lines) {
  sqlite::Transaction tx(writer_, path_);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  Result<std::int64_t> mark = QueryInt(writer_, path_, "SELECT value FROM log_meta WHERE key = 'indexed_to'");
  if (!mark.ok()) return mark.status();
  Result<std::int64_t> top = QueryInt(writer_, path_, "SELECT coalesce(max(seq), 0) FROM log_lines");
  if (!top.ok()) return top.status();
  const std::int64_t upto = std::min(*top, *mark + std::max<std::int64_t>(1, max_lines));
  if (upto <= *mark) return std::int64_t{0};
  // One INSERT ... SELECT: FTS5 collects the batch's terms in memory and
  // writes them as one segment at commit.
  Result<sqlite::Statement> index =
      sqlite::Prepare(writer_, path_, "INSERT INTO log_fts(rowid, msg) SELECT seq, msg FROM log_lines WHERE seq > ?1 AND seq <= ?2");
  if (!index.ok()) return index.status();
  sqlite3_bind_int64(index->get(), 1, *mark);
  sqlite3_bind_int64(index->get(), 2, upto);
  SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, index->get(), "indexing log lines"));
  const std::int64_t indexed = sqlite3_changes(writer_);
  Result<sqlite::Statement> moved = sqlite::Prepare(writer_, path_, "UPDATE log_meta SET value = ?1 WHERE key = 'indexed_to'");
  if (!moved.ok()) return moved.status();
  sqlite3_bind_int64(moved->get(), 1, upto);
  SHOAL_RETURN_IF_ERROR(sqlite::StepDone(writer_, path_, moved->get(), "moving the index mark"));
  SHOAL_RETURN_IF_ERROR(tx.Commit());
  return indexed;
}

Result<std::int64_t> SqliteLogStore::Unindexed() {
  std::lock_guard<std::mutex> lock(write_mu_);
  return QueryInt(writer_, path_,
                  "SELECT count(*) FROM log_lines WHERE seq > (SELECT value FROM log_meta WHERE key = 'indexed_to')");
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

namespace {

// The UTF-8 characters of `text` (the trigram tokenizer counts characters).
std::vector<std::string> Characters(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    n = std::min(n, text.size() - i);
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

// An FTS5 query for the lines holding every trigram of `text`: "abc" AND
// "bcd" AND ... (each trigram once, quoted). Empty when `text` has fewer
// than three characters or a NUL (the index cannot help then).
std::string TrigramQuery(const std::string& text) {
  if (text.find('\0') != std::string::npos) return "";
  const std::vector<std::string> chars = Characters(text);
  if (chars.size() < kMinIndexedGrep) return "";
  std::vector<std::string> grams;
  for (std::size_t i = 0; i + 3 <= chars.size(); ++i) grams.push_back(chars[i] + chars[i + 1] + chars[i + 2]);
  std::sort(grams.begin(), grams.end());
  grams.erase(std::unique(grams.begin(), grams.end()), grams.end());
  std::string q;
  for (const std::string& g : grams) {
    if (!q.empty()) q += " AND ";
    q += '"';
    for (char c : g) {
      if (c == '"') q += '"';
      q += c;
    }
    q += '"';
  }
  return q;
}

// A target's line count up to this decides the plan: a smaller target is
// read newest first through its index (each line's text checked); a larger
// one is searched through the trigram index first.
constexpr std::int64_t kSmallTarget = 50000;

}  // namespace

Result<std::int64_t> SqliteLogStore::FirstSeqAtOrAfter(sqlite3* db, std::int64_t time_us) {
  // Every line up to the last mark below `time_us` is older than it (marks
  // bound the lines' times from above, and never fall), and the first line
  // at or after it is at the latest at the first mark that reaches it: two
  // seeks on the marks' index, then a scan of at most one batch. Lines after
  // that one may still be older (stored late): searches check each time.
  Result<sqlite::Statement> s = sqlite::Prepare(
      db, path_,
      "SELECT coalesce((SELECT min(seq) FROM log_lines WHERE seq >= lo AND seq <= hi AND ts >= ?1), hi + 1) FROM "
      "(SELECT coalesce((SELECT seq FROM log_time_marks WHERE tsmax < ?1 ORDER BY tsmax DESC, seq DESC LIMIT 1), 0) + 1"
      "        AS lo,"
      "        coalesce((SELECT seq FROM log_time_marks WHERE tsmax >= ?1 ORDER BY tsmax, seq LIMIT 1),"
      "                 (SELECT coalesce(max(seq), 0) FROM log_lines)) AS hi)");
  if (!s.ok()) return s.status();
  sqlite3_bind_int64(s->get(), 1, time_us);
  if (sqlite3_step(s->get()) != SQLITE_ROW) return sqlite::Error(db, path_, "finding lines by time");
  return static_cast<std::int64_t>(sqlite3_column_int64(s->get(), 0));
}

Result<LogPage> SqliteLogStore::Search(const LogQuery& q) {
  std::lock_guard<std::mutex> lock(read_mu_);
  // One read transaction: the lines and the cursor come from one snapshot.
  SHOAL_RETURN_IF_ERROR(sqlite::Exec(reader_, path_, "BEGIN"));
  struct End {
    sqlite3* db;
    ~End() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end{reader_};

  // The lowest seq worth reading: after the follower's cursor and at or
  // after `since` (found on the primary key, so no time index is kept).
  std::int64_t low = q.after_seq > 0 ? q.after_seq + 1 : 0;
  if (q.since_us > 0) {
    Result<std::int64_t> at = FirstSeqAtOrAfter(reader_, q.since_us);
    if (!at.ok()) return at.status();
    low = std::max(low, *at);
  }
  // A target is an instance id when some line has it, else a group name:
  // the ids of its label sets (one per instance and stream, usually).
  std::vector<std::int64_t> labels;
  std::string column;
  std::int64_t target_lines = 0;
  if (!q.target.empty()) {
    for (const char* col : {"instance", "grp"}) {
      Result<sqlite::Statement> ids =
          sqlite::Prepare(reader_, path_, std::string("SELECT id FROM log_labels WHERE ") + col + " = ?1 ORDER BY id");
      if (!ids.ok()) return ids.status();
      BindText(ids->get(), 1, q.target);
      int rc = 0;
      while ((rc = sqlite3_step(ids->get())) == SQLITE_ROW) labels.push_back(sqlite3_column_int64(ids->get(), 0));
      if (rc != SQLITE_DONE) return sqlite::Error(reader_, path_, "finding a target's labels");
      column = col;
      if (!labels.empty()) break;
    }
    Result<sqlite::Statement> c = sqlite::Prepare(
        reader_, path_, "SELECT count(*) FROM (SELECT 1 FROM log_lines WHERE lab = ?1 AND seq >= ?2 LIMIT ?3)");
    if (!c.ok()) return c.status();
    for (std::int64_t id : labels) {
      if (target_lines > kSmallTarget) break;
      sqlite3_reset(c->get());
      sqlite3_bind_int64(c->get(), 1, id);
      sqlite3_bind_int64(c->get(), 2, low);
      sqlite3_bind_int64(c->get(), 3, kSmallTarget + 1 - target_lines);
      if (sqlite3_step(c->get()) != SQLITE_ROW) return sqlite::Error(reader_, path_, "counting a target's lines");
      target_lines += sqlite3_column_int64(c->get(), 0);
    }
  }
  // Lines up to the mark are in the trigram index; the few past it (at most
  // about kIndexBatch) are scanned.
  Result<std::int64_t> mark = QueryInt(reader_, path_, "SELECT value FROM log_meta WHERE key = 'indexed_to'");
  if (!mark.ok()) return mark.status();
  const std::string trigrams = TrigramQuery(q.grep);
  const bool by_index = !trigrams.empty() && (q.target.empty() || target_lines > kSmallTarget);
  const bool newest_first = q.after_seq <= 0;
  const char* dir = newest_first ? "DESC" : "ASC";
  const int limit = std::max(1, q.limit);
  constexpr std::int64_t kEnd = std::numeric_limits<std::int64_t>::max();

  // One part of the search: the lines of seq in [from, to] (and of label
  // set `lab` if > 0) that match, in search order, at most `limit`.
  enum class Walk { kTrigrams, kSeq, kLabels };
  std::vector<StoredLog> found;
  auto part = [&](Walk walk, std::int64_t from, std::int64_t to, std::int64_t lab) -> Status {
    if (from > to) return Status::Ok();
    std::string sql = "SELECT l.seq, l.ts, b.grp, b.instance, b.pool, b.release, b.stream, s.source, l.off, l.msg FROM ";
    // The walked index outermost (CROSS JOIN keeps the order), so the LIMIT
    // stops the walk as soon as enough lines match; the labels and the
    // source are looked up by primary key for the lines returned.
    sql += walk == Walk::kTrigrams ? "log_fts f CROSS JOIN log_lines l ON l.seq = f.rowid" : "log_lines l";
    sql += " CROSS JOIN log_labels b ON b.id = l.lab CROSS JOIN log_sources s ON s.id = l.src WHERE ";
    sql += walk == Walk::kTrigrams ? "f.log_fts MATCH ?1 AND f.rowid >= ?4 AND f.rowid <= ?7" : "l.seq >= ?4 AND l.seq <= ?7";
    if (walk == Walk::kLabels) {
      sql += " AND l.lab = ?8";
    } else if (!q.target.empty()) {
      // "+l.lab": a filter, never an index to walk (that would read every
      // line of the target in range and sort them).
      sql += " AND +l.lab IN (SELECT id FROM log_labels WHERE " + column + " = ?3)";
    }
    if (!q.grep.empty()) sql += " AND instr(l.msg, ?2) > 0";
    if (q.since_us > 0) sql += " AND l.ts >= ?5";
    sql += std::string(walk == Walk::kTrigrams ? " ORDER BY f.rowid " : " ORDER BY l.seq ") + dir + " LIMIT ?6";
    Result<sqlite::Statement> stmt = sqlite::Prepare(reader_, path_, sql);
    if (!stmt.ok()) return stmt.status();
    sqlite3_stmt* s = stmt->get();
    if (walk == Walk::kTrigrams) BindText(s, 1, trigrams);
    if (!q.grep.empty()) BindText(s, 2, q.grep);
    if (!q.target.empty() && walk != Walk::kLabels) BindText(s, 3, q.target);
    sqlite3_bind_int64(s, 4, from);
    if (q.since_us > 0) sqlite3_bind_int64(s, 5, q.since_us);
    sqlite3_bind_int(s, 6, limit);
    sqlite3_bind_int64(s, 7, to);
    if (walk == Walk::kLabels) sqlite3_bind_int64(s, 8, lab);
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
      found.push_back(std::move(line));
    }
    if (rc != SQLITE_DONE) return sqlite::Error(reader_, path_, "searching the logs");
    return Status::Ok();
  };
  if (by_index) {
    // The trigram index up to the mark, the scanned tail after it: the
    // newer part first when newest first, and no further once full.
    const Walk order[] = {newest_first ? Walk::kSeq : Walk::kTrigrams, newest_first ? Walk::kTrigrams : Walk::kSeq};
    for (Walk w : order) {
      if (static_cast<int>(found.size()) >= limit) break;
      if (w == Walk::kTrigrams) {
        SHOAL_RETURN_IF_ERROR(part(w, low, *mark, 0));
      } else {
        SHOAL_RETURN_IF_ERROR(part(w, std::max(low, *mark + 1), kEnd, 0));
      }
    }
  } else if (q.target.empty()) {
    SHOAL_RETURN_IF_ERROR(part(Walk::kSeq, low, kEnd, 0));
  } else {
    // Each label set through its index, in seq order; the newest (or, when
    // following, the oldest) `limit` of their union are the answer.
    for (std::int64_t lab : labels) SHOAL_RETURN_IF_ERROR(part(Walk::kLabels, low, kEnd, lab));
  }
  std::sort(found.begin(), found.end(), [&](const StoredLog& a, const StoredLog& b) {
    return newest_first ? a.seq > b.seq : a.seq < b.seq;
  });
  if (static_cast<int>(found.size()) > limit) found.resize(static_cast<std::size_t>(limit));
  LogPage page;
  page.lines = std::move(found);
  if (newest_first) std::reverse(page.lines.begin(), page.lines.end());
  // Following from a full page goes on from its last line; otherwise from
  // the newest line stored, so a follower skips what cannot match.
  if (!newest_first && static_cast<int>(page.lines.size()) == limit) {
    page.cursor = page.lines.back().seq;
  } else {
    Result<std::int64_t> newest = QueryInt(reader_, path_, "SELECT coalesce(max(seq), 0) FROM log_lines");
    if (!newest.ok()) return newest.status();
    page.cursor = std::max({q.after_seq, *newest, page.lines.empty() ? 0 : page.lines.back().seq});
  }
  return page;
}

Result<std::int64_t> SqliteLogStore::DeleteOldest(const std::string& where, std::int64_t bound, std::int64_t max_rows) {
  // The chunk's last seq, then the index rows of the lines indexed so far
  // (FTS5's external-content delete needs the old text) and the lines, in
  // one transaction.
  sqlite::Transaction tx(writer_, path_);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  const std::string upto_sql = "SELECT max(seq) FROM (SELECT seq FROM log_lines WHERE " + where + " ORDER BY seq LIMIT ?2)";
  Result<sqlite::Statement> upto = sqlite::Prepare(writer_, path_, upto_sql);
  if (!upto.ok()) return upto.status();
  if (where.find("?1") != std::string::npos) sqlite3_bind_int64(upto->get(), 1, bound);
  sqlite3_bind_int64(upto->get(), 2, max_rows);
  if (sqlite3_step(upto->get()) != SQLITE_ROW) return sqlite::Error(writer_, path_, "finding old log lines");
  if (sqlite3_column_type(upto->get(), 0) == SQLITE_NULL) return std::int64_t{0};
  const std::int64_t last = sqlite3_column_int64(upto->get(), 0);
  for (const char* sql : {"INSERT INTO log_fts(log_fts, rowid, msg) SELECT 'delete', seq, msg FROM log_lines "
                          "WHERE seq <= min(?1, (SELECT value FROM log_meta WHERE key = 'indexed_to'))",
                          "DELETE FROM log_lines WHERE seq <= ?1"}) {
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
    // Every line before keep_from is older than the cutoff; a late line
    // stored after a newer one waits until that one ages out.
    Result<std::int64_t> keep_from = FirstSeqAtOrAfter(writer_, now_us - retention.max_age_us);
    if (!keep_from.ok()) return keep_from.status();
    for (;;) {
      Result<std::int64_t> gone = DeleteOldest("seq < ?1", *keep_from, kPruneChunk);
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
      Result<std::int64_t> rows = QueryInt(writer_, path_, "SELECT count(*) FROM log_lines");
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
    // Sources and label sets left without lines (ended instances) go too.
    SHOAL_RETURN_IF_ERROR(sqlite::Exec(writer_, path_,
                                       "DELETE FROM log_labels WHERE NOT EXISTS (SELECT 1 FROM log_lines WHERE lab = log_labels.id);"
                                       "DELETE FROM log_sources WHERE NOT EXISTS (SELECT 1 FROM log_lines WHERE src = log_sources.id);"
                                       // Marks of deleted lines: the ones left still bound every line before them.
                                       "DELETE FROM log_time_marks WHERE seq < (SELECT min(seq) FROM log_lines)"));
    source_ids_.clear();
    label_ids_.clear();
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
  return QueryInt(writer_, path_, "SELECT count(*) FROM log_lines");
}

}  // namespace shoal
