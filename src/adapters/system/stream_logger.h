// The daemon's log: logfmt lines on a stream (stderr by default), one per
// event, stamped with the injected clock:
//   time=2026-12-02T07:30:00Z level=warn event=launch_failed group=web code=unavailable error="..."
// Values with spaces, quotes, '=' or control characters are quoted and
// escaped, so a line never breaks and a field never smuggles in another.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>

#include "ports/clock.h"
#include "ports/log.h"

namespace shoal {

class StreamLogger final : public Logger {
 public:
  // `out` must outlive the logger; events below `min_level` are dropped.
  StreamLogger(const Clock* clock, std::ostream* out, LogLevel min_level = LogLevel::kInfo);
  void Write(const LogEvent& event) override;

 private:
  const Clock* clock_;
  std::ostream* out_;
  LogLevel min_level_;
  std::mutex mu_;
};

// One logfmt line for `event` at `unix_seconds` (no trailing newline).
std::string FormatLogLine(std::int64_t unix_seconds, const LogEvent& event);

}  // namespace shoal
