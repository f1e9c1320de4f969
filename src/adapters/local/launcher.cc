#include "adapters/local/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "adapters/local/syslog_relay.h"

extern char** environ;

namespace shoal {
namespace {

// ---- Parent side: freezing the plan into the arrays execve wants. ----

struct FrozenExec {
  const ExecSpec* spec = nullptr;
  std::vector<char*> argv;
};

FrozenExec Freeze(const ExecSpec& spec) {
  FrozenExec f;
  f.spec = &spec;
  for (const std::string& a : spec.args) f.argv.push_back(const_cast<char*>(a.c_str()));
  f.argv.push_back(nullptr);
  return f;
}

struct Frozen {
  const LauncherPlan* plan = nullptr;
  std::vector<char*> envp;
  std::optional<FrozenExec> agent;
  std::optional<FrozenExec> syslog_relay;
  sockaddr_un syslog_address{};  // the relay's socket, relative to the instance's directory
  std::vector<FrozenExec> provision;
  FrozenExec command;
  int ready_fd = -1;  // the child writes one byte once it leads its own session
};

// ---- Child side: system calls only, no allocation. ----

// A message built in a fixed buffer (truncated if ever too long).
class Message {
 public:
  Message& Add(const char* s) {
    while (*s != '\0' && len_ + 1 < sizeof(buf_)) buf_[len_++] = *s++;
    buf_[len_] = '\0';
    return *this;
  }
  Message& Add(long v) {
    char digits[24];
    int n = 0;
    const bool negative = v < 0;
    unsigned long u = negative ? 0UL - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
    do {
      digits[n++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (negative) Add("-");
    char one[2] = {0, 0};
    while (n > 0) {
      one[0] = digits[--n];
      Add(one);
    }
    return *this;
  }
  Message& AddErrno(int err) {
    const char* name = strerrorname_np(err);  // a static string: safe after fork
    return name != nullptr ? Add(name) : Add("errno ").Add(static_cast<long>(err));
  }
  const char* data() const { return buf_; }
  std::size_t size() const { return len_; }

 private:
  char buf_[2048] = {};
  std::size_t len_ = 0;
};

void WriteAll(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void Log(const Message& m) {
  WriteAll(2, m.data(), m.size());
  WriteAll(2, "\n", 1);
}

[[noreturn]] void Fail(const Frozen& f, const Message& reason, int code) {
  Log(Message().Add("shoal launcher: ").Add(reason.data()));
  // Written whole (temp + rename): the daemon never reads half a reason.
  Message tmp;
  tmp.Add(f.plan->failed_path.c_str()).Add(".tmp");
  const int fd = ::open(tmp.data(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    WriteAll(fd, reason.data(), reason.size());
    WriteAll(fd, "\n", 1);
    ::close(fd);
    ::rename(tmp.data(), f.plan->failed_path.c_str());
  }
  _exit(code);
}

long MonotonicMillis() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Forks a child of the launcher (same process group) that execs `e`.
pid_t ForkExec(const Frozen& f, const FrozenExec& e) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execve(e.spec->path.c_str(), e.argv.data(), f.envp.data());
    Log(Message().Add("shoal launcher: cannot run ").Add(e.spec->path.c_str()).Add(": ").AddErrno(errno));
    _exit(127);
  }
  return pid;
}

// Binds the instance's syslog socket (in its directory, the current one) and
// starts the relay with it as descriptor kSyslogRelayFd. Before any program
// of the instance runs, so none can log before the socket exists. A failure
// is logged and the instance runs without syslog.
void StartSyslogRelay(const Frozen& f) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    Log(Message().Add("shoal launcher: no syslog socket: ").AddErrno(errno));
    return;
  }
  ::unlink(f.syslog_address.sun_path);  // left by an earlier run of this directory
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&f.syslog_address), sizeof(f.syslog_address)) != 0) {
    Log(Message().Add("shoal launcher: cannot bind the syslog socket: ").AddErrno(errno));
    ::close(fd);
    return;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    // dup2 clears close-on-exec on the copy; a descriptor that already has
    // the number keeps its flag, so clear it by hand then.
    if (fd == kSyslogRelayFd) {
      ::fcntl(fd, F_SETFD, 0);
    } else if (::dup2(fd, kSyslogRelayFd) < 0) {
      _exit(127);
    }
    ::execve(f.syslog_relay->spec->path.c_str(), f.syslog_relay->argv.data(), f.envp.data());
    Log(Message().Add("shoal launcher: cannot run the syslog relay: ").AddErrno(errno));
    _exit(127);
  }
  if (pid < 0) Log(Message().Add("shoal launcher: cannot start the syslog relay: ").AddErrno(errno));
  ::close(fd);  // the instance's programs do not inherit it (close-on-exec anyway)
}

void RunProvisionStep(const Frozen& f, const FrozenExec& step, long deadline_ms) {
  const pid_t pid = ForkExec(f, step);
  if (pid < 0) Fail(f, Message().Add(step.spec->label.c_str()).Add(": fork failed: ").AddErrno(errno), 1);
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      Fail(f, Message().Add(step.spec->label.c_str()).Add(": waitpid failed: ").AddErrno(errno), 1);
    }
    if (MonotonicMillis() > deadline_ms) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      Fail(f,
           Message()
               .Add(step.spec->label.c_str())
               .Add(" did not finish within the provision timeout (")
               .Add(static_cast<long>(f.plan->provision_timeout))
               .Add("s)"),
           1);
    }
    const timespec pause{0, 20 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  Message m;
  m.Add(step.spec->label.c_str());
  if (WIFEXITED(status)) {
    m.Add(" exited with status ").Add(static_cast<long>(WEXITSTATUS(status)));
    if (WEXITSTATUS(status) == 127) m.Add(" (127: it could not be run, see stderr.log)");
  } else {
    m.Add(" was killed by signal ").Add(static_cast<long>(WTERMSIG(status)));
  }
  Fail(f, m, 1);
}

void RedirectTo(const char* path, int target, int flags) {
  const int fd = ::open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) return;  // keep the inherited one rather than fail the instance
  ::dup2(fd, target);  // dup2 clears FD_CLOEXEC on the copy
  ::close(fd);
}

void JoinCgroup(const std::string& procs) {
  if (procs.empty()) return;
  const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  // "0" means the writing process, so no pid needs formatting.
  if (fd < 0 || ::write(fd, "0", 1) != 1) {
    Log(Message()
            .Add("shoal launcher: cannot join cgroup ")
            .Add(procs.c_str())
            .Add(": ")
            .AddErrno(errno)
            .Add(" (running without a CPU quota)"));
  }
  if (fd >= 0) ::close(fd);
}

[[noreturn]] void RunLauncher(const Frozen& f) {
  const LauncherPlan& p = *f.plan;
  ::setsid();
  WriteAll(f.ready_fd, "r", 1);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ignored signals stay ignored across exec: give the service defaults.
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
    ::signal(sig, SIG_DFL);
  }
  RedirectTo("/dev/null", 0, O_RDONLY);
  RedirectTo(p.stdout_path.c_str(), 1, O_WRONLY | O_CREAT | O_APPEND);
  RedirectTo(p.stderr_path.c_str(), 2, O_WRONLY | O_CREAT | O_APPEND);
  ::close_range(3, ~0U, 0);
  if (::chdir(p.dir.c_str()) != 0) Fail(f, Message().Add("cannot enter ").Add(p.dir.c_str()), 1);
  JoinCgroup(p.cgroup_procs);
  if (f.syslog_relay) StartSyslogRelay(f);
  if (f.agent && ForkExec(f, *f.agent) < 0) {
    Log(Message().Add("shoal launcher: cannot start the agent: ").AddErrno(errno));
  }
  const long deadline = MonotonicMillis() + static_cast<long>(p.provision_timeout) * 1000;
  for (const FrozenExec& step : f.provision) RunProvisionStep(f, step, deadline);
  const int health = ::open(p.health_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (health < 0)
    Fail(f, Message().Add("cannot write ").Add(p.health_path.c_str()).Add(": ").AddErrno(errno), 1);
  ::close(health);
  ::execve(f.command.spec->path.c_str(), f.command.argv.data(), f.envp.data());
  Fail(f, Message().Add(f.command.spec->label.c_str()).Add(" could not start: ").AddErrno(errno), 127);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string ExpandPlaceholders(std::string_view arg, const Placeholders& p) {
  const std::pair<std::string_view, const std::string*> keys[] = {
      {"{port}", &p.port}, {"{dir}", &p.dir}, {"{id}", &p.id}, {"{release}", &p.release}, {"{version}", &p.version}};
  std::string out;
  std::size_t i = 0;
  while (i < arg.size()) {
    bool replaced = false;
    for (const auto& [key, value] : keys) {
      if (arg.substr(i, key.size()) == key) {
        out += *value;
        i += key.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += arg[i++];
  }
  return out;
}

std::vector<std::string> ExpandArgv(const std::vector<std::string>& argv, const Placeholders& p) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (const std::string& a : argv) out.push_back(ExpandPlaceholders(a, p));
  return out;
}

std::vector<std::string> MergeEnv(const std::vector<std::string>& base,
                                  const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> out;
  for (const std::string& kv : base) {
    const std::string name = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (const auto& [k, v] : extra) overridden = overridden || k == name;
    if (!overridden) out.push_back(kv);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

std::vector<std::string> CurrentEnviron() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
  return out;
}

Result<std::string> ResolveExecutable(const std::string& name, const std::string& path_list,
                                      const std::string& where, bool may_appear_later) {
  if (name.empty()) return Status::InvalidArgument(where + ": the command is empty");
  if (name.find('/') != std::string::npos) {
    if (name[0] == '/' && !may_appear_later && !IsExecutableFile(name)) {
      return Status::NotFound("command \"" + name + "\" does not exist or is not executable: check " + where);
    }
    return name;
  }
  std::size_t start = 0;
  while (start <= path_list.size()) {
    std::size_t end = path_list.find(':', start);
    if (end == std::string::npos) end = path_list.size();
    const std::string dir = end > start ? path_list.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
    start = end + 1;
  }
  return Status::NotFound("command \"" + name + "\" not found in PATH (" + path_list + "): check " + where);
}

Result<int> SpawnLauncher(const LauncherPlan& plan) {
  Frozen f;
  f.plan = &plan;
  for (const std::string& kv : plan.env) f.envp.push_back(const_cast<char*>(kv.c_str()));
  f.envp.push_back(nullptr);
  if (plan.agent) f.agent = Freeze(*plan.agent);
  if (plan.syslog_relay) {
    f.syslog_relay = Freeze(*plan.syslog_relay);
    f.syslog_address.sun_family = AF_UNIX;
    std::strncpy(f.syslog_address.sun_path, std::string(kSyslogSocketName).c_str(),
                 sizeof(f.syslog_address.sun_path) - 1);
  }
  for (const ExecSpec& step : plan.provision) f.provision.push_back(Freeze(step));
  f.command = Freeze(plan.command);

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return Status::IoError(std::string("pipe: ") + std::strerror(errno));
  f.ready_fd = ready[1];
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(ready[0]);
    ::close(ready[1]);
    return Status::IoError(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) RunLauncher(f);
  ::close(ready[1]);
  // Wait until the child leads its own process group, so that a Terminate
  // right after Launch reaches it (kill(-pgid) before setsid would miss).
  char byte = 0;
  while (::read(ready[0], &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(ready[0]);
  return static_cast<int>(pid);
}

}  // namespace shoal
