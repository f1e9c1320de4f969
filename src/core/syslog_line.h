// RFC 5424 syslog framing for instance log lines: a pure formatter and
// parser (no I/O). The central log store keeps each line with its labels;
// this is how a line leaves Shoal (the API's "syslog" field, and later
// Kafka/rsyslog) and how a framed line is read back.
//
//   <134>1 2026-12-03T09:48:45.123456Z 00000000000000a3 web 00000000000000a3 stdout
//       [shoal@32473 group="web" instance="00000000000000a3" pool="spot-a" release="3" stream="stdout"
//       offset="1024"] GET / 200
//
// (one line). 32473 is the example enterprise number RFC 5612 reserves for
// documentation; the SD-ID is private to Shoal. Structured-data values are
// escaped as RFC 5424 §6.3.3 says: '"', '\' and ']' get a backslash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal {

inline constexpr std::string_view kShoalSdId = "shoal@32473";

struct SdElement {
  std::string id;
  std::vector<std::pair<std::string, std::string>> params;
};

struct SyslogMessage {
  int facility = 16;  // local0
  int severity = 6;   // informational
  std::int64_t time_us = 0;  // microseconds since the Unix epoch, UTC
  std::string hostname;      // "" = NILVALUE
  std::string app_name;
  std::string proc_id;
  std::string msg_id;
  std::vector<SdElement> structured_data;
  std::string msg;

  // The value of `name` in the element `id`, if present.
  std::optional<std::string> Param(std::string_view id, std::string_view name) const;
};

// "2026-12-03T09:48:45.123456Z".
std::string FormatRfc3339Micros(std::int64_t time_us);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)" (up to 6 fraction digits).
std::optional<std::int64_t> ParseRfc3339Micros(std::string_view text);

// Escapes '"', '\' and ']' with a backslash (RFC 5424 §6.3.3).
std::string EscapeSdValue(std::string_view value);

// One line, no trailing newline. Header fields are made valid (printable
// US-ASCII, RFC 5424's length limits, "" -> "-"); SD names too. A newline in
// `msg` is kept as is: framing by octet count (RFC 6587) is the carrier's job.
std::string FormatSyslog(const SyslogMessage& m);

// The message `line` frames, or nullopt with *error saying what is wrong.
std::optional<SyslogMessage> ParseSyslog(std::string_view line, std::string* error = nullptr);

}  // namespace shoal
