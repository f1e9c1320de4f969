#include "api/guarded_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/received_request.h"

namespace shoal {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kMaxDiscardPerWake = 256 * 1024;  // a lingering client cannot monopolise the reader
constexpr auto kLogEvery = std::chrono::seconds(10);

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// A whole answer from the reader, small enough for one nonblocking send.
std::string EarlyAnswer(int status, const std::string& message) {
  const std::string body = nlohmann::json{{"error", message}}.dump() + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + (status == 503 ? "Retry-After: 1\r\n" : "") + "\r\n" + body;
}

// Never waits: a client that does not read gets less of the answer, the
// reader does not stall.
void SendBestEffort(int fd, const std::string& bytes) {
  if (send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
    // Nothing to do: the connection is being closed either way.
  }
}

int MillisUntil(Clock::time_point t, Clock::time_point now) {
  const auto ms = std::chrono::duration_cast<milliseconds>(t - now).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 1000));
}

// httplib runs one task per accepted socket on its queue: run it inline on
// the accept thread, where it only hands the socket to the reader.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

}  // namespace

// The reader thread owns every connection until its request is complete
// (and again while it lingers after an early refusal); a worker owns it from
// the moment it is queued until it has answered and closed it.
struct GuardedServer::Loop {
  struct Conn {
    enum class Phase { kReading, kQueued, kLingering };
    int fd = -1;
    std::string ip;
    int port = 0;
    Phase phase = Phase::kReading;
    Clock::time_point accepted;
    Clock::time_point last_byte;
    Clock::time_point linger_until;
    std::string buffer;
    RequestFraming framing;
  };
  struct Job {
    std::uint64_t id = 0;
    int fd = -1;
    std::string request;
    std::string ip;
    int port = 0;
  };

  Loop(GuardedServer* s, const ConnectionLimits& l, Logger* lg) : server(s), limits(l), log(lg) {}

  void Start() {
    wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    reader = std::thread([this] { Run(); });
    for (int i = 0; i < std::max(1, limits.workers); ++i) workers.emplace_back([this] { Work(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      stopping = true;
    }
    Wake();
    job_ready.notify_all();
    if (reader.joinable()) reader.join();
    for (std::thread& w : workers) w.join();
    workers.clear();
    std::lock_guard lock(mu);
    close(wake_fd);
    wake_fd = -1;
  }

  void Hand(int fd) {
    std::lock_guard lock(mu);
    if (stopping) {
      close(fd);
      return;
    }
    incoming.push_back(fd);
    Wake();
  }

  // Never after Stop closed wake_fd: Hand wakes under `mu`, workers are joined first.
  void Wake() const {
    const std::uint64_t one = 1;
    if (write(wake_fd, &one, sizeof(one)) < 0) {
      // The counter is already non-zero: the reader wakes anyway.
    }
  }

  void Run() {
    std::vector<pollfd> polled;
    std::vector<std::uint64_t> polled_ids;
    for (;;) {
      std::deque<int> admitted;
      std::deque<std::uint64_t> done;
      {
        std::lock_guard lock(mu);
        if (stopping) break;
        admitted.swap(incoming);
        done.swap(finished);
      }
      for (std::uint64_t id : done) conns.erase(id);  // the worker closed the socket
      for (int fd : admitted) Admit(fd);
      const Clock::time_point now = Clock::now();
      Expire(now);
      MaybeLog(now);

      polled.assign(1, pollfd{wake_fd, POLLIN, 0});
      polled_ids.assign(1, 0);
      int timeout = 1000;
      for (auto& [id, c] : conns) {
        if (c.phase == Conn::Phase::kQueued) continue;
        polled.push_back(pollfd{c.fd, POLLIN, 0});
        polled_ids.push_back(id);
        if (c.phase == Conn::Phase::kReading) {
          timeout = std::min({timeout, MillisUntil(c.accepted + limits.request_deadline, now),
                              MillisUntil(c.last_byte + limits.read_timeout, now)});
        } else {
          timeout = std::min(timeout, MillisUntil(c.linger_until, now));
        }
      }
      if (poll(polled.data(), polled.size(), timeout) < 0 && errno != EINTR) break;
      if (polled[0].revents != 0) {
        std::uint64_t count = 0;
        if (read(wake_fd, &count, sizeof(count)) < 0) {
          // EAGAIN: another wake already drained it.
        }
      }
      for (std::size_t i = 1; i < polled.size(); ++i) {
        if (polled[i].revents == 0) continue;
        const auto it = conns.find(polled_ids[i]);
        if (it == conns.end()) continue;
        if (it->second.phase == Conn::Phase::kReading) {
          Receive(it->first, it->second);
        } else if (it->second.phase == Conn::Phase::kLingering) {
          Discard(it->first, it->second);
        }
      }
    }
    // Stopping: close what the reader owns; workers close what they hold.
    std::lock_guard lock(mu);
    for (int fd : incoming) close(fd);
    incoming.clear();
    for (auto& [id, c] : conns) {
      if (c.phase != Conn::Phase::kQueued) close(c.fd);
    }
    conns.clear();
  }

  void Admit(int fd) {
    ++accepted;
    const int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      close(fd);
      return;
    }
    auto peer = PeerOf(fd);
    std::string ip = std::move(peer.first);  // not a structured binding: clang 14 cannot capture those
    const int port = peer.second;
    const auto same = std::count_if(conns.begin(), conns.end(), [&](const auto& e) { return e.second.ip == ip; });
    const bool room = (same < limits.max_connections_per_client || EvictOldest(&ip)) &&
                      (static_cast<int>(conns.size()) < limits.max_connections || EvictOldest(nullptr));
    if (!room) {
      ++refused;
      SendBestEffort(fd, EarlyAnswer(503, "too many connections: every one holds a request being served; retry"));
      close(fd);
      return;
    }
    Conn c;
    c.fd = fd;
    c.ip = std::move(ip);
    c.port = port;
    c.accepted = c.last_byte = Clock::now();
    conns.emplace(next_id++, std::move(c));
  }

  // Cuts the oldest connection not yet handed to a worker — one that lingers
  // first, else the one that has been sending its request the longest — of
  // `ip` (or of anyone). False when there is none.
  bool EvictOldest(const std::string* ip) {
    auto victim = conns.end();
    auto rank = [](const Conn& c) { return c.phase == Conn::Phase::kLingering ? 0 : 1; };
    for (auto it = conns.begin(); it != conns.end(); ++it) {
      const Conn& c = it->second;
      if (c.phase == Conn::Phase::kQueued || (ip != nullptr && c.ip != *ip)) continue;
      if (victim == conns.end() || rank(c) < rank(victim->second) ||
          (rank(c) == rank(victim->second) && c.accepted < victim->second.accepted)) {
        victim = it;
      }
    }
    if (victim == conns.end()) return false;
    ++evicted;
    if (victim->second.phase == Conn::Phase::kReading) {
      SendBestEffort(victim->second.fd,
                     EarlyAnswer(503, "cut to make room for newer connections: the request was not complete"));
    }
    close(victim->second.fd);
    conns.erase(victim);
    return true;
  }

  void Expire(Clock::time_point now) {
    for (auto it = conns.begin(); it != conns.end();) {
      Conn& c = it->second;
      if (c.phase == Conn::Phase::kLingering && now >= c.linger_until) {
        close(c.fd);
        it = conns.erase(it);
        continue;
      }
      if (c.phase == Conn::Phase::kReading) {
        if (now >= c.accepted + limits.request_deadline) {
          ++timed_out;
          RefuseEarly(c, 408, "the request was not complete within " + Seconds(limits.request_deadline) +
                                  " of connecting");
        } else if (now >= c.last_byte + limits.read_timeout) {
          ++timed_out;
          RefuseEarly(c, 408, "nothing was received for " + Seconds(limits.read_timeout));
        }
      }
      ++it;
    }
  }

  static std::string Seconds(milliseconds ms) {
    const auto s = ms.count() / 1000;
    return ms.count() % 1000 == 0 ? std::to_string(s) + " s" : std::to_string(ms.count()) + " ms";
  }

  // Answers from the reader and lingers: the client's remaining input is
  // read and dropped for a moment, so it sees the answer, not a reset.
  void RefuseEarly(Conn& c, int status, const std::string& reason) {
    SendBestEffort(c.fd, EarlyAnswer(status, reason));
    shutdown(c.fd, SHUT_WR);
    c.phase = Conn::Phase::kLingering;
    c.linger_until = Clock::now() + limits.linger;
    std::string().swap(c.buffer);
  }

  void Receive(std::uint64_t id, Conn& c) {
    char buf[kReadChunk];
    for (;;) {
      const bool framed = c.framing.state == RequestFraming::State::kReady;
      const std::size_t whole = c.framing.head_bytes + c.framing.body_bytes;
      // Never more than the request can be: the head limit (plus one byte,
      // which tells a head that is too long), then exactly the body.
      const std::size_t want = framed ? whole - c.buffer.size() : limits.framing.max_head_bytes + 1 - c.buffer.size();
      const ssize_t n = recv(c.fd, buf, std::min(want, sizeof(buf)), 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        close(c.fd);  // the client went away
        conns.erase(id);
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      const std::size_t before = c.buffer.size();
      c.buffer.append(buf, static_cast<std::size_t>(n));
      c.last_byte = Clock::now();
      if (!framed) {
        // Only look again when a blank line may have arrived or the head
        // outgrew its limit: a client trickling bytes costs no rescans.
        const std::size_t from = before >= 3 ? before - 3 : 0;
        if (c.buffer.find("\r\n\r\n", from) == std::string::npos && c.buffer.size() <= limits.framing.max_head_bytes) {
          continue;
        }
        c.framing = ExamineRequest(c.buffer, limits.framing);
        if (c.framing.state == RequestFraming::State::kRefused) {
          ++refused;
          RefuseEarly(c, c.framing.status, c.framing.reason);
          return;
        }
        if (c.framing.expect_continue && c.buffer.size() < c.framing.head_bytes + c.framing.body_bytes) {
          SendBestEffort(c.fd, "HTTP/1.1 100 Continue\r\n\r\n");
        }
      }
      if (c.buffer.size() >= c.framing.head_bytes + c.framing.body_bytes) {
        Dispatch(id, c);
        return;
      }
    }
  }

  void Discard(std::uint64_t id, Conn& c) {
    char buf[kReadChunk];
    for (std::size_t dropped = 0; dropped < kMaxDiscardPerWake;) {
      const ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        dropped += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      close(c.fd);
      conns.erase(id);
      return;
    }
  }

  void Dispatch(std::uint64_t id, Conn& c) {
    ++served;
    c.phase = Conn::Phase::kQueued;
    c.buffer.resize(c.framing.head_bytes + c.framing.body_bytes);
    Job job{id, c.fd, std::move(c.buffer), c.ip, c.port};
    std::string().swap(c.buffer);
    {
      std::lock_guard lock(mu);
      jobs.push_back(std::move(job));
    }
    job_ready.notify_one();
  }

  void Work() {
    for (;;) {
      Job job;
      bool serve = true;
      {
        std::unique_lock lock(mu);
        job_ready.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
        serve = !stopping;
      }
      if (serve) server->ServeOne(job.fd, job.request, job.ip, job.port);
      close(job.fd);
      {
        std::lock_guard lock(mu);
        finished.push_back(job.id);
      }
      Wake();
    }
  }

  void MaybeLog(Clock::time_point now) {
    if (now < next_log) return;
    next_log = now + kLogEvery;
    const ConnectionCounters c = Counters();
    if (c.timed_out != logged.timed_out || c.refused != logged.refused || c.evicted != logged.evicted) {
      LogWarn(log, "api_connections_limited")
          .With("timed_out", c.timed_out - logged.timed_out)
          .With("refused", c.refused - logged.refused)
          .With("evicted", c.evicted - logged.evicted)
          .With("open", conns.size())
          .With("note", "clients were cut or refused by the API's connection limits (docs/API.md)");
    }
    logged = c;
  }

  ConnectionCounters Counters() const {
    return {accepted.load(), served.load(), timed_out.load(), refused.load(), evicted.load()};
  }

  GuardedServer* server;
  const ConnectionLimits limits;
  Logger* log;
  int wake_fd = -1;
  std::mutex mu;  // guards incoming, finished, jobs, stopping
  std::condition_variable job_ready;
  std::deque<int> incoming;
  std::deque<std::uint64_t> finished;
  std::deque<Job> jobs;
  bool stopping = false;
  std::map<std::uint64_t, Conn> conns;  // the reader thread's only
  std::uint64_t next_id = 1;
  std::thread reader;
  std::vector<std::thread> workers;
  std::atomic<std::uint64_t> accepted{0}, served{0}, timed_out{0}, refused{0}, evicted{0};
  ConnectionCounters logged;
  Clock::time_point next_log = Clock::now() + kLogEvery;
};

GuardedServer::GuardedServer(const ConnectionLimits& limits, Logger* log)
    : loop_(std::make_unique<Loop>(this, limits, log)) {
  new_task_queue = [] { return new InlineTaskQueue; };
  set_payload_max_length(limits.framing.max_body_bytes);
  loop_->Start();
}

GuardedServer::~GuardedServer() { Shutdown(); }

int GuardedServer::Bind(const std::string& host, int port) {
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  // listen() again on a listening socket only changes its backlog.
  if (bound > 0 && ::listen(svr_sock_, std::max(16, loop_->limits.max_connections)) != 0) return -1;
  return bound;
}

void GuardedServer::Shutdown() {
  loop_->Stop();
  // Bound but never listening (start-up failed later): close the socket here.
  if (!is_running()) {
    const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) close(sock);
  }
}

ConnectionCounters GuardedServer::counters() const { return loop_->Counters(); }

bool GuardedServer::process_and_close_socket(socket_t sock) {
  loop_->Hand(sock);
  return true;
}

namespace {
// When the request this worker thread serves was handed to it: read by the
// observer, which httplib calls on the same thread once the answer is written.
thread_local std::chrono::steady_clock::time_point serve_started;
}  // namespace

void GuardedServer::set_request_observer(RequestObserver observer) {
  set_logger([observer = std::move(observer)](const httplib::Request& req, const httplib::Response& res) {
    observer(req, res, std::chrono::duration<double>(std::chrono::steady_clock::now() - serve_started).count());
  });
}

void GuardedServer::ServeOne(int fd, const std::string& request, const std::string& peer_ip, int peer_port) {
  serve_started = std::chrono::steady_clock::now();
  ReceivedRequestStream stream(fd, request, peer_ip, peer_port, loop_->limits.write_timeout);
  bool connection_closed = false;
  // The body is already here: a 100 Continue from httplib would only confuse.
  process_request(stream, /*close_connection=*/true, connection_closed,
                  [](httplib::Request& req) { req.headers.erase("Expect"); });
}

}  // namespace shoal
