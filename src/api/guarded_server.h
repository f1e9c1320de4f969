// The API's HTTP server: cpp-httplib's routing and parsing, behind a
// connection reader that no client can stall.
//
// cpp-httplib gives each connection a worker thread from the moment it is
// accepted, so a few clients trickling their headers one byte at a time held
// every worker and the whole API, /healthz included. Here one poll loop
// receives every request first — within a deadline, a read timeout and size
// limits, refusing a body that is too large from its Content-Length alone —
// and only a complete request goes to a worker. A slow client costs a socket
// and a buffer of at most max_head_bytes + max_body_bytes, never a worker.
//
// Connections are capped per client address and in total. At a cap, the
// oldest connection still sending its request (of that address, or of all)
// is cut to make room, so clients that hold connections open cannot lock
// others out; only when every connection is a complete request waiting for a
// worker is a new one refused (503). Every connection serves one request.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

#include "api/http_framing.h"
#include "ports/log.h"

namespace shoal {

struct ConnectionLimits {
  // From accept to the last byte of the request: a client that trickles is cut here.
  std::chrono::milliseconds request_deadline{10'000};
  // No byte for this long while the request is incomplete: cut.
  std::chrono::milliseconds read_timeout{5'000};
  // To write one answer; a client that does not read it is cut.
  std::chrono::milliseconds write_timeout{5'000};
  // After an early refusal (408, 413, ...), input is read and dropped this
  // long so the client sees the answer rather than a reset.
  std::chrono::milliseconds linger{1'000};
  FramingLimits framing;
  int max_connections = 128;
  int max_connections_per_client = 64;
  int workers = 8;
};

// Counts since start, for logs and tests.
struct ConnectionCounters {
  std::uint64_t accepted = 0;
  std::uint64_t served = 0;      // complete requests handed to a worker
  std::uint64_t timed_out = 0;   // 408: deadline or read timeout
  std::uint64_t refused = 0;     // 400/411/413/431 from the framing, 503 at a cap
  std::uint64_t evicted = 0;     // cut at a cap to make room
};

class GuardedServer final : public httplib::Server {
 public:
  // `log` may be null; it gets a summary line when clients were cut or refused.
  GuardedServer(const ConnectionLimits& limits, Logger* log);
  ~GuardedServer() override;

  // httplib's bind_to_port (port 0: any free port), with a listen backlog of
  // max_connections instead of httplib's 5, so a burst of connections is
  // queued by the kernel rather than dropped into SYN retries. The bound
  // port, or -1.
  int Bind(const std::string& host, int port);

  // After httplib's stop(): closes every connection, joins the reader and the
  // workers, and closes the listening socket if listen never ran.
  void Shutdown();
  ConnectionCounters counters() const;
  // Told of every answered request (routed, refused by a handler, or not
  // found) with the time from its last byte received to the answer written,
  // on the worker thread that served it. Set before listening.
  using RequestObserver = std::function<void(const httplib::Request&, const httplib::Response&, double seconds)>;
  void set_request_observer(RequestObserver observer);

 private:
  struct Loop;
  friend struct Loop;
  // Called by httplib's accept loop (on its thread, see the constructor):
  // hands the socket to the reader, which owns it from then on.
  bool process_and_close_socket(socket_t sock) override;
  void ServeOne(int fd, const std::string& request, const std::string& peer_ip, int peer_port);

  std::unique_ptr<Loop> loop_;
};

}  // namespace shoal
