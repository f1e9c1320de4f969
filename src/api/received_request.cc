#include "api/received_request.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

namespace shoal {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::pair<std::string, int> AddressOf(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    return {text, ntohs(a->sin_port)};
  }
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
    return {text, ntohs(a->sin6_port)};
  }
  return {"", 0};
}

std::pair<std::string, int> PeerOf(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {"", 0};
  return AddressOf(addr);
}

ReceivedRequestStream::ReceivedRequestStream(int fd, const std::string& request, std::string peer_ip, int peer_port,
                                             milliseconds write_timeout)
    : fd_(fd), request_(request), peer_ip_(std::move(peer_ip)), peer_port_(peer_port), write_timeout_(write_timeout) {}

ssize_t ReceivedRequestStream::read(char* ptr, size_t size) {
  const std::size_t n = std::min(size, request_.size() - pos_);
  std::memcpy(ptr, request_.data() + pos_, n);
  pos_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ReceivedRequestStream::write(const char* ptr, size_t size) {
  if (!deadline_) deadline_ = Clock::now() + write_timeout_;
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = send(fd_, ptr + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && WaitWritable()) {
      continue;
    } else {
      return -1;
    }
  }
  return static_cast<ssize_t>(size);
}

void ReceivedRequestStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_ip_;
  port = peer_port_;
}

void ReceivedRequestStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
  std::tie(ip, port) = AddressOf(addr);
}

bool ReceivedRequestStream::WaitWritable() const {
  if (!deadline_) deadline_ = Clock::now() + write_timeout_;
  const auto left = std::chrono::duration_cast<milliseconds>(*deadline_ - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd_, POLLOUT, 0};
  return poll(&p, 1, static_cast<int>(left)) > 0 && (p.revents & POLLOUT) != 0 &&
         (p.revents & (POLLERR | POLLHUP)) == 0;
}

}  // namespace shoal
