// The central log store: instance stdout/stderr lines with their labels.
// The daemon's collector appends, the API searches, a timer prunes. The
// embedded SQLite store (adapters/sqlite/sqlite_log_store.h) is the default;
// nothing above the adapters knows it is SQLite.
//
// Guarantees (docs/LOGS.md): a line is stored at least once, and at most
// once per dedup key (source, offset): `source` names the file a line came
// from ("<instance>/<stream>") and `offset` is where the line starts in it,
// counted from the first byte the source ever had (offsets never go back,
// even when the file is truncated or replaced). Appending a line whose key
// is already stored changes nothing, so reading a file again after a crash
// stores each line once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace shoal {

struct LogRecord {
  std::int64_t time_us = 0;  // when the collector read it (microseconds since the epoch)
  std::string group;
  std::string instance;
  std::string pool;
  std::string release;  // the release version the instance runs ("" = none)
  std::string stream;   // "stdout" or "stderr"
  std::string source;   // dedup key, first half
  std::int64_t offset = 0;  // dedup key, second half
  std::string text;     // the line, without its newline
};

struct StoredLog {
  std::int64_t seq = 0;  // store order: a cursor for following
  LogRecord record;
};

// Where a source was read up to: committed with the lines it covers.
struct LogCursor {
  std::string source;
  std::string file_id;      // "<dev>:<inode>" of the file read
  std::int64_t position = 0;  // bytes of that file consumed
  std::int64_t base = 0;      // logical offset of the file's byte 0
};

struct LogQuery {
  std::string target;     // a group name or an instance id; "" = every line
  std::int64_t since_us = 0;  // lines read at or after this time
  std::string grep;       // a substring the line must contain (case-sensitive); "" = any
  std::int64_t after_seq = 0;  // > 0: only lines stored after this cursor, oldest first
  int limit = 100;        // at most this many; without after_seq, the newest `limit`
};

struct LogPage {
  std::vector<StoredLog> lines;  // oldest first
  std::int64_t cursor = 0;       // pass as after_seq to get what comes next
};

struct LogRetention {
  std::int64_t max_age_us = 0;     // 0 = no age limit
  std::int64_t max_bytes = 0;      // 0 = no size limit
};

class LogStore {
 public:
  virtual ~LogStore() = default;
  // Stores `lines` and moves `cursors` in one transaction. Returns how many
  // lines were new (a line whose (source, offset) is stored is skipped).
  virtual Result<std::int64_t> Append(const std::vector<LogRecord>& lines, const std::vector<LogCursor>& cursors) = 0;
  virtual Result<std::optional<LogCursor>> Cursor(const std::string& source) = 0;
  virtual Result<LogPage> Search(const LogQuery& query) = 0;
  // Deletes the oldest lines until both limits hold; returns how many went.
  virtual Result<std::int64_t> Prune(const LogRetention& retention, std::int64_t now_us) = 0;
};

}  // namespace shoal
