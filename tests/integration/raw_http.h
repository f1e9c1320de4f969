// Raw HTTP on loopback sockets, for tests that must behave as no well-made
// client does: trickle a request byte by byte, announce a body and never
// send it, hold connections open. Each call has its own deadline.
#pragma once

#include <chrono>
#include <string>

namespace shoal::testing {

// A TCP connection to 127.0.0.1:port (closed by the destructor).
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends all of `bytes`; false when the peer closed or reset the connection.
  bool Send(const std::string& bytes);
  // Reads until the peer closes, `limit` bytes arrived or `timeout` passed.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout, std::size_t limit = 1 << 20);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The resident set size of a process in KiB (VmRSS), or -1.
long RssKib(int pid);
// How many file descriptors a process has open, or -1.
int OpenFds(int pid);

}  // namespace shoal::testing
