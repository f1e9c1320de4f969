// The syslog daemon of a local instance (`shoal syslog-relay`). A real
// machine's programs log to syslog; a local instance's do the same through a
// datagram socket in its directory, DATA/instances/<id>/syslog.sock, whose
// path the instance gets as SHOAL_SYSLOG_SOCKET (`logger -u
// "$SHOAL_SYSLOG_SOCKET" …`, nginx's `syslog:server=unix:…`, rsyslog's
// omuxsock). The relay appends each datagram as a line to syslog.log beside
// stdout.log and stderr.log, and the daemon's log collector ships that file
// like the other two (stream "syslog"; same labels, rotation and dedup key).
//
// The launcher binds the socket before it starts the relay or any program of
// the instance, so nothing the instance logs can arrive before it exists, and
// hands the bound descriptor over. The relay runs in the instance's process
// group and cgroup: it lives exactly as long as the instance, and a daemon
// restart does not touch it. A datagram socket on Unix has flow control: a
// sender blocks while the relay's queue is full, so a burst is slowed, not
// dropped.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace shoal {

// Where an instance's programs send syslog: the socket in `instance_dir`, or
// its name relative to the instance's working directory (its directory) when
// the absolute path is longer than a Unix socket address can hold.
std::string SyslogSocketPath(const std::string& instance_dir);
inline constexpr std::string_view kSyslogSocketName = "syslog.sock";

// Longer datagrams are cut to this size (RFC 5426 lets receivers cap them;
// the collector cuts lines at 16 KiB anyway).
inline constexpr std::size_t kMaxSyslogDatagram = 64 * 1024;

// The bytes one datagram appends to the log file: its text with trailing NUL,
// CR and LF removed and one LF added; "" for a datagram with no text. A line
// break inside the text is kept (the collector stores each line).
std::string SyslogDatagramLines(std::string_view datagram);

// The severity (0-7) in a message's leading "<PRI>" (RFC 3164 and 5424), or
// -1 when the text does not start with a valid one.
int SyslogSeverityOf(std::string_view text);

struct SyslogRelayOptions {
  int socket_fd = -1;    // a bound AF_UNIX SOCK_DGRAM socket
  std::string out_path;  // appended to (O_APPEND), created if missing
};

// Relays until `stop` is set (checked at least every 200 ms; every second
// while the file refuses writes). A batch the file refuses (disk full) is
// said once on stderr, held, and retried every second while nothing new is
// read, so senders wait instead of losing messages. The only errors
// returned are those that make relaying impossible: not a datagram socket,
// the file cannot be opened at the start, poll fails.
Status RunSyslogRelay(const SyslogRelayOptions& options, const std::atomic<bool>& stop);

}  // namespace shoal
