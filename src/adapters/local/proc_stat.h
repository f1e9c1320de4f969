// Reading /proc/<pid>/stat: which process group a process belongs to, whether
// it is still alive (not a zombie), and the CPU it has used. The local
// provider's instances are process groups, so this is how it sees them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

struct ProcStat {
  int pid = 0;
  char state = '?';  // R, S, D, Z (zombie), X (dead), ...
  int pgrp = 0;
  std::uint64_t utime = 0;  // clock ticks
  std::uint64_t stime = 0;
  // Of children that exited and were waited for: a worker the service forked
  // and reaped keeps counting toward the group through its parent.
  std::uint64_t cutime = 0;
  std::uint64_t cstime = 0;
  std::uint64_t start_ticks = 0;  // since boot, in clock ticks

  bool Alive() const { return state != 'Z' && state != 'X'; }
};

// Parses one /proc/<pid>/stat line. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so the fields are
// counted from the LAST ')'.
std::optional<ProcStat> ParseProcStat(std::string_view line);

// Every process under `proc_root` (normally "/proc") that could be read.
std::vector<ProcStat> ScanProcesses(const std::string& proc_root = "/proc");

// The environment a process started with (/proc/<pid>/environ, NAME=value
// entries), or nothing when it cannot be read (gone, another user's).
std::optional<std::vector<std::string>> ReadProcEnviron(int pid, const std::string& proc_root = "/proc");

// One process, or nothing when it does not exist (any more).
std::optional<ProcStat> ReadProcStat(int pid, const std::string& proc_root = "/proc");

}  // namespace shoal
