#include "daemon_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace shoal::testing {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string& WebBinary() {
  static const std::string path = std::string(SHOAL_BUILD_DIR) + "/examples/web/shoal_web";
  return path;
}

pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void DaemonTest::SetUp() {
  ASSERT_EQ(access("/usr/sbin/haproxy", X_OK), 0) << "haproxy is not installed (scripts/install-deps.sh installs it)";
  ASSERT_EQ(access(WebBinary().c_str(), X_OK), 0) << WebBinary() << " is not built (cmake --build build)";
  dir_ = MakeTempDir("shoal-daemon-test");
  api_port_ = FreePort();
  web_port_ = FreePort();
  config_ = dir_ + "/cluster.yaml";
  std::ofstream(config_) << Config(2);
}

void DaemonTest::TearDown() {
  StopDaemon(SIGTERM);
  // Instances and HAProxy outlive the daemon by design: clean them up.
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/data/instances", ec_)) {
    std::ifstream in(entry.path() / "instance.json");
    const json j = json::parse(in, nullptr, false);
    if (!j.is_discarded() && j.contains("pgid") && j["pgid"].get<int>() > 1) kill(-j["pgid"].get<int>(), SIGKILL);
  }
  std::ifstream pid_file(dir_ + "/data/haproxy/haproxy.pid");
  int haproxy = 0;
  if (pid_file >> haproxy && haproxy > 1) kill(haproxy, SIGKILL);
  // Empty cgroups left by the killed instances (a cgroup in use refuses rmdir).
  for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup/cpu/shoal", ec_)) {
    rmdir(entry.path().c_str());
  }
  std::filesystem::remove_all(dir_, ec_);
}

DaemonTest::Load::Load(int port, std::chrono::milliseconds gap) {
  thread_ = std::thread([this, port, gap] {
    for (int i = 0; i < 100000 && !stop_; ++i) {
      (HttpGet(port, "/") == 200 ? ok_ : failed_)++;
      std::this_thread::sleep_for(gap);
    }
  });
}

void DaemonTest::Load::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string DaemonTest::Config(int desired, const std::string& extra, int cpu_ms) const {
  return "groups:\n"
         "  - name: web\n"
         "    listen_port: " + std::to_string(web_port_) + "\n"
         "    min: 1\n    max: 6\n    desired: " + std::to_string(desired) + "\n"
         "    drain_timeout: 5s\n"
         "    capacity:\n"
         "      on_demand_percent_above_base: 0\n"
         "      allocation_strategy: lowest-price\n"
         "      spot_instance_pools: 1\n"
         "      spot_pools:\n"
         "        - {instance_type: m4.large, zone: us-east-1a}\n"
         "        - {instance_type: c5.large, zone: us-east-1b}\n"
         "    launch:\n"
         "      provision:\n        - [\"/bin/mkdir\", \"-p\", \"{dir}/www\"]\n"
         "      command: [\"" + WebBinary() + "\", \"--port\", \"{port}\", \"--dir\", \"{dir}\", \"--cpu-ms\", \"" +
         std::to_string(cpu_ms) + "\"]\n"
         "      cpu_share: 0.25\n"
         "    health_check: {path: /health, interval: 1s, rise: 1, fall: 2, grace: 60s}\n"
         "    spot: {avoid_pool_after_interruption: 10m}\n" + extra;
}

void DaemonTest::StartDaemon() {
  daemon_ = Spawn({SHOAL_BINARY, "serve", "--config", config_, "--data-dir", dir_ + "/data", "--api",
                   "127.0.0.1:" + std::to_string(api_port_), "--notice-seconds", "6"},
                  dir_ + "/daemon.log");
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(api_port_, "/healthz") == 200; }, 20s)) << Log();
  std::ifstream token(dir_ + "/data/api-token");
  std::getline(token, token_);
}

void DaemonTest::StopDaemon(int sig) {
  if (daemon_ <= 0) return;
  kill(daemon_, sig);
  int status = 0;
  waitpid(daemon_, &status, 0);
  daemon_ = -1;
}

std::string DaemonTest::Log() const {
  std::ifstream in(dir_ + "/daemon.log");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

httplib::Result DaemonTest::Api(const std::string& method, const std::string& path, const std::string& body,
                                const std::string& token) {
  httplib::Client c("127.0.0.1", api_port_);
  c.set_read_timeout(10);
  httplib::Headers h = {{"Authorization", "Bearer " + (token.empty() ? token_ : token)}};
  if (method == "GET") return c.Get(path.c_str(), h);
  return c.Post(path.c_str(), h, body, "application/json");
}

json DaemonTest::Group() {
  auto r = Api("GET", "/v1/groups/web");
  return r && r->status == 200 ? json::parse(r->body) : json();
}

int DaemonTest::InService() {
  const json g = Group();
  return g.is_null() ? -1 : g["in_service"].get<int>();
}

std::set<int> DaemonTest::ServicePids() {
  std::set<int> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec_)) {
    std::ifstream cmd(entry.path() / "cmdline");
    std::string line((std::istreambuf_iterator<char>(cmd)), {});
    if (line.rfind(WebBinary(), 0) == 0 && line.find(dir_) != std::string::npos) {
      pids.insert(std::atoi(entry.path().filename().c_str()));
    }
  }
  return pids;
}

}  // namespace shoal::testing
