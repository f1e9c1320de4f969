// A request the API's connection reader received whole, handed to a worker
// as the stream cpp-httplib parses and answers: reads come from the received
// bytes, writes go to the client's socket within a write timeout.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <httplib.h>

namespace shoal {

// The numeric address and port of a socket address ("", 0 for other families).
std::pair<std::string, int> AddressOf(const sockaddr_storage& addr);
// The peer of a connected socket ("", 0 when it cannot be read).
std::pair<std::string, int> PeerOf(int fd);

// The whole answer must be written within `write_timeout` of its first byte;
// the handler's own time does not count. `request` must outlive the stream.
class ReceivedRequestStream final : public httplib::Stream {
 public:
  ReceivedRequestStream(int fd, const std::string& request, std::string peer_ip, int peer_port,
                        std::chrono::milliseconds write_timeout);

  bool is_readable() const override { return pos_ < request_.size(); }
  bool is_writable() const override { return WaitWritable(); }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  bool WaitWritable() const;

  int fd_;
  const std::string& request_;
  std::size_t pos_ = 0;
  std::string peer_ip_;
  int peer_port_;
  std::chrono::milliseconds write_timeout_;
  mutable std::optional<std::chrono::steady_clock::time_point> deadline_;  // set by the first write
};

}  // namespace shoal
