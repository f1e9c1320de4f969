// Ships local instances' stdout/stderr and syslog (adapters/local/syslog_relay.h)
// into the log store. Each pass reads what every
// DATA/instances/<id>/{stdout,stderr,syslog}.log gained since the
// cursor the store holds for it, labels each line (group, instance, pool,
// release, stream) from the instance's record, and appends it with the
// cursor in one transaction per batch (at least once; the (source, offset)
// dedup key makes a re-read store nothing twice).
//
// Files stay bounded on disk: once shipped, a file's bytes are freed with
// fallocate(PUNCH_HOLE) (the instance keeps its O_APPEND descriptor and
// offsets keep counting, so no line can be lost between a read and a
// rotation); where the file system cannot punch holes, a fully shipped file
// over `truncate_at` is truncated instead. An ended instance's files are
// deleted once shipped and quiet for `ended_grace`.
//
// Truncation or replacement by anyone else is noticed (size below the
// cursor, or another inode): the file is read from its start and its
// offsets continue after the old ones, so dedup keys never repeat.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"
#include "core/syslog_line.h"
#include "core/time.h"
#include "ports/log_store.h"

namespace shoal {

struct LogCollectorOptions {
  std::string instances_dir;              // DATA/instances
  std::size_t max_line = 16 * 1024;       // longer lines are cut into pieces of this size
  std::size_t batch_lines = 5000;         // lines per transaction
  std::int64_t punch_every = 1 << 20;     // free shipped bytes once this many more were shipped
  std::int64_t truncate_at = 8 << 20;     // without hole punching: truncate a shipped file this big
  Seconds ended_grace = 60;               // an ended instance's shipped files are deleted after this
};

struct LogLabels {
  std::string group;
  std::string instance;
  std::string pool;
  std::string release;
};

struct CollectStats {
  std::int64_t read = 0;    // lines read this pass
  std::int64_t stored = 0;  // of which new to the store
  std::int64_t files = 0;   // files looked at
};

class LogCollector {
 public:
  LogCollector(LogStore* store, LogCollectorOptions options);

  // One pass over every instance directory.
  Result<CollectStats> Pass(std::int64_t now_us);

  // Ships one file (`stream` "stdout", "stderr" or "syslog"). `ended`: the instance
  // is gone, so a last line without its newline is shipped too.
  Result<CollectStats> CollectFile(const std::string& path, const std::string& stream, const LogLabels& labels,
                                   bool ended, std::int64_t now_us);

 private:
  struct Tail {
    bool loaded = false;
    LogCursor cursor;
    std::int64_t punched = 0;  // bytes of the current file already freed
  };
  LogStore* store_;
  LogCollectorOptions options_;
  std::map<std::string, Tail> tails_;  // by source
};

// The RFC 5424 form of a stored line (severity 6 for stdout, 3 for stderr,
// the sender's for syslog).
SyslogMessage SyslogOf(const LogRecord& r);

}  // namespace shoal
