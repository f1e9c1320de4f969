#include "adapters/local/imds_server.h"

#include <sys/socket.h>

#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/data/iso_time.h"
#include "adapters/local/imds_protocol.h"

namespace shoal {
namespace {

constexpr const char* kHost = "127.0.0.1";
using imds::kMetaDataPrefix;
using imds::kTokenHeader;
using imds::kTtlHeader;
// EC2 accepts token lifetimes of 1 s to 6 h.
constexpr long kMinTtl = 1;
constexpr long kMaxTtl = 6 * 3600;
// One IMDS endpoint per instance: its only client is one polling agent, so a
// couple of workers are plenty (httplib's default pool is 8 threads each).
constexpr std::size_t kWorkers = 2;
constexpr auto kStartTimeout = std::chrono::seconds(5);

using SteadyTime = std::chrono::steady_clock::time_point;

// Parses the TTL header; nullopt unless it is a whole number EC2 would accept.
std::optional<long> ParseTtl(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  long ttl = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    ttl = ttl * 10 + (c - '0');
  }
  if (ttl < kMinTtl || ttl > kMaxTtl) return std::nullopt;
  return ttl;
}

// The state one endpoint answers from; the server thread reads it while the
// daemon sets notices, hence the mutex.
class Endpoint {
 public:
  explicit Endpoint(const ImdsIdentity& identity) : identity_(identity) {
    std::random_device seed;
    rng_.seed((static_cast<std::uint64_t>(seed()) << 32) ^ seed());
  }

  Result<int> Start(int port) {
    Install();
    int bound = port;
    if (port == 0) {
      bound = server_.bind_to_any_port(kHost);
      if (bound <= 0) return Status::IoError("imds: cannot bind a free port on 127.0.0.1");
    } else if (!server_.bind_to_port(kHost, port)) {
      return Status::IoError("imds: cannot bind 127.0.0.1:" + std::to_string(port) + " (in use?)");
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() does nothing until the accept loop runs; waiting here
    // makes a Stop right after Serve reliable instead of hanging the join.
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!server_.is_running()) {
      Stop();
      return Status::Internal("imds: the server on 127.0.0.1:" + std::to_string(bound) + " did not start");
    }
    port_ = bound;
    return bound;
  }

  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  void SetAction(std::int64_t unix) {
    std::lock_guard<std::mutex> lock(mu_);
    action_at_ = unix;
  }
  void SetRebalance(std::int64_t unix) {
    std::lock_guard<std::mutex> lock(mu_);
    rebalance_at_ = unix;
  }

 private:
  void Install() {
    // httplib's default sets SO_REUSEPORT, which lets a second server bind a
    // port already in use and silently share its connections; plain
    // SO_REUSEADDR still allows rebinding a port in TIME_WAIT after a restart.
    server_.set_socket_options([](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server_.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    server_.Put(imds::kTokenPath, [this](const httplib::Request& req, httplib::Response& res) {
      IssueToken(req, res);
    });
    server_.Get(R"(/latest/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      Answer(req, res);
    });
  }

  void IssueToken(const httplib::Request& req, httplib::Response& res) {
    const auto ttl = ParseTtl(req.get_header_value(kTtlHeader));
    if (!ttl) {
      res.status = 400;  // what EC2 answers for a missing or out-of-range TTL
      return;
    }
    std::string token = NewToken();
    {
      std::lock_guard<std::mutex> lock(mu_);
      const SteadyTime now = std::chrono::steady_clock::now();
      DropExpiredLocked(now);  // so a client asking often cannot grow the map without bound
      tokens_[token] = now + std::chrono::seconds(*ttl);
    }
    res.set_header(kTtlHeader, std::to_string(*ttl));
    res.set_content(token, "text/plain");
  }

  void Answer(const httplib::Request& req, httplib::Response& res) {
    // IMDSv1 stays allowed (EC2's default "optional" mode): no header is fine,
    // but a header that is present must name a live token, as on EC2.
    if (req.has_header(kTokenHeader) && !TokenValid(req.get_header_value(kTokenHeader))) {
      res.status = 401;
      return;
    }
    std::optional<std::string> body = Lookup(req.path);
    if (!body) {
      res.status = 404;
      return;
    }
    // EC2 serves every value, JSON included, as text/plain.
    res.set_content(*body, "text/plain");
  }

  std::optional<std::string> Lookup(const std::string& path) {
    if (path.rfind(kMetaDataPrefix, 0) != 0) return std::nullopt;
    const std::string key = path.substr(std::string(kMetaDataPrefix).size());
    if (key == imds::kInstanceId) return identity_.id.str();
    if (key == "instance-type") return identity_.instance_type;
    if (key == "placement/availability-zone") return identity_.zone;
    if (key == "instance-life-cycle") return identity_.spot ? "spot" : "on-demand";
    std::lock_guard<std::mutex> lock(mu_);
    if (key == imds::kInstanceAction && action_at_) {
      return nlohmann::json{{"action", "terminate"}, {"time", FormatIsoUtc(*action_at_)}}.dump();
    }
    if (key == imds::kRebalance && rebalance_at_) {
      return nlohmann::json{{"noticeTime", FormatIsoUtc(*rebalance_at_)}}.dump();
    }
    return std::nullopt;
  }

  bool TokenValid(const std::string& token) {
    std::lock_guard<std::mutex> lock(mu_);
    DropExpiredLocked(std::chrono::steady_clock::now());
    return tokens_.contains(token);
  }

  void DropExpiredLocked(SteadyTime now) {
    std::erase_if(tokens_, [now](const auto& entry) { return entry.second <= now; });
  }

  std::string NewToken() {
    std::lock_guard<std::mutex> lock(mu_);
    constexpr int kHexChars = 48;
    std::string token;
    std::uniform_int_distribution<int> digit(0, 15);
    for (int i = 0; i < kHexChars; ++i) token += "0123456789abcdef"[digit(rng_)];
    return token;
  }

  const ImdsIdentity identity_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::mt19937_64 rng_;
  std::map<std::string, SteadyTime> tokens_;
  std::optional<std::int64_t> action_at_;
  std::optional<std::int64_t> rebalance_at_;
};

}  // namespace

struct ImdsServer::Impl {
  std::mutex mu;
  std::map<InstanceId, std::unique_ptr<Endpoint>> endpoints;

  // Removes the endpoint under the lock, stops it outside: Stop joins the
  // server thread, which must not wait on a lock we hold.
  std::unique_ptr<Endpoint> Take(InstanceId id) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = endpoints.find(id);
    if (it == endpoints.end()) return nullptr;
    std::unique_ptr<Endpoint> e = std::move(it->second);
    endpoints.erase(it);
    return e;
  }
};

ImdsServer::ImdsServer() : impl_(std::make_unique<Impl>()) {}

ImdsServer::~ImdsServer() { StopAll(); }

Result<int> ImdsServer::Serve(const ImdsIdentity& identity, int port) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->endpoints.find(identity.id);
  if (it != impl_->endpoints.end()) return it->second->port();
  try {
    auto endpoint = std::make_unique<Endpoint>(identity);
    Result<int> bound = endpoint->Start(port);
    if (!bound.ok()) return bound.status();
    impl_->endpoints.emplace(identity.id, std::move(endpoint));
    return bound;
  } catch (const std::exception& e) {  // thread creation, allocation
    return Status::Internal("imds: cannot serve " + identity.id.str() + ": " + e.what());
  }
}

void ImdsServer::Stop(InstanceId id) {
  if (auto e = impl_->Take(id)) e->Stop();
}

void ImdsServer::StopAll() {
  std::map<InstanceId, std::unique_ptr<Endpoint>> all;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    all.swap(impl_->endpoints);
  }
  for (auto& [id, e] : all) e->Stop();
}

void ImdsServer::SetInstanceAction(InstanceId id, std::int64_t terminate_unix) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->endpoints.find(id);
  if (it != impl_->endpoints.end()) it->second->SetAction(terminate_unix);
}

void ImdsServer::SetRebalanceRecommendation(InstanceId id, std::int64_t notice_unix) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->endpoints.find(id);
  if (it != impl_->endpoints.end()) it->second->SetRebalance(notice_unix);
}

}  // namespace shoal
