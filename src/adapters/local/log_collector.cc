#include "adapters/local/log_collector.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "adapters/local/instance_record.h"
#include "adapters/local/syslog_relay.h"

namespace shoal {
namespace {

constexpr std::size_t kReadChunk = 1 << 20;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string FileId(const struct stat& st) {
  return std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
         std::to_string(static_cast<unsigned long long>(st.st_ino));
}

}  // namespace

SyslogMessage SyslogOf(const LogRecord& r) {
  SyslogMessage m;
  m.facility = 16;  // local0
  m.severity = r.stream == "stderr" ? 3 : 6;
  if (r.stream == "syslog") {
    // The sender's own severity, from the message's "<PRI>".
    if (const int severity = SyslogSeverityOf(r.text); severity >= 0) m.severity = severity;
  }
  m.time_us = r.time_us;
  m.hostname = r.instance;
  m.app_name = r.group;
  m.proc_id = r.instance;
  m.msg_id = r.stream;
  m.structured_data.push_back({std::string(kShoalSdId),
                               {{"group", r.group},
                                {"instance", r.instance},
                                {"pool", r.pool},
                                {"release", r.release},
                                {"stream", r.stream},
                                {"offset", std::to_string(r.offset)}}});
  m.msg = r.text;
  return m;
}

LogCollector::LogCollector(LogStore* store, LogCollectorOptions options)
    : store_(store), options_(std::move(options)) {}

Result<CollectStats> LogCollector::Pass(std::int64_t now_us) {
  namespace fs = std::filesystem;
  CollectStats total;
  std::error_code ec;
  fs::directory_iterator it(options_.instances_dir, ec);
  if (ec) return total;  // no instance yet
  for (const fs::directory_entry& e : it) {
    const std::string dir = e.path().string();
    Result<InstanceRecord> rec = ReadRecord(dir);
    if (!rec.ok()) continue;  // being written, or not an instance
    LogLabels labels{rec->group, rec->id.str(), rec->pool, rec->version > 0 ? std::to_string(rec->version) : ""};
    const bool ended = rec->state == kRecordTerminated || rec->state == kRecordExited;
    // syslog.log: what the instance's programs sent its syslog relay.
    for (const char* stream : {"stdout", "stderr", "syslog"}) {
      Result<CollectStats> one = CollectFile(dir + "/" + stream + ".log", stream, labels, ended, now_us);
      if (!one.ok()) return one.status();
      total.read += one->read;
      total.stored += one->stored;
      total.files += one->files;
    }
  }
  return total;
}

Result<CollectStats> LogCollector::CollectFile(const std::string& path, const std::string& stream,
                                               const LogLabels& labels, bool ended, std::int64_t now_us) {
  CollectStats stats;
  Fd f;
  f.fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (f.fd < 0) {
    if (errno == ENOENT) return stats;
    return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return Status::IoError("cannot stat " + path + ": " + std::strerror(errno));
  stats.files = 1;
  const std::string source = labels.instance + "/" + stream;
  Tail& tail = tails_[source];
  if (!tail.loaded) {
    Result<std::optional<LogCursor>> stored = store_->Cursor(source);
    if (!stored.ok()) return stored.status();
    tail.cursor = stored->value_or(LogCursor{source, "", 0, 0});
    tail.cursor.source = source;
    tail.loaded = true;
  }
  LogCursor& cur = tail.cursor;
  const std::string id = FileId(st);
  const std::int64_t size = st.st_size;
  if (cur.file_id != id || size < cur.position) {
    // Another file, or truncated: read it from its start; its offsets go on
    // after everything the source had so far.
    if (!cur.file_id.empty()) cur.base += cur.position;
    cur.file_id = id;
    cur.position = 0;
    tail.punched = 0;
  }

  std::vector<LogRecord> batch;
  std::string pending;          // bytes read but not yet a whole line
  std::int64_t pending_at = cur.position;  // file offset of pending's first byte
  std::int64_t pos = cur.position;
  // A re-read from before the cursor (a lost cursor) may start in the
  // freed part of the file: a hole reads as zeros. Go to the first data;
  // the line cut there started in the hole, so it was shipped: skip it.
  bool skip_cut_line = false;
  if (const off_t data = ::lseek(f.fd, pos, SEEK_DATA); data > pos) {
    pos = data;
    pending_at = data;
    skip_cut_line = true;
  }
  std::vector<char> buf(kReadChunk);
  auto emit = [&](std::string_view text, std::int64_t at) {
    LogRecord r;
    r.time_us = now_us;
    r.group = labels.group;
    r.instance = labels.instance;
    r.pool = labels.pool;
    r.release = labels.release;
    r.stream = stream;
    r.source = source;
    r.offset = cur.base + at;
    r.text = std::string(text);
    batch.push_back(std::move(r));
  };
  auto flush = [&](std::int64_t consumed) -> Status {
    LogCursor next = cur;
    next.position = consumed;
    Result<std::int64_t> added = store_->Append(batch, {next});
    if (!added.ok()) return added.status();
    stats.read += static_cast<std::int64_t>(batch.size());
    stats.stored += *added;
    batch.clear();
    cur = next;
    return Status::Ok();
  };
  while (pos < size) {
    const ssize_t n = ::pread(f.fd, buf.data(), std::min<std::size_t>(buf.size(), static_cast<std::size_t>(size - pos)), pos);
    if (n < 0) return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    pos += n;
    std::size_t start = 0;
    const std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    if (skip_cut_line) {
      const std::size_t nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        pending_at = pos;
        continue;
      }
      start = nl + 1;
      pending_at += static_cast<std::int64_t>(start);
      skip_cut_line = false;
    }
    while (start < chunk.size()) {
      const std::size_t nl = chunk.find('\n', start);
      const std::size_t end = nl == std::string_view::npos ? chunk.size() : nl;
      pending.append(chunk.substr(start, end - start));
      // A line over the bound leaves in pieces of max_line.
      while (pending.size() >= options_.max_line && (nl == std::string_view::npos || pending.size() > options_.max_line)) {
        emit(std::string_view(pending).substr(0, options_.max_line), pending_at);
        pending_at += static_cast<std::int64_t>(options_.max_line);
        pending.erase(0, options_.max_line);
      }
      if (nl == std::string_view::npos) break;
      std::string_view line(pending);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      emit(line, pending_at);
      pending_at += static_cast<std::int64_t>(pending.size()) + 1;
      pending.clear();
      start = nl + 1;
      if (batch.size() >= options_.batch_lines) SHOAL_RETURN_IF_ERROR(flush(pending_at));
    }
  }
  if (ended && !pending.empty()) {
    emit(pending, pending_at);
    pending_at += static_cast<std::int64_t>(pending.size());
    pending.clear();
  }
  if (!batch.empty() || pending_at != cur.position) SHOAL_RETURN_IF_ERROR(flush(pending_at));

  // Bounded on disk: free what is shipped.
  const std::int64_t shipped = cur.position;
  const bool all_shipped = shipped == size && pending.empty();
  if (ended && all_shipped && now_us - static_cast<std::int64_t>(st.st_mtime) * 1000000 >= options_.ended_grace * 1000000) {
    ::unlink(path.c_str());
    return stats;
  }
  // Strictly below the shipped position, so the first byte after a hole is
  // never the start of a line still to ship (see the re-read above).
  const std::int64_t freeable = shipped > 0 ? (shipped - 1) / 4096 * 4096 : 0;
  if (freeable - tail.punched >= options_.punch_every) {
    if (::fallocate(f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, freeable) == 0) {
      tail.punched = freeable;
    } else if ((errno == EOPNOTSUPP || errno == ENOSYS) && all_shipped && size >= options_.truncate_at) {
      struct stat again {};
      // Last look: a line written since the read would be lost by truncating.
      if (::fstat(f.fd, &again) == 0 && again.st_size == size && ::ftruncate(f.fd, 0) == 0) {
        LogCursor next = cur;
        next.base += next.position;
        next.position = 0;
        Result<std::int64_t> moved = store_->Append({}, {next});
        if (!moved.ok()) return moved.status();
        cur = next;
      }
    }
  }
  return stats;
}

}  // namespace shoal
