#include "adapters/local/syslog_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

namespace shoal {
namespace {

// Datagrams drained per wake-up before the batch is written: bounds the
// batch (at most this many * kMaxSyslogDatagram bytes) and the time the
// stop flag goes unchecked.
constexpr int kDatagramsPerWrite = 256;

// Writes what is left of `data` from *done on, retrying short writes and
// EINTR; false (errno set) when the file refuses more, *done saying how far
// it got.
bool AppendAll(int fd, const std::string& data, std::size_t* done) {
  while (*done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + *done, data.size() - *done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    *done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string SyslogSocketPath(const std::string& instance_dir) {
  const std::string path = instance_dir + "/" + std::string(kSyslogSocketName);
  return path.size() < sizeof(sockaddr_un{}.sun_path) ? path : std::string(kSyslogSocketName);
}

std::string SyslogDatagramLines(std::string_view datagram) {
  std::size_t end = datagram.size();
  while (end > 0 && (datagram[end - 1] == '\0' || datagram[end - 1] == '\n' || datagram[end - 1] == '\r')) --end;
  if (end == 0) return "";
  std::string out(datagram.substr(0, end));
  out += '\n';
  return out;
}

int SyslogSeverityOf(std::string_view text) {
  // "<" 1-3 digits ">" with a value of at most 191 (facility 23, severity 7).
  if (text.size() < 3 || text[0] != '<') return -1;
  int value = 0;
  std::size_t i = 1;
  for (; i < text.size() && i <= 3 && text[i] >= '0' && text[i] <= '9'; ++i) value = value * 10 + (text[i] - '0');
  if (i == 1 || i >= text.size() || text[i] != '>' || value > 191) return -1;
  if (i > 2 && text[1] == '0') return -1;  // RFC 5424: no leading zeros
  return value % 8;
}

Status RunSyslogRelay(const SyslogRelayOptions& options, const std::atomic<bool>& stop) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(options.socket_fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) {
    return Status::InvalidArgument("descriptor " + std::to_string(options.socket_fd) +
                                   " is not a datagram socket: the launcher hands the relay a bound one");
  }
  const int out = ::open(options.out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Status::IoError("cannot open " + options.out_path + ": " + std::strerror(errno));
  std::vector<char> buf(kMaxSyslogDatagram);
  std::string batch;
  std::size_t written = 0;  // of batch
  bool failing = false;
  while (!stop.load()) {
    if (written < batch.size()) {
      // The file refused the last batch (disk full): keep it and read
      // nothing new, so that senders block on the full socket queue instead
      // of messages being dropped; try again in a second.
      if (!AppendAll(out, batch, &written)) {
        ::usleep(1000 * 1000);
        continue;
      }
      std::cerr << "shoal syslog-relay: appending to " << options.out_path << " again" << std::endl;
      failing = false;
    }
    pollfd p{options.socket_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 200);
    if (ready < 0 && errno != EINTR) {
      const Status s = Status::IoError(std::string("poll: ") + std::strerror(errno));
      ::close(out);
      return s;
    }
    if (ready <= 0) continue;
    batch.clear();
    written = 0;
    for (int i = 0; i < kDatagramsPerWrite; ++i) {
      const ssize_t n = ::recv(options.socket_fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) break;  // EAGAIN: drained (other errors: nothing to read either)
      batch += SyslogDatagramLines(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
    if (!AppendAll(out, batch, &written) && !failing) {
      // Said once per failure run, on stderr (which the collector ships too).
      std::cerr << "shoal syslog-relay: cannot append to " << options.out_path << ": " << std::strerror(errno)
                << " (holding " << batch.size() - written << " bytes, senders wait)" << std::endl;
      failing = true;
    }
  }
  ::close(out);
  return Status::Ok();
}

}  // namespace shoal
