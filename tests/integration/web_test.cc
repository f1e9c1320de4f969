// The example service (shoal_web) and load generator (shoal_load), run as real
// processes on loopback: health follows the marker file, GET / costs real CPU,
// /metrics parses, SIGTERM drains in-flight requests, and a short load run
// reports what it sent.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

extern char** environ;

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kWebBinary = SHOAL_BUILD_DIR "/examples/web/shoal_web";
const std::string kLoadBinary = SHOAL_BUILD_DIR "/examples/web/shoal_load";

// Starts `argv` with SHOAL_INSTANCE_ID added to this process's environment;
// its stdout goes to `stdout_fd` when given. Everything exec needs is built
// before fork, because only async-signal-safe calls are allowed after it in a
// threaded process.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& instance_id = "",
            int stdout_fd = -1) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string id_var = "SHOAL_INSTANCE_ID=" + instance_id;
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  if (!instance_id.empty()) env.push_back(const_cast<char*>(id_var.c_str()));
  env.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (stdout_fd >= 0) dup2(stdout_fd, STDOUT_FILENO);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  return pid;
}

// The exit code once `pid` exits within `timeout`; nullopt if it does not
// (or dies of a signal).
std::optional<int> WaitExit(pid_t pid, milliseconds timeout) {
  int status = 0;
  pid_t done = 0;
  WaitUntil([&] { return (done = waitpid(pid, &status, WNOHANG)) != 0; }, timeout);
  if (done != pid || !WIFEXITED(status)) return std::nullopt;
  return WEXITSTATUS(status);
}

// utime + stime of the process, from /proc/<pid>/stat.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces; fields are counted after its ')'.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string field; fields >> field;) f.push_back(field);
  // After ')': state is field 3 of the full line, utime 14 and stime 15.
  const double ticks = std::stod(f.at(11)) + std::stod(f.at(12));
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// "name value" per non-comment line; fails the test on any other shape.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("#")) continue;
    std::istringstream parts(line);
    std::string name, value, extra;
    parts >> name >> value;
    EXPECT_FALSE(parts >> extra) << "more than two fields: " << line;
    size_t used = 0;
    EXPECT_NO_THROW(values[name] = std::stod(value, &used)) << line;
    EXPECT_EQ(used, value.size()) << line;
  }
  return values;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("shoal-web");
    port_ = FreePort();
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  // Starts shoal_web and waits until it answers (503 or 200 on /health).
  void Start(int cpu_ms, const std::string& instance_id = "", const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {kWebBinary, "--port", std::to_string(port_), "--dir", dir_, "--cpu-ms",
                                     std::to_string(cpu_ms), "--version", "7"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = Spawn(argv, instance_id);
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(WaitUntil([&] { return HttpGet(port_, "/health") != 0; }, seconds(10)))
        << "shoal_web did not start on port " << port_;
  }

  void MarkProvisioned() { std::ofstream(dir_ + "/health") << "ok\n"; }

  std::map<std::string, double> Metrics() {
    std::string body;
    EXPECT_EQ(HttpGet(port_, "/metrics", &body), 200);
    return ParseMetrics(body);
  }

  // The exit code, and forgets the process so TearDown does not kill it.
  std::optional<int> WaitForExit(milliseconds timeout) {
    const auto code = WaitExit(pid_, timeout);
    if (code) pid_ = -1;
    return code;
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(WebServerTest, HealthIs503UntilTheProvisioningMarkerExists) {
  Start(1);
  EXPECT_EQ(HttpGet(port_, "/health"), 503);
  MarkProvisioned();
  std::string body;
  EXPECT_EQ(HttpGet(port_, "/health", &body), 200);
  EXPECT_EQ(body, "healthy\n");
  std::filesystem::remove(dir_ + "/health");
  EXPECT_EQ(HttpGet(port_, "/health"), 503);
}

TEST_F(WebServerTest, RootAnswersWithInstanceAndVersionAndBurnsCpu) {
  constexpr int kCpuMs = 20;
  constexpr int kRequests = 20;
  Start(kCpuMs, "i-test");
  const double before = ProcessCpuSeconds(pid_);
  for (int i = 0; i < kRequests; ++i) {
    std::string body;
    ASSERT_EQ(HttpGet(port_, "/", &body), 200);
    EXPECT_EQ(body, "ok i-test v7\n");
  }
  const double used = ProcessCpuSeconds(pid_) - before;
  EXPECT_GE(used, kRequests * kCpuMs * 0.5 / 1000.0);
}

TEST_F(WebServerTest, WithoutAnInstanceIdRootNamesThePid) {
  Start(1);
  std::string body;
  ASSERT_EQ(HttpGet(port_, "/", &body), 200);
  EXPECT_EQ(body, "ok " + std::to_string(pid_) + " v7\n");
}

TEST_F(WebServerTest, MetricsParseAndCountRequests) {
  Start(5);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(HttpGet(port_, "/"), 200);
  std::string body;
  ASSERT_EQ(HttpGet(port_, "/metrics", &body), 200);
  const auto metrics = ParseMetrics(body);
  EXPECT_EQ(metrics.at("shoal_web_requests_total"), 3);
  EXPECT_GE(metrics.at("shoal_web_request_cpu_seconds_total"), 3 * 0.005 * 0.9);
  EXPECT_EQ(metrics.at("shoal_web_in_flight"), 0);
  for (const auto& [name, value] : metrics) {
    EXPECT_NE(body.find("# HELP " + name + " "), std::string::npos) << name;
    EXPECT_NE(body.find("# TYPE " + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(body.find("# TYPE shoal_web_requests_total counter\n"), std::string::npos);
  EXPECT_NE(body.find("# TYPE shoal_web_in_flight gauge\n"), std::string::npos);
}

TEST_F(WebServerTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  constexpr int kInFlight = 3;
  Start(300);
  std::vector<int> statuses(kInFlight, -1);
  std::vector<std::string> bodies(kInFlight);
  std::vector<std::thread> clients;
  for (int i = 0; i < kInFlight; ++i) {
    clients.emplace_back([&, i] { statuses[i] = HttpGet(port_, "/", &bodies[i]); });
  }
  const bool all_in_flight = WaitUntil(
      [&] { return Metrics()["shoal_web_in_flight"] == kInFlight; }, seconds(10));
  kill(pid_, SIGTERM);
  for (auto& client : clients) client.join();
  EXPECT_TRUE(all_in_flight);
  for (int i = 0; i < kInFlight; ++i) {
    EXPECT_EQ(statuses[i], 200) << "request " << i;
    EXPECT_TRUE(bodies[i].starts_with("ok ")) << bodies[i];
  }
  EXPECT_EQ(WaitForExit(seconds(20)), 0);
  EXPECT_EQ(HttpGet(port_, "/health"), 0) << "still accepting after SIGTERM";
}

TEST_F(WebServerTest, RefusesToBindWildcardOrPublicAddresses) {
  for (const std::string bind : {"0.0.0.0", "::", "8.8.8.8", "localhost"}) {
    pid_ = Spawn({kWebBinary, "--port", std::to_string(port_), "--bind", bind, "--dir", dir_});
    const auto code = WaitForExit(seconds(10));
    ASSERT_TRUE(code.has_value()) << bind;
    EXPECT_NE(*code, 0) << bind;
  }
  EXPECT_EQ(HttpGet(port_, "/health"), 0);
}

// The statuses of `n` GET / in a row.
std::vector<int> Statuses(int port, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(HttpGet(port, "/"));
  return out;
}

TEST_F(WebServerTest, ErrorPercentAnswersEveryKthRequest500AndLeavesHealthAlone) {
  Start(1, "i-bad", {"--error-percent", "25"});
  MarkProvisioned();
  std::string body;
  for (int i = 1; i <= 20; ++i) {
    const int status = HttpGet(port_, "/", &body);
    // Exactly floor(n/4) of the first n requests fail: the 4th, the 8th, ...
    EXPECT_EQ(status, i % 4 == 0 ? 500 : 200) << "request " << i;
    EXPECT_EQ(body, (i % 4 == 0 ? "error" : "ok") + std::string(" i-bad v7\n")) << "request " << i;
    EXPECT_EQ(HttpGet(port_, "/health"), 200);
  }
  const auto metrics = Metrics();
  EXPECT_EQ(metrics.at("shoal_web_requests_total"), 20);
  EXPECT_EQ(metrics.at("shoal_web_errors_total"), 5);
}

TEST_F(WebServerTest, FractionalErrorPercentIsExactOverAnyPrefix) {
  Start(0, "", {"--error-percent", "2.5"});  // one in 40
  const std::vector<int> statuses = Statuses(port_, 80);
  for (int i = 1; i <= 80; ++i) EXPECT_EQ(statuses[i - 1], i % 40 == 0 ? 500 : 200) << "request " << i;
}

TEST_F(WebServerTest, DelayAddsLatencyToRootOnly) {
  constexpr int kDelayMs = 300;
  Start(0, "", {"--delay-ms", std::to_string(kDelayMs)});
  MarkProvisioned();
  // A lower bound only: a sleep never ends early.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(HttpGet(port_, "/"), 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(kDelayMs));
  EXPECT_EQ(HttpGet(port_, "/health"), 200);
  EXPECT_EQ(Metrics().at("shoal_web_errors_total"), 0);
}

TEST_F(WebServerTest, WebConfInTheDirectoryCarriesABuildsBehaviour) {
  std::ofstream(dir_ + "/web.conf") << "# a bad build\n\n  error_percent = 50 \ndelay_ms=100\n";
  Start(0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Statuses(port_, 6), (std::vector<int>{200, 500, 200, 500, 200, 500}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(6 * 100));
}

TEST_F(WebServerTest, CommandLineOverridesWebConf) {
  std::ofstream(dir_ + "/web.conf") << "error_percent=100\n";
  Start(0, "", {"--error-percent", "0"});
  EXPECT_EQ(Statuses(port_, 5), std::vector<int>(5, 200));
}

TEST_F(WebServerTest, RefusesBadBehaviourOptions) {
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{{"--error-percent", "101"},
                                                                                  {"--error-percent", "-1"},
                                                                                  {"--error-percent", "5.555"},
                                                                                  {"--error-percent", "five"},
                                                                                  {"--delay-ms", "-5"},
                                                                                  {"--delay-ms", "60001"},
                                                                                  {"--delay-ms", "1.5"}}) {
    std::vector<std::string> argv = {kWebBinary, "--port", std::to_string(port_), "--dir", dir_};
    argv.insert(argv.end(), bad.begin(), bad.end());
    pid_ = Spawn(argv);
    const auto code = WaitForExit(seconds(10));
    ASSERT_TRUE(code.has_value()) << bad[0] << " " << bad[1];
    EXPECT_NE(*code, 0) << bad[0] << " " << bad[1];
  }
  EXPECT_EQ(HttpGet(port_, "/health"), 0);
}

TEST_F(WebServerTest, RefusesAMalformedWebConf) {
  for (const std::string text : {"error_percent=5\nerror_percent=6\n", "speed=3\n", "delay_ms=abc\n",
                                 "error_percent\n", "error_percent=200\n", "delay_ms=-1\n"}) {
    std::ofstream(dir_ + "/web.conf") << text;
    pid_ = Spawn({kWebBinary, "--port", std::to_string(port_), "--dir", dir_});
    EXPECT_EQ(WaitForExit(seconds(10)), 2) << text;
  }
  EXPECT_EQ(HttpGet(port_, "/health"), 0);
}

class WebLoadTest : public WebServerTest {
 protected:
  // Runs shoal_load with `args` and returns its stdout; *code is its exit code.
  std::string RunLoad(const std::vector<std::string>& args, std::optional<int>* code) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return "";
    std::vector<std::string> argv = {kLoadBinary};
    argv.insert(argv.end(), args.begin(), args.end());
    const pid_t pid = Spawn(argv, "", fds[1]);
    close(fds[1]);
    std::string out = ReadAll(fds[0]);  // until shoal_load exits and closes it
    close(fds[0]);
    *code = WaitExit(pid, seconds(30));
    if (!code->has_value()) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    return out;
  }
};

TEST_F(WebLoadTest, SendsTheScheduledRequestsAndReportsJson) {
  // Little CPU per request, so a machine busy with other work still keeps up.
  Start(1);
  std::optional<int> code;
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/";
  const std::string out =
      RunLoad({"--url", url, "--rate", "50", "--duration", "2", "--json"}, &code);
  ASSERT_EQ(code, 0) << out;
  const auto report = nlohmann::json::parse(out);
  EXPECT_EQ(report.at("planned"), 100);
  EXPECT_GE(report.at("sent").get<int>(), 80);
  EXPECT_LE(report.at("sent").get<int>(), 100);
  EXPECT_EQ(report.at("sent").get<int>() + report.at("missed").get<int>(), 100);
  EXPECT_EQ(report.at("failed"), 0);
  EXPECT_EQ(report.at("ok"), report.at("sent"));
  const auto& latency = report.at("latency_ms");
  EXPECT_GT(latency.at("p50").get<double>(), 0);
  EXPECT_LE(latency.at("p50").get<double>(), latency.at("p90").get<double>());
  EXPECT_LE(latency.at("p90").get<double>(), latency.at("p99").get<double>());
  EXPECT_LE(latency.at("p99").get<double>(), latency.at("max").get<double>());
  // Open loop: about 50/s, not as fast as possible (generous bounds).
  EXPECT_GT(report.at("achieved_rate").get<double>(), 20);
  EXPECT_LT(report.at("achieved_rate").get<double>(), 80);
  EXPECT_EQ(Metrics()["shoal_web_requests_total"], report.at("ok").get<double>());
}

TEST_F(WebLoadTest, CountsConnectionErrorsApartFromHttpErrors) {
  // Nothing listens on port_: every request fails to connect.
  std::optional<int> code;
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/";
  const std::string out =
      RunLoad({"--url", url, "--rate", "10", "--duration", "1", "--json"}, &code);
  ASSERT_EQ(code, 0) << out;
  const auto report = nlohmann::json::parse(out);
  EXPECT_EQ(report.at("ok"), 0);
  EXPECT_GT(report.at("failed_connection").get<int>(), 0);
  EXPECT_EQ(report.at("failed_http"), 0);
}

TEST_F(WebLoadTest, RefusesNonLoopbackTargetsAndBadArguments) {
  const std::vector<std::vector<std::string>> bad = {
      {"--url", "http://10.0.0.1:80/", "--rate", "1", "--duration", "1"},
      {"--url", "http://example.com/", "--rate", "1", "--duration", "1"},
      {"--url", "https://127.0.0.1:443/", "--rate", "1", "--duration", "1"},
      {"--url", "http://127.0.0.1:1/", "--rate", "-1", "--duration", "1"},
      {"--url", "http://127.0.0.1:1/", "--rate", "1"},
  };
  for (const auto& args : bad) {
    std::optional<int> code;
    RunLoad(args, &code);
    ASSERT_TRUE(code.has_value()) << args[1];
    EXPECT_NE(*code, 0) << args[1];
  }
}

}  // namespace
}  // namespace shoal::testing
