// The monitoring inventory end to end: a real daemon, real instances behind
// real HAProxy; as the group scales, the Nagios and Prometheus files follow,
// real `nagios4 -v` accepts the object config, and real
// `ansible-inventory` reads the fleet through `shoal inventory`.
// nagios4 and ansible-core come from scripts/install-deps.sh; without them
// the test is skipped on a developer's machine and fails under CI=true.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs `command` through the shell; its exit code, stdout in `out`.
int RunShell(const std::string& command, std::string* out) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n = 0;
  out->clear();
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What Nagios needs besides the generated file: a time period, the check
// commands (as Debian's monitoring-plugins define check_tcp), a contact and
// the generic-host / generic-service templates the file `use`s.
constexpr const char* kSiteObjects = R"(define timeperiod {
  timeperiod_name 24x7
  alias           always
  sunday          00:00-24:00
  monday          00:00-24:00
  tuesday         00:00-24:00
  wednesday       00:00-24:00
  thursday        00:00-24:00
  friday          00:00-24:00
  saturday        00:00-24:00
}
define command {
  command_name check_tcp
  command_line /usr/lib/nagios/plugins/check_tcp -H '$HOSTADDRESS$' -p '$ARG1$'
}
define command {
  command_name check-host-alive
  command_line /usr/lib/nagios/plugins/check_ping -H '$HOSTADDRESS$' -w 3000.0,80% -c 5000.0,100% -p 1
}
define command {
  command_name notify-nobody
  command_line /bin/true
}
define contact {
  contact_name                  ops
  alias                         ops
  host_notification_period      24x7
  service_notification_period   24x7
  host_notification_options     n
  service_notification_options  n
  host_notification_commands    notify-nobody
  service_notification_commands notify-nobody
}
define host {
  name                  generic-host
  check_command         check-host-alive
  max_check_attempts    3
  check_period          24x7
  notification_interval 0
  notification_period   24x7
  contacts              ops
  register              0
}
define service {
  name                  generic-service
  max_check_attempts    3
  check_interval        1
  retry_interval        1
  check_period          24x7
  notification_interval 0
  notification_period   24x7
  contacts              ops
  register              0
}
)";

class DaemonInventoryTest : public shoal::testing::DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    if (HasFatalFailure()) return;
    for (const auto& [tool, package] : {std::pair<std::string, std::string>{"/usr/sbin/nagios4", "nagios4-core"},
                                        {"/usr/bin/ansible-inventory", "ansible-core"}}) {
      if (access(tool.c_str(), X_OK) == 0) continue;
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << tool << " is not installed (Debian package " << package << "; scripts/install-deps.sh installs it)";
      }
      GTEST_SKIP() << tool << " is not installed (Debian package " << package
                   << "; scripts/install-deps.sh installs it); under CI=true this fails";
    }
    // Nagios reads its object files as the nagios user: the inventory
    // directory must be reachable by it (the data directory is private).
    chmod(dir_.c_str(), 0711);
    inventory_ = dir_ + "/inventory";
    std::ofstream(config_) << Config(2) << "inventory:\n  dir: " << inventory_ << "\n";
    nagios_dir_ = dir_ + "/nagios";
    std::filesystem::create_directories(nagios_dir_ + "/checkresults");
    chmod(nagios_dir_.c_str(), 0755);
    chmod((nagios_dir_ + "/checkresults").c_str(), 01777);
    std::ofstream(nagios_dir_ + "/site.cfg") << kSiteObjects;
    std::ofstream(nagios_dir_ + "/nagios.cfg")
        << "cfg_file=" << nagios_dir_ << "/site.cfg\n"
        << "cfg_file=" << inventory_ << "/shoal-nagios.cfg\n"
        << "log_file=" << nagios_dir_ << "/nagios.log\n"
        << "check_result_path=" << nagios_dir_ << "/checkresults\n"
        << "lock_file=" << nagios_dir_ << "/nagios.lock\n"
        << "temp_file=" << nagios_dir_ << "/nagios.tmp\n"
        << "status_file=" << nagios_dir_ << "/status.dat\n"
        << "illegal_macro_output_chars=`~$&|'\"<>\n";
  }

  std::string FileSdPath() const { return inventory_ + "/shoal-file-sd.json"; }
  std::string NagiosPath() const { return inventory_ + "/shoal-nagios.cfg"; }

  // The targets of the file_sd file (empty when it is missing or not JSON).
  std::set<std::string> FileSdTargets() const {
    const json list = json::parse(ReadFile(FileSdPath()), nullptr, false);
    std::set<std::string> out;
    if (!list.is_array()) return out;
    for (const json& group : list) {
      for (const json& t : group["targets"]) out.insert(t.get<std::string>());
    }
    return out;
  }

  // host:port of the instances the API shows serving or draining.
  std::set<std::string> ApiTargets() {
    std::set<std::string> out;
    auto r = Api("GET", "/v1/instances?group=web");
    if (!r || r->status != 200) return out;
    for (const json& in : json::parse(r->body)) {
      if (in["state"] == "in-service" || in["state"] == "draining") out.insert(in["address"].get<std::string>());
    }
    return out;
  }

  void ExpectNagiosAccepts() {
    std::string out;
    const int rc = RunShell("/usr/sbin/nagios4 -v " + nagios_dir_ + "/nagios.cfg 2>&1", &out);
    EXPECT_EQ(rc, 0) << out << "\n--- generated:\n" << ReadFile(NagiosPath());
    EXPECT_NE(out.find("Total Errors:   0"), std::string::npos) << out;
  }

  // An executable inventory script: the wrapper docs/API.md describes.
  std::string Wrapper() {
    const std::string path = dir_ + "/shoal-inventory.sh";
    std::ofstream(path) << "#!/bin/sh\nexec " << SHOAL_BINARY << " inventory --api http://127.0.0.1:" << api_port_
                        << " --token \"$(cat " << dir_ << "/data/api-token)\" \"$@\"\n";
    chmod(path.c_str(), 0755);
    return path;
  }

  json AnsibleInventory(const std::string& args) {
    std::string out;
    const std::string env = "HOME=" + dir_ + " ANSIBLE_LOCAL_TEMP=" + dir_ + "/ansible-tmp ";
    const int rc = RunShell(env + "/usr/bin/ansible-inventory -i " + Wrapper() + " " + args + " 2>" + dir_ +
                           "/ansible.err",
                       &out);
    EXPECT_EQ(rc, 0) << out << ReadFile(dir_ + "/ansible.err");
    return json::parse(out, nullptr, false);
  }

  std::string inventory_, nagios_dir_;
};

TEST_F(DaemonInventoryTest, TheFilesFollowTheFleetAndTheToolsAcceptThem) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  ASSERT_TRUE(WaitUntil([&] { return FileSdTargets().size() == 2; }, 10s)) << ReadFile(FileSdPath()) << Log();
  EXPECT_EQ(FileSdTargets(), ApiTargets());
  ExpectNagiosAccepts();

  // Scale out: the files change once the new instance serves.
  const std::string nagios_before = ReadFile(NagiosPath());
  auto r = Api("POST", "/v1/groups/web/scale", R"({"desired": 3})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const auto asked = std::chrono::steady_clock::now();
  // Polled every 5 ms (no assertion on time: the figures are printed).
  std::chrono::steady_clock::time_point api_seen{}, file_seen{};
  const auto deadline = asked + 60s;
  while ((api_seen == decltype(api_seen){} || file_seen == decltype(file_seen){}) &&
         std::chrono::steady_clock::now() < deadline) {
    if (file_seen == decltype(file_seen){} && FileSdTargets().size() == 3) file_seen = std::chrono::steady_clock::now();
    if (api_seen == decltype(api_seen){} && InService() == 3) api_seen = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_NE(api_seen, decltype(api_seen){}) << Log();
  ASSERT_NE(file_seen, decltype(file_seen){}) << ReadFile(FileSdPath()) << Log();
  using ms = std::chrono::milliseconds;
  std::cout << "[ figures ] scale 2->3: API showed 3 in service after "
            << std::chrono::duration_cast<ms>(api_seen - asked).count() << " ms, file_sd had 3 targets after "
            << std::chrono::duration_cast<ms>(file_seen - asked).count() << " ms (both polled every 5 ms)\n";
  EXPECT_EQ(FileSdTargets(), ApiTargets());
  const std::string nagios_after = ReadFile(NagiosPath());
  EXPECT_NE(nagios_after, nagios_before);
  ExpectNagiosAccepts();

  // Prometheus' view: every target with its labels.
  const json sd = json::parse(ReadFile(FileSdPath()));
  ASSERT_EQ(sd.size(), 3u);
  for (const json& g : sd) {
    EXPECT_EQ(g["labels"]["shoal_group"], "web");
    EXPECT_EQ(g["labels"]["shoal_state"], "in-service");
    EXPECT_NE(nagios_after.find("host_name               web-" + g["labels"]["shoal_instance"].get<std::string>()),
              std::string::npos);
  }

  // Ansible, through the inventory script.
  const json list = AnsibleInventory("--list");
  ASSERT_TRUE(list.is_object());
  std::set<std::string> ansible_hosts;
  for (const auto& [name, vars] : list["_meta"]["hostvars"].items()) {
    ansible_hosts.insert(vars["ansible_host"].get<std::string>() + ":" + std::to_string(vars["shoal_port"].get<int>()));
  }
  EXPECT_EQ(ansible_hosts, ApiTargets());
  ASSERT_TRUE(list.contains("shoal_group_web")) << list.dump(2);
  EXPECT_EQ(list["shoal_group_web"]["hosts"].size(), 3u) << list.dump(2);
  const std::string one = list["shoal_group_web"]["hosts"][0];
  const json host = AnsibleInventory("--host " + one);
  EXPECT_EQ(host["shoal_group"], "web");
  EXPECT_EQ(host["ansible_host"], "127.0.0.1");
  // The script itself, per the contract: an unknown host is {} and exit 0.
  std::string out;
  EXPECT_EQ(RunShell(Wrapper() + " --host nope", &out), 0);
  EXPECT_EQ(out, "{}\n");

  // Scale in: the drained instances leave the files.
  r = Api("POST", "/v1/groups/web/scale", R"({"desired": 1})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(WaitUntil([&] { return FileSdTargets().size() == 1 && InService() == 1; }, 60s))
      << ReadFile(FileSdPath()) << Log();
  EXPECT_TRUE(WaitUntil([&] { return FileSdTargets() == ApiTargets(); }, 20s));
  ExpectNagiosAccepts();
  EXPECT_EQ(AnsibleInventory("--list")["shoal_group_web"]["hosts"].size(), 1u);
  // Never a temporary file left behind.
  for (const auto& e : std::filesystem::directory_iterator(inventory_)) {
    EXPECT_NE(e.path().filename().string().front(), '.') << e.path();
  }
  // The writes, as the daemon logged them.
  std::istringstream log(Log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("inventory_written") != std::string::npos) std::cout << "[ log ] " << line << "\n";
  }
}

}  // namespace
}  // namespace shoal
