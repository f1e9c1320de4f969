// The structured log: one line per event, an event name plus key=value
// fields, stamped by the adapter with the injected clock (so a simulation's
// log for one seed can be diffed against another run). The controller, the
// adapters and the daemon log through this port; core never logs.
//
//   LogWarn(log, "launch_failed").With("group", g).With("code", code).With("error", msg);
//
// The line is written when the builder goes out of scope. A null Logger*
// drops it, so code that may run without a log needs no checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace shoal {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

constexpr std::string_view ToString(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

struct LogField {
  std::string key;
  std::string value;
};

struct LogEvent {
  LogLevel level = LogLevel::kInfo;
  std::string event;
  std::vector<LogField> fields;
};

class Logger {
 public:
  virtual ~Logger() = default;
  // Thread-safe in every adapter: the daemon logs from several threads.
  virtual void Write(const LogEvent& event) = 0;
};

// Builds one event and writes it on destruction.
class LogLine {
 public:
  LogLine(Logger* logger, LogLevel level, std::string_view event) : logger_(logger) {
    if (logger_ != nullptr) {
      event_.level = level;
      event_.event = std::string(event);
    }
  }
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  ~LogLine() {
    if (logger_ != nullptr) logger_->Write(event_);
  }

  LogLine& With(std::string_view key, std::string_view value) {
    if (logger_ != nullptr) event_.fields.push_back({std::string(key), std::string(value)});
    return *this;
  }
  LogLine& With(std::string_view key, const char* value) { return With(key, std::string_view(value)); }
  LogLine& With(std::string_view key, const std::string& value) { return With(key, std::string_view(value)); }
  LogLine& With(std::string_view key, bool value) { return With(key, value ? "true" : "false"); }
  template <typename T>
  LogLine& With(std::string_view key, T number)
    requires std::is_arithmetic_v<T>
  {
    if (logger_ != nullptr) event_.fields.push_back({std::string(key), std::to_string(number)});
    return *this;
  }

 private:
  Logger* logger_;
  LogEvent event_;
};

inline LogLine LogDebug(Logger* l, std::string_view event) { return {l, LogLevel::kDebug, event}; }
inline LogLine LogInfo(Logger* l, std::string_view event) { return {l, LogLevel::kInfo, event}; }
inline LogLine LogWarn(Logger* l, std::string_view event) { return {l, LogLevel::kWarn, event}; }
inline LogLine LogError(Logger* l, std::string_view event) { return {l, LogLevel::kError, event}; }

// Keeps every event in memory: the simulator's log (printed for a failing
// seed) and tests that assert what was logged.
class MemoryLogger final : public Logger {
 public:
  void Write(const LogEvent& event) override { events_.push_back(event); }
  const std::vector<LogEvent>& events() const { return events_; }

 private:
  std::vector<LogEvent> events_;
};

}  // namespace shoal
