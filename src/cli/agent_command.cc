#include "cli/agent_command.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "adapters/local/agent.h"
#include "cli/number_checks.h"

namespace shoal {
namespace {

struct AgentArgs {
  std::string imds;
  std::string report;
  std::string instance;
  std::string token_file;
  std::string ready;
  double interval_seconds = 5;
  bool once = false;
};

int Run(const AgentArgs& a) {
  AgentOptions options;
  options.imds_url = a.imds;
  options.report_url = a.report;
  options.instance = a.instance;
  options.token_file = a.token_file;
  options.ready_url = a.ready;
  options.interval = std::chrono::milliseconds(static_cast<long long>(a.interval_seconds * 1000));
  options.log = [](const std::string& line) { std::cerr << "shoal agent: " << line << std::endl; };
  SpotAgent agent(std::move(options));
  if (a.once) {
    agent.PollOnce();
    return 0;
  }
  // SIGTERM (the instance's group being terminated) and SIGINT end the loop
  // cleanly: they are blocked here and taken by a thread with sigwait, which
  // may call ordinary code, unlike a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::thread waiter([&agent, stop_signals] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    agent.Stop();
  });
  agent.Run();  // returns only after Stop, i.e. after the waiter got its signal
  waiter.join();
  std::cerr << "shoal agent: stopped" << std::endl;
  return 0;
}

// Only http://host:port bases: a path or https would be silently mishandled.
std::string CheckHttpBase(const std::string& url) {
  if (url.rfind("http://", 0) != 0) return "must start with http://";
  if (url.find('/', 7) != std::string::npos) return "must be http://HOST[:PORT] with no path";
  return "";
}

// http://HOST:PORT/PATH: the instance's own service, asked until it answers.
std::string CheckHttpUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0) return "must start with http://";
  const std::size_t path = url.find('/', 7);
  if (path == std::string::npos || path == 7) return "must be http://HOST[:PORT]/PATH";
  return "";
}

}  // namespace

void AddAgentCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<AgentArgs>();
  CLI::App* cmd = app.add_subcommand(
      "agent", "Spot agent sidecar: poll instance metadata for spot notices and report them to the daemon");
  const CLI::Validator http_base(CheckHttpBase, "http://HOST:PORT");
  cmd->add_option("--imds", args->imds, "instance metadata base URL, e.g. http://127.0.0.1:7501")
      ->required()
      ->check(http_base);
  cmd->add_option("--report", args->report,
                  "daemon API base URL; events go to <URL>/v1/agent/events (without it they are only logged)")
      ->check(http_base);
  cmd->add_option("--instance", args->instance, "instance id (default: read meta-data/instance-id)");
  cmd->add_option("--token-file", args->token_file,
                  "file holding the daemon API bearer token, read at each report (without it: no Authorization)");
  cmd->add_option("--ready", args->ready,
                  "the instance's service, e.g. http://127.0.0.1:8080/health: once it answers 2xx, report "
                  "'provisioned' (warm-pool launches: the daemon then stops the instance into the pool)")
      ->check(CLI::Validator(CheckHttpUrl, "http://HOST:PORT/PATH"));
  cmd->add_option("--interval", args->interval_seconds, "seconds between polls")
      ->check(FiniteRange(0.05, 3600.0));
  cmd->add_flag("--once", args->once, "poll once and exit (for tests)");
  cmd->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace shoal
