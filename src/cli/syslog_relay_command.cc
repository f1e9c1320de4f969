#include "cli/syslog_relay_command.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include "adapters/local/syslog_relay.h"

namespace shoal {
namespace {

struct RelayArgs {
  int socket_fd = -1;
  std::string socket_path;
  std::string out;
};

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

// --socket PATH: bind it here (for running the relay by hand; the launcher
// passes a bound descriptor instead).
int BindSocket(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    std::cerr << "shoal syslog-relay: --socket " << path << " is longer than a Unix socket path may be ("
              << sizeof(addr.sun_path) - 1 << " bytes): use a shorter one" << std::endl;
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::cerr << "shoal syslog-relay: cannot bind " << path << ": " << std::strerror(errno)
              << (errno == EADDRINUSE ? " (remove the file if no relay uses it)" : "") << std::endl;
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

int Run(const RelayArgs& a) {
  SyslogRelayOptions options;
  options.out_path = a.out;
  options.socket_fd = a.socket_path.empty() ? a.socket_fd : BindSocket(a.socket_path);
  if (options.socket_fd < 0) return 1;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;  // no SA_RESTART: poll returns at once
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const Status done = RunSyslogRelay(options, g_stop);
  if (!a.socket_path.empty()) ::unlink(a.socket_path.c_str());
  if (!done.ok()) {
    std::cerr << "shoal syslog-relay: " << done.message() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace

void AddSyslogRelayCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RelayArgs>();
  CLI::App* cmd = app.add_subcommand(
      "syslog-relay", "A local instance's syslog daemon: append each datagram from its socket to a log file");
  CLI::Option* fd = cmd->add_option("--socket-fd", args->socket_fd,
                                    "a bound datagram socket inherited as this descriptor (how the launcher starts it)")
                        ->check(CLI::Range(0, 1 << 20));
  CLI::Option* path = cmd->add_option("--socket", args->socket_path, "bind this Unix datagram socket path instead");
  fd->excludes(path);
  path->excludes(fd);
  cmd->add_option("--out", args->out, "the file each datagram is appended to as one line")->required();
  cmd->callback([args, fd, path, exit_code] {
    if (fd->count() == 0 && path->count() == 0) {
      throw CLI::RequiredError("--socket-fd or --socket");
    }
    *exit_code = Run(*args);
  });
}

}  // namespace shoal
