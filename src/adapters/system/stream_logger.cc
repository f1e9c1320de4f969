#include "adapters/system/stream_logger.h"

#include <ostream>
#include <string>

#include "adapters/data/iso_time.h"

namespace shoal {
namespace {

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void AppendValue(std::string& out, std::string_view v) {
  if (!NeedsQuotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < ' ' || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::string FormatLogLine(std::int64_t unix_seconds, const LogEvent& event) {
  std::string line = "time=" + FormatIsoUtc(unix_seconds) + " level=" + std::string(ToString(event.level)) +
                     " event=";
  AppendValue(line, event.event);
  for (const LogField& f : event.fields) {
    line += ' ';
    line += f.key;
    line += '=';
    AppendValue(line, f.value);
  }
  return line;
}

StreamLogger::StreamLogger(const Clock* clock, std::ostream* out, LogLevel min_level)
    : clock_(clock), out_(out), min_level_(min_level) {}

void StreamLogger::Write(const LogEvent& event) {
  if (event.level < min_level_) return;
  const std::string line = FormatLogLine(clock_->Now(), event) + "\n";
  std::lock_guard lock(mu_);
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  out_->flush();
}

}  // namespace shoal
