// /metrics on the daemon's API: behind the token, valid for promtool, scraped
// by a real Prometheus on loopback, and following a membership change.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Under CI=true a missing tool fails the test; elsewhere it is skipped.
bool Have(const std::string& path) {
  if (access(path.c_str(), X_OK) == 0) return true;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") {
    ADD_FAILURE() << path << " is not installed (Debian package prometheus; scripts/install-deps.sh installs it)";
  }
  return false;
}

// Runs argv with stdin from `input_file`; its exit code, stdout+stderr in *out.
int RunTool(const std::vector<std::string>& args, const std::string& input_file, const std::string& log,
            std::string* out) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (freopen(input_file.c_str(), "r", stdin) == nullptr) _exit(126);
    if (freopen(log.c_str(), "w", stdout) == nullptr || dup2(fileno(stdout), 2) < 0) _exit(126);
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  *out = std::string(std::istreambuf_iterator<char>(in), {});
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class MetricsTest : public DaemonTest {
 protected:
  std::string Metrics() {
    auto r = Api("GET", "/metrics");
    return r && r->status == 200 ? r->body : std::string();
  }
};

TEST_F(MetricsTest, PromtoolAcceptsItPrometheusScrapesItAndItFollowsScaling) {
  if (!Have("/usr/bin/promtool") || !Have("/usr/bin/prometheus")) {
    if (HasFailure()) return;
    GTEST_SKIP() << "promtool/prometheus not installed (Debian package prometheus)";
  }
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();

  // Behind the token like the rest of the API.
  auto refused = Api("GET", "/metrics", "", "not-the-token");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  auto r = Api("GET", "/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find("shoal_group_desired_capacity{group=\"web\"} 2\n"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("shoal_reconcile_duration_seconds_count "), std::string::npos);

  const std::string scraped = dir_ + "/metrics.txt";
  std::ofstream(scraped) << r->body;
  std::string promtool;
  EXPECT_EQ(RunTool({"/usr/bin/promtool", "check", "metrics"}, scraped, dir_ + "/promtool.log", &promtool), 0)
      << promtool;
  EXPECT_EQ(promtool, "") << "promtool has lint findings";
  std::cout << "[ figure ] /metrics with 2 instances: " << r->body.size() << " bytes, "
            << std::count(r->body.begin(), r->body.end(), '\n') << " lines; promtool check metrics: exit 0, "
            << (promtool.empty() ? "no findings" : promtool) << "\n";

  // A membership change shows at once: the scale is answered after the loop
  // published the snapshot /metrics reads.
  const auto asked = std::chrono::steady_clock::now();
  auto scaled = Api("POST", "/v1/groups/web/scale", R"({"desired": 3})");
  ASSERT_TRUE(scaled && scaled->status == 200);
  std::string now;
  while (std::chrono::steady_clock::now() - asked < 10s) {
    now = Metrics();
    if (now.find("shoal_group_desired_capacity{group=\"web\"} 3\n") != std::string::npos) break;
    std::this_thread::sleep_for(1ms);
  }
  const double desired_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked).count();
  ASSERT_NE(now.find("shoal_group_desired_capacity{group=\"web\"} 3\n"), std::string::npos) << now;
  // The third instance in service: /v1/groups and /metrics read the same snapshot.
  const std::regex in_service(R"(shoal_instances\{group="web",pool="[^"]+",market="[^"]+",state="in-service"\} (\d+))");
  auto serving = [&](const std::string& text) {
    int n = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), in_service), end; it != end; ++it) n += std::stoi((*it)[1]);
    return n;
  };
  ASSERT_TRUE(WaitUntil([&] { return InService() == 3; }, 60s)) << Log();
  const auto seen_in_api = std::chrono::steady_clock::now();
  while (serving(now = Metrics()) != 3 && std::chrono::steady_clock::now() - seen_in_api < 10s) {
    std::this_thread::sleep_for(1ms);
  }
  const double in_service_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - seen_in_api).count();
  EXPECT_EQ(serving(now), 3) << now;
  // The refused scrape was counted (by now: it is counted after its answer is written).
  EXPECT_NE(now.find("shoal_api_requests_total{method=\"GET\",route=\"/metrics\",code=\"401\"} 1\n"),
            std::string::npos)
      << now;
  std::cout << "[ figure ] scale to 3 -> /metrics desired 3: " << desired_ms << " ms; /v1/groups in_service 3 -> "
            << "/metrics in-service 3: " << in_service_ms << " ms; /metrics with 3 instances: " << now.size()
            << " bytes\n";

  // A real Prometheus scrapes it once, with the token from the data dir.
  const int prom_port = FreePort();
  const std::string prom_dir = dir_ + "/prometheus";
  std::filesystem::create_directories(prom_dir + "/data");
  std::ofstream(prom_dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
         "scrape_configs:\n"
         "  - job_name: shoal\n"
         "    metrics_path: /metrics\n"
         "    authorization:\n"
         "      type: Bearer\n"
         "      credentials_file: " << dir_ << "/data/api-token\n"
         "    static_configs:\n"
         "      - targets: ['127.0.0.1:" << api_port_ << "']\n";
  const pid_t prom = Spawn({"/usr/bin/prometheus", "--config.file=" + prom_dir + "/prometheus.yml",
                            "--storage.tsdb.path=" + prom_dir + "/data",
                            "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                           prom_dir + "/prometheus.log");
  auto query = [&](const std::string& q) {
    std::string body;
    if (HttpGet(prom_port, "/api/v1/query?query=" + q, &body) != 200) return json();
    const json j = json::parse(body, nullptr, false);
    return j.is_discarded() ? json() : j;
  };
  auto value_of = [&](const std::string& q) -> std::string {
    const json j = query(q);
    if (!j.is_object() || j.value("status", "") != "success" || j["data"]["result"].empty()) return "";
    return j["data"]["result"][0]["value"][1].get<std::string>();
  };
  const bool up = WaitUntil([&] { return value_of("up") == "1"; }, 60s);
  const std::string desired = value_of("shoal_group_desired_capacity");
  const std::string scrapes = value_of("shoal_api_requests_total%7Broute%3D%22%2Fmetrics%22%2Ccode%3D%22200%22%7D");
  kill(prom, SIGTERM);
  waitpid(prom, nullptr, 0);
  std::ifstream prom_log_file(prom_dir + "/prometheus.log");
  const std::string prom_log(std::istreambuf_iterator<char>(prom_log_file), {});
  ASSERT_TRUE(up) << "Prometheus never saw the target up; its log:\n" << prom_log;
  EXPECT_EQ(desired, "3") << prom_log;
  EXPECT_NE(scrapes, "") << "the daemon counted no successful scrape";
}

}  // namespace
}  // namespace shoal::testing
