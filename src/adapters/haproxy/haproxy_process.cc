// Starting haproxy: the config is checked first (`haproxy -c`) so a bad one
// is reported with HAProxy's own words, then `haproxy -D` daemonises; the
// launcher's exit status says whether the listeners could be bound. Both
// write to a log file in run_dir, never to a pipe: the daemon would inherit
// the pipe and a reader would wait for an EOF that never comes.
//
// Replacing a running process (its services changed) is write-aside: the new
// config is written next to the running one and becomes haproxy.cfg only
// once a process runs it, the old process's server states are dumped to the
// state file the new one loads, and its sockets are handed over (-x), so a
// failed start leaves everything as it was.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kLaunchTimeout{10000};
constexpr milliseconds kSocketTimeout{5000};
constexpr milliseconds kStopTimeout{5000};
constexpr milliseconds kPollEvery{20};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot write " + path + ": " + ec.message());
  return Status::Ok();
}

// A pid names a live process (zombies count as dead: in a container whose
// init does not reap, a killed daemon stays a zombie forever).
bool Alive(int pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

bool IsHaproxy(int pid) {
  std::string comm = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm == "haproxy";
}

// Runs argv with stdout/stderr appended to `log_path`; the exit code, or -1
// on a timeout (the child is killed) or a failed fork.
int RunAndWait(const std::vector<std::string>& args, const std::string& log_path, milliseconds timeout) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // Only async-signal-safe calls until exec. Inherited descriptors (the
    // daemon's API sockets, test servers) must not leak into haproxy.
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close_range(3, ~0U, 0);
    // The daemon blocks its stop signals (it takes them with sigwait); the
    // mask survives exec, and haproxy must get its own.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    // ECHILD (SIGCHLD ignored by the embedding program) must not read as success.
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

bool WaitUntil(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(kPollEvery);
  }
  return true;
}

Status ValidateOptions(const HaproxyOptions& o) {
  if (o.run_dir.empty()) return Status::InvalidArgument("haproxy: run_dir is empty");
  if (o.run_dir.find_first_of(" \t\r\n\"'#") != std::string::npos) {
    return Status::InvalidArgument("haproxy: run_dir must not contain spaces, quotes or '#': " + o.run_dir);
  }
  std::set<std::string> names;
  std::set<int> ports;
  for (const HaproxyBackend& b : o.backends) {
    if (b.listen_port <= 0 || b.listen_port > 65535) {
      return Status::InvalidArgument("haproxy: service " + b.name + ": listen_port must be 1..65535");
    }
    if (!names.insert(SanitizeHaproxyName(b.name)).second) {
      return Status::InvalidArgument("haproxy: two services share the name " + SanitizeHaproxyName(b.name));
    }
    if (!ports.insert(b.listen_port).second) {
      return Status::InvalidArgument("haproxy: two services listen on port " + std::to_string(b.listen_port));
    }
    if (b.check_interval_ms <= 0 || b.rise <= 0 || b.fall <= 0) {
      return Status::InvalidArgument("haproxy: service " + b.name + ": check interval, rise and fall must be > 0");
    }
  }
  return Status::Ok();
}

std::string LogTail(const std::string& path, std::size_t from = 0) {
  constexpr std::size_t kMax = 2000;
  std::string text = ReadFile(path);
  text = from < text.size() ? text.substr(from) : "";
  return text.size() > kMax ? text.substr(text.size() - kMax) : text;
}

std::size_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::size_t>(size);
}

void RemoveFile(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// The config without its server lines: what decides whether a running
// process can be adopted (servers change at runtime, services do not).
std::string ServicesPart(const std::string& config) {
  std::istringstream in(config);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("    server ", 0) != 0) out += line + "\n";
  }
  return out;
}

// HAProxy's words for a listener it could not bind because the port is taken:
//   Binding [...] for frontend fe_api: cannot bind socket (Address already in use) for [127.0.0.1:8081]
// A kConflict naming the port and its service, or Ok when that is not the failure.
Status PortInUse(const std::string& log, const HaproxyOptions& options) {
  constexpr std::string_view kInUse = "cannot bind socket (Address already in use) for [127.0.0.1:";
  const auto at = log.find(kInUse);
  if (at == std::string::npos) return Status::Ok();
  const std::size_t start = at + kInUse.size();
  const int port = std::atoi(log.c_str() + start);
  std::string service = "?";
  for (const HaproxyBackend& b : options.backends) {
    if (b.listen_port == port) service = b.name;
  }
  const std::string line = log.substr(at, log.find('\n', at) - at);
  return Status::Conflict("listen_port " + std::to_string(port) + " of service '" + service +
                          "' is in use by another process: haproxy did not start (" + line + ")");
}

// Servers the running process shows, then the known ones it does not.
std::vector<HaproxyServer> Merge(std::vector<HaproxyServer> carried, const std::vector<HaproxyServer>& known) {
  std::set<std::pair<std::string, std::string>> have;
  for (const HaproxyServer& s : carried) have.insert({s.backend, s.name});
  for (const HaproxyServer& s : known) {
    if (have.insert({s.backend, s.name}).second) carried.push_back(s);
  }
  return carried;
}

}  // namespace

HaproxyProcess::HaproxyProcess(HaproxyOptions options) : options_(std::move(options)) {}
HaproxyProcess::~HaproxyProcess() = default;

std::string HaproxyProcess::socket_path() const { return options_.run_dir + "/haproxy.sock"; }
std::string HaproxyProcess::config_path() const { return options_.run_dir + "/haproxy.cfg"; }
std::string HaproxyProcess::pid_path() const { return options_.run_dir + "/haproxy.pid"; }
std::string HaproxyProcess::state_path() const { return options_.run_dir + "/haproxy.state"; }

int HaproxyProcess::RecordedPid() const {
  int pid = 0;
  std::istringstream(ReadFile(pid_path())) >> pid;
  return pid > 0 ? pid : 0;
}

int HaproxyProcess::Pid() const {
  const int pid = RecordedPid();
  return Alive(pid) && IsHaproxy(pid) ? pid : 0;
}

bool HaproxyProcess::Running() const { return Pid() != 0; }

Status HaproxyProcess::Start(const std::vector<HaproxyServer>& known) {
  SHOAL_RETURN_IF_ERROR(ValidateOptions(options_));
  if (::access(options_.haproxy_binary.c_str(), X_OK) != 0) {
    return Status::NotFound("haproxy binary " + options_.haproxy_binary +
                            " not found or not executable: install the haproxy package (apt-get install haproxy)");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.run_dir, ec);
  if (ec) return Status::IoError("cannot create " + options_.run_dir + ": " + ec.message());

  const int running = Pid();
  const std::string current = ReadFile(config_path());
  // A live haproxy with the same services is adopted: its runtime servers and
  // connections survive a daemon restart.
  if (running != 0 && ServicesPart(current) == ServicesPart(RenderConfig(options_))) {
    return WaitForSocket();
  }
  // The servers of the running process, with their states, go to the new one.
  std::vector<HaproxyServer> carried;
  std::string state;
  bool take_sockets = false;
  if (running != 0) {
    auto dump = HaproxyRuntime(socket_path()).Command("show servers state");
    auto servers = dump.ok() ? ParseServersState(*dump) : Result<std::vector<HaproxyServer>>(dump.status());
    if (servers.ok()) {
      carried = std::move(*servers);
      state = *dump;
      // Only a process started with `expose-fd listeners` hands its sockets over.
      take_sockets = current.find("expose-fd listeners") != std::string::npos;
    }
  }
  // A state file left from an earlier start must not apply to this one.
  RemoveFile(state_path());
  if (!state.empty()) SHOAL_RETURN_IF_ERROR(WriteFileAtomically(state_path(), state));
  const std::string next = config_path() + ".next";
  Status started = WriteFileAtomically(next, RenderConfig(options_, Merge(std::move(carried), known)));
  if (started.ok()) started = CheckConfig(next);
  if (started.ok()) started = Launch(next, running, take_sockets);
  RemoveFile(state_path());  // read once, at start
  if (!started.ok()) {
    RemoveFile(next);
    return started;
  }
  std::filesystem::rename(next, config_path(), ec);
  if (ec) return Status::IoError("cannot rename " + next + " to " + config_path() + ": " + ec.message());
  return WaitForSocket();
}

Status HaproxyProcess::CheckConfig(const std::string& path) const {
  const std::string log = options_.run_dir + "/haproxy-check.log";
  RemoveFile(log);
  const int code = RunAndWait({options_.haproxy_binary, "-c", "-f", path}, log, kLaunchTimeout);
  if (code == 0) return Status::Ok();
  return Status::InvalidArgument("haproxy rejected " + path + " (exit " + std::to_string(code) + "): " + LogTail(log));
}

Status HaproxyProcess::Launch(const std::string& config, int replaces, bool take_sockets) {
  const std::string log = options_.run_dir + "/haproxy.log";
  const std::size_t log_before = FileSize(log);
  std::vector<std::string> args = {options_.haproxy_binary, "-D", "-f", config, "-p", pid_path()};
  // A changed config replaces the old process softly: it stops listening and
  // finishes its requests. With -x the new one takes its listening sockets
  // instead of binding its own, so no connection is refused in between.
  if (replaces != 0) {
    if (take_sockets) {
      args.push_back("-x");
      args.push_back(socket_path());
    }
    args.push_back("-sf");
    args.push_back(std::to_string(replaces));
  }
  const int code = RunAndWait(args, log, kLaunchTimeout);
  if (code == 0) return Status::Ok();
  const std::string said = LogTail(log, log_before);
  SHOAL_RETURN_IF_ERROR(PortInUse(said, options_));
  return Status::IoError("haproxy did not start (exit " + std::to_string(code) + "); " + log + ": " + said);
}

Status HaproxyProcess::WaitForSocket() const {
  HaproxyRuntime runtime(socket_path());
  const bool up = WaitUntil(
      [&] {
        auto info = runtime.Command("show info");
        return info.ok() && info->find("Pid: " + std::to_string(Pid())) != std::string::npos;
      },
      kSocketTimeout);
  if (up) return Status::Ok();
  return Status::IoError("haproxy started but its stats socket " + socket_path() + " does not answer 'show info'");
}

Status HaproxyProcess::Stop() {
  const int pid = Pid();
  if (pid == 0) return Status::Ok();
  ::kill(pid, SIGTERM);
  if (!WaitUntil([&] { return !Alive(pid); }, kStopTimeout)) {
    ::kill(pid, SIGKILL);
    if (!WaitUntil([&] { return !Alive(pid); }, kStopTimeout)) {
      return Status::Internal("haproxy (pid " + std::to_string(pid) + ") survived SIGKILL");
    }
  }
  std::error_code ec;
  std::filesystem::remove(pid_path(), ec);
  return Status::Ok();
}

}  // namespace shoal
