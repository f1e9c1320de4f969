// shoal_load: a bounded open-loop HTTP load generator for loopback targets.
// See README.md.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "load_report.h"
#include "load_runner.h"

namespace {

// Bounds that keep a typo from turning into a day-long or runaway run.
constexpr double kMaxRate = 20000;
constexpr double kMaxDurationSeconds = 3600;
constexpr uint64_t kMaxRequests = 1000000;
constexpr int kMaxConcurrency = 256;
constexpr int kBadArguments = 2;

struct Args {
  std::string url;
  double rate = 0;
  double ramp_to = -1;  // < 0: same as rate
  double duration_s = 0;
  uint64_t max_requests = kMaxRequests;
  int concurrency = 4;
  int timeout_ms = 5000;
  bool json = false;
};

void AddOptions(CLI::App& app, Args& a) {
  app.add_option("--url", a.url, "target, http://127.0.0.1:PORT/PATH (loopback only)")->required();
  app.add_option("--rate", a.rate, "requests per second at the start")->required()
      ->check(CLI::Range(0.0, kMaxRate));
  app.add_option("--ramp-to", a.ramp_to, "requests per second at the end (linear ramp)")
      ->check(CLI::Range(0.0, kMaxRate));
  app.add_option("--duration", a.duration_s, "seconds to send for")->required()
      ->check(CLI::Range(0.001, kMaxDurationSeconds));
  app.add_option("--max-requests", a.max_requests, "never send more than this")
      ->check(CLI::Range(uint64_t{1}, kMaxRequests))->capture_default_str();
  app.add_option("--concurrency", a.concurrency, "connections (requests outstanding at most)")
      ->check(CLI::Range(1, kMaxConcurrency))->capture_default_str();
  app.add_option("--timeout-ms", a.timeout_ms, "per-request timeout")
      ->check(CLI::Range(1, 60000))->capture_default_str();
  app.add_flag("--json", a.json, "print one JSON object instead of text");
}

std::optional<shoal::web::LoadOptions> ToOptions(const Args& a) {
  std::string error;
  const auto target = shoal::web::ParseLoopbackUrl(a.url, &error);
  if (!target) {
    std::fprintf(stderr, "shoal_load: --url %s: %s\n", a.url.c_str(), error.c_str());
    return std::nullopt;
  }
  shoal::web::LoadOptions options;
  options.target = *target;
  options.plan = {.start_rate = a.rate,
                  .end_rate = a.ramp_to < 0 ? a.rate : a.ramp_to,
                  .duration_s = a.duration_s,
                  .max_requests = a.max_requests};
  options.concurrency = a.concurrency;
  options.timeout = std::chrono::milliseconds(a.timeout_ms);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoal_load: bounded open-loop HTTP load against a loopback target"};
  Args args;
  AddOptions(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const auto options = ToOptions(args);
  if (!options) return kBadArguments;
  const shoal::web::LoadResult result = shoal::web::RunLoad(*options);
  if (args.json) {
    std::cout << shoal::web::ReportJson(*options, result).dump() << "\n";
  } else {
    std::cout << shoal::web::ReportText(*options, result);
  }
  return 0;
}
