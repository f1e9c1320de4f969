// The daemon's pid file, DATA_DIR/shoal.pid: "PID START_TICKS", the pid and
// the process's start time (field 22 of /proc/PID/stat). A pid is reused once
// its process is gone; the pair is not, so `shoal down` signals the pid only
// when it is still this data dir's daemon, never whatever runs under it now.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/status.h"

namespace shoal {

// Writes the pid file for the calling process.
Status WritePidFile(const std::string& path, const std::string& proc_root = "/proc");

struct PidFileOwner {
  enum class Verdict {
    kNoFile,     // no pid file: no daemon runs (or it never started)
    kDaemon,     // the pid is the daemon that wrote the file
    kGone,       // no such process any more (a stale file)
    kOther,      // a live process that is not the daemon: never signal it
    kUnreadable, // the file does not hold a pid
  };
  Verdict verdict = Verdict::kNoFile;
  pid_t pid = 0;
  std::string why;  // for kOther and kUnreadable: what was found
};

// Reads the pid file and checks the process it names. A file with a pid and
// no start time (written by an older shoal) is trusted only when the process
// runs `shoal serve`.
PidFileOwner CheckPidFile(const std::string& path, const std::string& proc_root = "/proc");

}  // namespace shoal
