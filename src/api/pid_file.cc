#include "api/pid_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "adapters/local/proc_stat.h"

namespace shoal {
namespace {

// argv of a process, from /proc/PID/cmdline (NUL-separated).
std::vector<std::string> CommandLine(pid_t pid, const std::string& proc_root) {
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  std::string arg;
  while (std::getline(in, arg, '\0')) argv.push_back(arg);
  return argv;
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out.size() > 120 ? out.substr(0, 120) + "…" : out;
}

bool RunsShoalServe(const std::vector<std::string>& argv) {
  if (argv.size() < 2 || argv[1] != "serve") return false;
  const std::string name = argv[0].substr(argv[0].rfind('/') + 1);
  return name.rfind("shoal", 0) == 0;
}

}  // namespace

Status WritePidFile(const std::string& path, const std::string& proc_root) {
  const pid_t self = getpid();
  const std::optional<ProcStat> st = ReadProcStat(self, proc_root);
  if (!st) return Status::IoError("cannot read " + proc_root + "/" + std::to_string(self) + "/stat");
  // Written whole to a temporary name and renamed: down never reads half a file.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << self << " " << st->start_ticks << "\n";
    if (!out.flush()) return Status::IoError("cannot write the pid file '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot rename '" + tmp + "' to '" + path + "'");
  }
  return Status::Ok();
}

PidFileOwner CheckPidFile(const std::string& path, const std::string& proc_root) {
  PidFileOwner owner;
  std::ifstream in(path);
  if (!in) return owner;
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line);
  long long pid = 0;
  if (!(fields >> pid) || pid <= 1 || pid > 1 << 30) {
    owner.verdict = PidFileOwner::Verdict::kUnreadable;
    owner.why = "it holds '" + line.substr(0, 40) + "', not a pid";
    return owner;
  }
  owner.pid = static_cast<pid_t>(pid);
  unsigned long long start_ticks = 0;
  const bool has_start = static_cast<bool>(fields >> start_ticks);
  const std::optional<ProcStat> st = ReadProcStat(owner.pid, proc_root);
  if (!st || !st->Alive()) {
    owner.verdict = PidFileOwner::Verdict::kGone;
    return owner;
  }
  const std::vector<std::string> argv = CommandLine(owner.pid, proc_root);
  if (has_start ? st->start_ticks == start_ticks : RunsShoalServe(argv)) {
    owner.verdict = PidFileOwner::Verdict::kDaemon;
    return owner;
  }
  owner.verdict = PidFileOwner::Verdict::kOther;
  owner.why = (has_start ? "it started at another time than the daemon that wrote the file"
                         : "it is not `shoal serve`") +
              std::string(": it runs '") + Joined(argv) + "'";
  return owner;
}

}  // namespace shoal
