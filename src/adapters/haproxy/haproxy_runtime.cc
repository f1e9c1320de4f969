// The Runtime API: HAProxy reads one command line per connection, answers in
// text and closes. Success is usually an empty answer; anything else is the
// error text, except the few confirmations listed below.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

constexpr int kIoTimeoutMs = 5000;  // a stuck HAProxy must not stall the reconcile loop forever

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \r\n\t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \r\n\t") - first + 1);
}

Status SysError(const std::string& what, const std::string& path) {
  return Status::IoError("haproxy stats socket " + path + ": " + what + ": " + std::strerror(errno));
}

// Closes the fd on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, kIoTimeoutMs);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

Status SendAll(int fd, const std::string& data, const std::string& path) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    if (!WaitFor(fd, POLLOUT)) return Status::IoError("haproxy stats socket " + path + ": send timed out");
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("send", path);
    sent += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> ReadToEnd(int fd, const std::string& path) {
  std::string answer;
  char buf[8192];
  while (true) {
    if (!WaitFor(fd, POLLIN)) return Status::IoError("haproxy stats socket " + path + ": answer timed out");
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SysError("read", path);
    if (n == 0) return answer;
    answer.append(buf, static_cast<std::size_t>(n));
  }
}

// `ok_answers` are HAProxy's confirmations; an empty answer is always fine.
Status Expect(const Result<std::string>& answer, const std::string& command,
              std::initializer_list<std::string_view> ok_answers = {}) {
  if (!answer.ok()) return answer.status();
  const std::string text = Trim(*answer);
  if (text.empty()) return Status::Ok();
  for (std::string_view ok : ok_answers) {
    if (text == ok) return Status::Ok();
  }
  return Status::Internal("haproxy refused '" + command + "': " + text);
}

std::string Target(const std::string& backend, const std::string& server) { return backend + "/" + server; }

}  // namespace

HaproxyRuntime::HaproxyRuntime(std::string socket_path) : socket_path_(std::move(socket_path)) {}

Result<std::string> HaproxyRuntime::Command(const std::string& command) const {
  sockaddr_un addr{};
  if (socket_path_.size() >= sizeof(addr.sun_path)) {
    return Status::InvalidArgument("haproxy stats socket path too long (max " +
                                   std::to_string(sizeof(addr.sun_path) - 1) + " bytes): " + socket_path_);
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return SysError("socket", socket_path_);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return SysError("connect", socket_path_);
  }
  SHOAL_RETURN_IF_ERROR(SendAll(fd.get(), command + "\n", socket_path_));
  return ReadToEnd(fd.get(), socket_path_);
}

Status HaproxyRuntime::AddServer(const std::string& backend, const std::string& server, const std::string& address,
                                 int port, const HaproxyBackend& check) {
  // 2.6 ignores default-server for runtime servers: every option goes here.
  const std::string target = Target(backend, server);
  const std::string add =
      "add server " + target + " " + address + ":" + std::to_string(port) + " " + ServerOptionsText(check);
  SHOAL_RETURN_IF_ERROR(Expect(Command(add), add, {"New server registered."}));
  const std::string enable = "enable health " + target;
  return Expect(Command(enable), enable);
}

Status HaproxyRuntime::Ready(const std::string& backend, const std::string& server, bool wait_for_checks) {
  const std::string target = Target(backend, server);
  std::string command = "set server " + target + " state ready";
  // In one line so no request can slip in between: leaving MAINT makes the
  // server UP at once, and the forced DOWN has to follow it, not precede it.
  if (wait_for_checks) command += "; set server " + target + " health down";
  return Expect(Command(command), command);
}

Status HaproxyRuntime::Hold(const std::string& backend, const std::string& server, bool wait_for_checks) {
  const std::string target = Target(backend, server);
  // Out of MAINT straight into DRAIN: checked, sent no new request.
  std::string command = "set server " + target + " state drain";
  if (wait_for_checks) command += "; set server " + target + " health down";
  return Expect(Command(command), command);
}

Status HaproxyRuntime::SetState(const std::string& backend, const std::string& server, const std::string& state) {
  if (state != "ready" && state != "drain" && state != "maint") {
    return Status::InvalidArgument("server state must be ready, drain or maint, not '" + state + "'");
  }
  const std::string command = "set server " + Target(backend, server) + " state " + state;
  return Expect(Command(command), command);
}

Status HaproxyRuntime::DeleteServer(const std::string& backend, const std::string& server) {
  constexpr std::string_view kNoSuchServer = "No such server.";
  const std::string maint = "set server " + Target(backend, server) + " state maint";
  auto answer = Command(maint);
  if (answer.ok() && Trim(*answer) == kNoSuchServer) return Status::Ok();
  SHOAL_RETURN_IF_ERROR(Expect(answer, maint));
  const std::string del = "del server " + Target(backend, server);
  answer = Command(del);
  if (answer.ok() && Trim(*answer) == kNoSuchServer) return Status::Ok();
  return Expect(answer, del, {"Server deleted."});
}

Result<std::vector<ServerStat>> HaproxyRuntime::ShowStat() const {
  auto answer = Command("show stat");
  if (!answer.ok()) return answer.status();
  return ParseShowStat(*answer);
}

}  // namespace shoal
