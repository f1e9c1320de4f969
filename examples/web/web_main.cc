// shoal_web: the example service Shoal scales. See README.md.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <httplib.h>

#include "address.h"
#include "web_service.h"

namespace {

// Two cores burn CPU; the other threads hold keep-alive connections and
// answer /health and /metrics, so a burst of slow GET / never starves the
// load balancer's health checks.
constexpr int kDefaultThreads = 8;
// An idle keep-alive connection holds a worker until this runs out, and
// shutdown waits for every worker: keep it short.
constexpr time_t kKeepAliveSeconds = 2;

struct Options {
  int port = 0;
  std::string bind = "127.0.0.1";
  int threads = kDefaultThreads;
  int cpu_ms = 20;
  std::string error_percent;  // validated by ParseErrorPercent
  int delay_ms = 0;
  shoal::web::WebConfig config;
};

void AddOptions(CLI::App& app, Options& o) {
  app.add_option("--port", o.port, "TCP port to listen on")->required()->check(CLI::Range(1, 65535));
  app.add_option("--bind", o.bind, "loopback or private IP address to bind")->capture_default_str();
  app.add_option("--dir", o.config.dir, "directory whose 'health' file marks the instance ready")
      ->capture_default_str();
  app.add_option("--cpu-ms", o.cpu_ms, "CPU milliseconds burnt per GET /")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  app.add_option("--version", o.config.version, "version reported by GET /")->capture_default_str();
  app.add_option("--threads", o.threads, "worker threads")->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--error-percent", o.error_percent,
                 "share of GET / answered 500, 0..100 (every k-th request; overrides DIR/web.conf)")
      ->check([](const std::string& text) {
        std::string error;
        return shoal::web::ParseErrorPercent(text, &error) ? std::string() : error;
      });
  app.add_option("--delay-ms", o.delay_ms, "extra milliseconds slept on every GET / (overrides DIR/web.conf)")
      ->check(CLI::Range(0, shoal::web::kMaxDelayMs));
}

// DIR/web.conf first, then the command line's options over it. False (with
// a message on stderr) when either is invalid.
bool ResolveBehaviour(const CLI::App& app, Options& o) {
  std::string error;
  const std::optional<shoal::web::WebConf> conf = shoal::web::LoadWebConf(o.config.dir, &error);
  if (!conf) {
    std::fprintf(stderr, "shoal_web: %s\n", error.c_str());
    return false;
  }
  o.config.behaviour = conf->behaviour;
  if (app.count("--error-percent") > 0) {
    o.config.behaviour.error_basis_points = *shoal::web::ParseErrorPercent(o.error_percent, &error);
  }
  if (app.count("--delay-ms") > 0) o.config.behaviour.delay = std::chrono::milliseconds(o.delay_ms);
  return true;
}

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Waits for SIGTERM/SIGINT on a thread of its own (the signals are blocked
// everywhere else), so stopping the server happens in ordinary code rather
// than in a signal handler. stop() closes the listening socket; listen then
// returns once the workers have finished the requests already accepted.
class ShutdownWaiter {
 public:
  explicit ShutdownWaiter(httplib::Server& server) : thread_([this, &server] { Run(server); }) {}
  ~ShutdownWaiter() {
    listen_returned_ = true;
    if (!signalled_) pthread_kill(thread_.native_handle(), SIGTERM);  // wake sigwait
    thread_.join();
  }
  ShutdownWaiter(const ShutdownWaiter&) = delete;
  ShutdownWaiter& operator=(const ShutdownWaiter&) = delete;

 private:
  void Run(httplib::Server& server) {
    const sigset_t set = TerminationSignals();
    int signal = 0;
    sigwait(&set, &signal);
    signalled_ = true;
    // stop() does nothing before listen has started running; wait for it.
    while (!server.is_running() && !listen_returned_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!listen_returned_) server.stop();
  }

  std::atomic<bool> signalled_{false};
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

int Serve(const Options& o) {
  httplib::Server server;
  shoal::web::WebMetrics metrics;
  shoal::web::RegisterRoutes(server, o.config, metrics);
  const int threads = o.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_timeout(kKeepAliveSeconds);
  if (!server.bind_to_port(o.bind, o.port)) {
    std::fprintf(stderr, "shoal_web: cannot bind %s:%d\n", o.bind.c_str(), o.port);
    return 1;
  }
  std::fprintf(stderr, "shoal_web: listening on %s:%d (instance %s, v%s, errors %d.%02d%%, delay %lld ms)\n",
               o.bind.c_str(), o.port, o.config.instance_id.c_str(), o.config.version.c_str(),
               o.config.behaviour.error_basis_points / 100, o.config.behaviour.error_basis_points % 100,
               static_cast<long long>(o.config.behaviour.delay.count()));
  {
    ShutdownWaiter waiter(server);
    server.listen_after_bind();
  }
  std::fprintf(stderr, "shoal_web: stopped after %llu requests\n",
               static_cast<unsigned long long>(metrics.requests()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoal_web: the example web service Shoal scales"};
  Options options;
  AddOptions(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!shoal::web::IsLoopbackOrPrivateAddress(options.bind)) {
    std::fprintf(stderr,
                 "shoal_web: refusing to bind '%s': only loopback (127.0.0.0/8, ::1) or private "
                 "(10/8, 172.16/12, 192.168/16, fc00::/7) IP addresses are allowed\n",
                 options.bind.c_str());
    return 2;
  }
  if (!ResolveBehaviour(app, options)) return 2;
  options.config.cpu = std::chrono::milliseconds(options.cpu_ms);
  options.config.instance_id = shoal::web::InstanceIdFromEnvironment();
  // Block the termination signals before any thread starts, so every thread
  // inherits the mask and only the waiter receives them.
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return Serve(options);
}
