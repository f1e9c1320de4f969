// Central logs from AWS instances, against moto_server: with
// logs.kafka_brokers set, the user data Shoal sent EC2 configures the
// instance's rsyslogd. Its script is run as cloud-init would run it (the
// metadata address, Shoal's directory, the binary and rsyslog's directories
// pointed at this machine), a real rsyslogd loads the configuration it
// wrote, and a line a program sends to syslog reaches the daemon's store
// through a Kafka protocol endpoint (librdkafka's mock cluster), labelled
// with the instance's EC2 id, group and pool.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "adapters/local/imds_server.h"
#include "integration/kafka_mock.h"
#include "serve_aws_fixture.h"

namespace shoal::aws {
namespace {

constexpr const char* kRsyslogd = "/usr/sbin/rsyslogd";

pid_t SpawnQuiet(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

// Kills a process group when the test ends, however it ends.
struct KillGroupAtEnd {
  pid_t group = -1;
  ~KillGroupAtEnd() {
    if (group <= 0) return;
    kill(-group, SIGTERM);
    int status = 0;
    waitpid(group, &status, 0);
  }
};

TEST_F(ServeAwsTest, TheUserDataShipsTheInstancesSyslogToKafkaLabelledAsTheDaemonLabelsIt) {
  SHOAL_REQUIRE_TOOLS({kRsyslogd, "rsyslog"}, {"/usr/bin/logger", "bsdutils"},
                      {"/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so", "rsyslog-kafka"});
  shoal::testing::KafkaMockCluster kafka;
  ASSERT_EQ(kafka.Start("shoal-logs-aws"), "");
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "    # agent:\n    #   report_url: http://10.0.0.5:7400\n",
                 "    agent:\n      report_url: http://127.0.0.1:" + std::to_string(api_port_) + "\n");
  yaml += "logs: {kafka_brokers: \"" + kafka.brokers() + "\", kafka_topic: shoal-logs-aws}\n";
  std::ofstream(config_) << yaml;
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const std::string victim = Running().begin()->first;

  // The instance's labels as the daemon has them.
  const json instances = json::parse(Api("GET", "/v1/instances").body, nullptr, false);
  std::string pool;
  for (const json& in : instances) {
    if (in.value("id", "") == victim) pool = in.value("market", "") == "spot" ? in.value("pool", "") : "";
  }
  const std::string script_text = MimePart(UserData(victim), "shoal-agent.sh");
  ASSERT_NE(script_text.find("logs rsyslog-config"), std::string::npos) << script_text;
  EXPECT_NE(script_text.find("--group 'web' --pool '" + pool + "' --release ''"), std::string::npos) << script_text;

  // The script, run on this machine.
  ImdsServer imds;
  const std::optional<InstanceId> id = InstanceId::Parse(victim);
  ASSERT_TRUE(id.has_value()) << victim;
  const Result<int> imds_port = imds.Serve({*id, "m5.large", "us-east-1a", true}, 0);
  ASSERT_TRUE(imds_port.ok()) << imds_port.status().message();
  const std::string etc = dir_ + "/instance-etc";
  std::filesystem::create_directories(etc + "/rsyslog.d");
  std::string script = script_text;
  script = Replace(script, "shoal_dir=/etc/shoal", "shoal_dir=" + etc + "/shoal");
  script = Replace(script, "imds=http://169.254.169.254", "imds=http://127.0.0.1:" + std::to_string(*imds_port));
  script = Replace(script, "binary='/usr/local/bin/shoal'", "binary='" + std::string(SHOAL_BUILD_DIR) + "/shoal'");
  script = Replace(script, "rsyslog_dir=/etc/rsyslog.d", "rsyslog_dir=" + etc + "/rsyslog.d");
  script = Replace(script, "rsyslog_queue=/var/spool/rsyslog", "rsyslog_queue=" + dir_ + "/spool");
  // The host's rsyslogd is not restarted here: the test starts one of its own below.
  script = Replace(script,
                   "if [ -d /run/systemd/system ]; then rsyslog_restart='systemctl restart rsyslog'; else "
                   "rsyslog_restart='service rsyslog restart'; fi",
                   "rsyslog_restart=true");
  std::ofstream(dir_ + "/shoal-agent.sh") << script;
  KillGroupAtEnd agent;  // the agent the script leaves running
  agent.group = SpawnQuiet({"/bin/sh", dir_ + "/shoal-agent.sh"}, dir_ + "/script.log");
  ASSERT_GT(agent.group, 0);
  const std::string conf = etc + "/rsyslog.d/60-shoal-kafka.conf";
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(conf); }, 30s)) << ReadText(dir_ + "/script.log");
  EXPECT_EQ(ReadText(dir_ + "/script.log").find("not shipped"), std::string::npos) << ReadText(dir_ + "/script.log");

  // The host's rsyslogd, as Debian's /etc/rsyslog.conf sets it up: imuxsock
  // on the syslog socket, then the drop-ins.
  std::ofstream(dir_ + "/rsyslog.conf") << "global(workDirectory=\"" << dir_ << "/spool\")\n"
                                        << "module(load=\"imuxsock\" SysSock.Name=\"" << dir_ << "/devlog\")\n"
                                        << "include(file=\"" << etc << "/rsyslog.d/*.conf\")\n";
  KillGroupAtEnd rsyslogd;
  rsyslogd.group = SpawnQuiet({kRsyslogd, "-n", "-f", dir_ + "/rsyslog.conf", "-i", dir_ + "/rsyslogd.pid"},
                              dir_ + "/rsyslogd.log");
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(dir_ + "/devlog"); }, 10s))
      << ReadText(dir_ + "/rsyslogd.log");

  // A program on the instance logs; the daemon stores it with the labels.
  const pid_t logger = SpawnQuiet(
      {"/usr/bin/logger", "-u", dir_ + "/devlog", "-t", "shop", "AWS-SYSLOG-MARK from the instance"},
      dir_ + "/logger.log");
  int status = 0;
  waitpid(logger, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadText(dir_ + "/logger.log");
  json line;
  ASSERT_TRUE(Eventually(
      [&] {
        const Answer a = Api("GET", "/v1/logs?grep=AWS-SYSLOG-MARK");
        if (a.status != 200) return false;
        const json page = json::parse(a.body, nullptr, false);
        if (page.is_discarded() || page["lines"].empty()) return false;
        line = page["lines"][0];
        return true;
      },
      60s))
      << Log() << ReadText(dir_ + "/rsyslogd.log");
  EXPECT_EQ(line["instance"], victim) << line.dump();
  EXPECT_EQ(line["group"], "web") << line.dump();
  EXPECT_EQ(line["pool"], pool) << line.dump();
  EXPECT_EQ(line["stream"], "syslog") << line.dump();
  EXPECT_NE(line["text"].get<std::string>().find("shop"), std::string::npos) << line.dump();
  // Searchable by the instance, as `shoal logs INSTANCE` asks.
  const Answer by_instance = Api("GET", "/v1/logs?target=" + victim + "&grep=AWS-SYSLOG-MARK");
  EXPECT_EQ(by_instance.status, 200) << by_instance.body;
  EXPECT_EQ(json::parse(by_instance.body)["lines"].size(), 1u) << by_instance.body;
}

}  // namespace
}  // namespace shoal::aws
