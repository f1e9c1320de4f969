// The user data that starts the spot agent: its checks (nothing from the
// config can reach the shell unquoted), the multipart message cloud-init
// reads, and the script itself, run here with its paths pointed at a
// temporary directory and a stand-in binary that records its arguments.
#include "adapters/aws/agent_user_data.h"

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/aws/signer.h"

namespace shoal::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCredential(64, 'c');

AgentBootstrap Agent() { return {"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""}; }

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AgentBootstrap, AcceptsAPrivateReportUrlAndAnAbsoluteBinary) {
  EXPECT_TRUE(CheckAgentBootstrap(Agent()).ok());
  AgentBootstrap fetched = Agent();
  fetched.binary_url = "https://artifacts.example.com/shoal/1.0/shoal-amd64?x=1&y=2";
  fetched.binary_sha256 = std::string(64, 'a');
  EXPECT_TRUE(CheckAgentBootstrap(fetched).ok());
}

// A warm-pool launch's ready URL goes into the agent's command line and a
// systemd unit: loopback, a path, nothing that needs quoting or that systemd
// reads as a specifier ('%').
TEST(AgentBootstrap, AReadyUrlIsTheServiceOnLoopbackWithAPlainPath) {
  AgentBootstrap a = Agent();
  a.ready_url = "http://127.0.0.1:8080/health?deep=1";
  EXPECT_TRUE(CheckAgentBootstrap(a).ok());
  for (const char* bad : {"http://10.0.0.5:8080/health", "http://127.0.0.1:8080", "http://127.0.0.1:8080/h'x",
                          "http://127.0.0.1:8080/a b", "http://127.0.0.1:8080/%41", "https://127.0.0.1:8080/h"}) {
    a.ready_url = bad;
    const Status s = CheckAgentBootstrap(a);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("ready URL"), std::string::npos) << bad;
  }
}

TEST(AgentBootstrap, RefusesAnythingThatWouldNeedMoreThanSingleQuotes) {
  for (const char* url : {"http://10.0.0.5", "http://10.0.0.5:0", "http://10.0.0.5:70000", "http://a b:80",
                                 "http://h:80/x", "http://$(reboot):80", "ftp://h:80", ""}) {
    AgentBootstrap a = Agent();
    a.report_url = url;
    EXPECT_THAT(CheckAgentBootstrap(a).message(), HasSubstr("report_url")) << url;
  }
  for (const char* binary : {"shoal", "/opt/../bin/shoal", "/opt/sho'al", "/opt/a b", "/opt/", "/opt/$x"}) {
    AgentBootstrap a = Agent();
    a.binary = binary;
    EXPECT_THAT(CheckAgentBootstrap(a).message(), HasSubstr("binary")) << binary;
  }
  AgentBootstrap quote = Agent();
  quote.binary_url = "https://h/x'; reboot; '";
  quote.binary_sha256 = std::string(64, 'a');
  EXPECT_THAT(CheckAgentBootstrap(quote).message(), HasSubstr("binary_url"));
  AgentBootstrap upper = Agent();
  upper.binary_url = "https://h/shoal";
  upper.binary_sha256 = std::string(64, 'A');
  EXPECT_THAT(CheckAgentBootstrap(upper).message(), HasSubstr("binary_sha256"));
}

TEST(AgentUserData, NamesEachPartsTypeFromItsFirstLine) {
  EXPECT_EQ(CloudInitContentType("#!/bin/bash\necho\n"), "text/x-shellscript");
  EXPECT_EQ(CloudInitContentType("#cloud-config\npackages: [nginx]\n"), "text/cloud-config");
  EXPECT_EQ(CloudInitContentType("#cloud-boothook\n"), "text/cloud-boothook");
  EXPECT_EQ(CloudInitContentType("echo hi\n"), "");
  EXPECT_TRUE(CheckUserDataForAgent("").ok());
  EXPECT_TRUE(CheckUserDataForAgent("#cloud-config\n").ok());
  EXPECT_FALSE(CheckUserDataForAgent("Content-Type: multipart/mixed\n").ok());
}

TEST(AgentUserData, IsTheAgentsScriptThenTheGroupsOwnPartUnchanged) {
  const std::string own = "#cloud-config\npackages: [nginx]\n";
  const std::string message = AgentUserData(Agent(), kCredential, own);
  EXPECT_EQ(message.rfind("Content-Type: multipart/mixed; boundary=", 0), 0u);
  const std::size_t script = message.find("filename=\"shoal-agent.sh\"");
  const std::size_t theirs = message.find("Content-Type: text/cloud-config");
  ASSERT_NE(script, std::string::npos);
  ASSERT_NE(theirs, std::string::npos);
  EXPECT_LT(script, theirs) << "the agent starts first";
  EXPECT_THAT(message, HasSubstr("\n\n" + own));
  EXPECT_THAT(message, HasSubstr(kCredential));
  EXPECT_EQ(message.substr(message.size() - 5), "==--\n") << "the closing boundary ends it";
  // No user data of its own: just the agent's part.
  EXPECT_THAT(AgentUserData(Agent(), kCredential, ""), Not(HasSubstr("filename=\"user-data\"")));
}

TEST(AgentUserData, FetchesTheBinaryOnlyWhenAUrlIsGivenAndChecksItsHash) {
  EXPECT_THAT(AgentScript(Agent(), kCredential), Not(HasSubstr("curl")));
  AgentBootstrap fetched = Agent();
  fetched.binary_url = "https://artifacts.example.com/shoal";
  fetched.binary_sha256 = std::string(64, 'a');
  const std::string script = AgentScript(fetched, kCredential);
  EXPECT_THAT(script, HasSubstr("curl -fsS"));
  EXPECT_THAT(script, HasSubstr("'https://artifacts.example.com/shoal'"));
  EXPECT_THAT(script, HasSubstr("sha256sum -c"));
}

TEST(AgentUserData, ARebootedReleaseIsBootstrappedAfterTheAgentStartsAndLinked) {
  const ReleaseBootstrap boot{"s3://artifacts/releases", "shop", "prod", 12};
  ASSERT_TRUE(CheckReleaseBootstrap(boot).ok());
  const std::string script = AgentScript(Agent(), kCredential, &boot);
  const std::size_t agent = script.find(" agent --imds");
  const std::size_t bootstrap = script.find(
      "\"$binary\" bootstrap --store 's3://artifacts/releases' --service 'shop' --env 'prod' --version 12 "
      "--into /opt/shoal/releases/12 --cache /var/cache/shoal");
  ASSERT_NE(agent, std::string::npos);
  ASSERT_NE(bootstrap, std::string::npos) << script;
  EXPECT_LT(agent, bootstrap) << "notices are reported even while the release downloads";
  EXPECT_THAT(script, HasSubstr("ln -sfn /opt/shoal/releases/12 /opt/shoal/release"));
  EXPECT_THAT(AgentScript(Agent(), kCredential), Not(HasSubstr("bootstrap")));
}

TEST(AgentUserData, AReleaseThatWouldNeedQuotingOrIsNotOnS3IsRefused) {
  for (const ReleaseBootstrap& bad : {ReleaseBootstrap{"file:///srv/releases", "shop", "prod", 1},
                                      ReleaseBootstrap{"s3://b/x';reboot;'", "shop", "prod", 1},
                                      ReleaseBootstrap{"s3://b/../x", "shop", "prod", 1},
                                      ReleaseBootstrap{"s3://b", "sh op", "prod", 1},
                                      ReleaseBootstrap{"s3://b", "shop", "", 1},
                                      ReleaseBootstrap{"s3://b", "shop", "prod", 0}}) {
    EXPECT_FALSE(CheckReleaseBootstrap(bad).ok()) << bad.store << " " << bad.service << " " << bad.version;
  }
}

TEST(AgentUserData, WithKafkaLogsTheInstancesRsyslogIsConfiguredLastAndNeverFatally) {
  const ReleaseBootstrap boot{"s3://artifacts/releases", "shop", "prod", 12};
  const LogShipping logs{"10.0.0.9:9092,10.0.0.10:9092", "logs-prod", "web", "m5.large/us-east-1a", "12"};
  ASSERT_TRUE(CheckLogShipping(logs).ok());
  const std::string script = AgentScript(Agent(), kCredential, &boot, &logs);
  const std::size_t bootstrap = script.find("\"$binary\" bootstrap");
  const std::size_t config = script.find(
      "\"$binary\" logs rsyslog-config \"$instance\" --group 'web' --pool 'm5.large/us-east-1a' --release '12' "
      "--brokers '10.0.0.9:9092,10.0.0.10:9092' --topic 'logs-prod' --queue-dir \"$rsyslog_queue\" "
      "-o \"$rsyslog_dir/60-shoal-kafka.conf\"");
  ASSERT_NE(config, std::string::npos) << script;
  EXPECT_LT(bootstrap, config) << "the release comes first";
  EXPECT_THAT(script, HasSubstr("$imds/latest/meta-data/instance-id"));  // the id is known only at boot
  EXPECT_THAT(script, HasSubstr("ship_logs || echo"));                    // a failure is reported, not fatal
  EXPECT_THAT(AgentScript(Agent(), kCredential), Not(HasSubstr("rsyslog")));
}

TEST(AgentUserData, LogLabelsThatWouldNeedMoreThanSingleQuotesAreRefused) {
  const LogShipping good{"10.0.0.9:9092", "logs", "web", "", ""};  // on demand, no release
  EXPECT_TRUE(CheckLogShipping(good).ok());
  for (const LogShipping& bad : {LogShipping{"10.0.0.9:9092", "logs", "web", "p';reboot;'", ""},
                                 LogShipping{"10.0.0.9:9092", "logs", "web", "p\nq", ""},
                                 LogShipping{"10.0.0.9:9092", "logs", "web", "", "12a"},
                                 LogShipping{"", "logs", "web", "", ""},
                                 LogShipping{"10.0.0.9:9092", "", "web", "", ""},
                                 LogShipping{"10.0.0.9:9092", "logs", "", "", ""}}) {
    const Status s = CheckLogShipping(bad);
    EXPECT_FALSE(s.ok()) << bad.pool << " " << bad.release;
  }
  EXPECT_THAT(CheckLogShipping({"10.0.0.9:9092", "logs", "web", "p'q", ""}).message(), HasSubstr("pool \"p'q\""));
}

// Runs the script with sh: its directory, metadata address and binary
// replaced, as on an instance without systemd.
class AgentScriptRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("shoal-agent-script-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Run(const AgentBootstrap& a) {
    std::string script = AgentScript(a, kCredential);
    script = Replaced(script, "shoal_dir=/etc/shoal", "shoal_dir=" + (dir_ / "etc").string());
    script = Replaced(script, "binary='" + a.binary + "'", "binary='" + (dir_ / "bin" / "shoal").string() + "'");
    const std::string path = (dir_ / "script.sh").string();
    std::ofstream(path) << script;
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // A stand-in for shoal that writes its arguments where the test reads them.
  std::string StandIn() const {
    return "#!/bin/sh\necho \"$@\" > '" + (dir_ / "args").string() + "'\n";
  }

  bool WaitForFile(const std::filesystem::path& p) const {
    for (int i = 0; i < 100 && !std::filesystem::exists(p); ++i) usleep(20000);
    return std::filesystem::exists(p);
  }

  std::filesystem::path dir_;
};

TEST_F(AgentScriptRun, WritesThePrivateCredentialAndStartsTheAgentAgainstTheMetadataService) {
  std::filesystem::create_directories(dir_ / "bin");
  std::ofstream(dir_ / "bin" / "shoal") << StandIn();
  std::filesystem::permissions(dir_ / "bin" / "shoal", std::filesystem::perms::owner_all);
  ASSERT_EQ(Run(Agent()), 0);
  EXPECT_EQ(Read((dir_ / "etc" / "agent-credential").string()), kCredential + "\n");
  EXPECT_EQ(std::filesystem::status(dir_ / "etc" / "agent-credential").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_TRUE(WaitForFile(dir_ / "args"));
  usleep(50000);  // the stand-in's echo may still be writing
  EXPECT_EQ(Read((dir_ / "args").string()), "agent --imds http://169.254.169.254 --report http://10.0.0.5:7400 "
                                            "--token-file " + (dir_ / "etc" / "agent-credential").string() + "\n");
}

TEST_F(AgentScriptRun, FetchesTheBinaryAndStartsItWhenItsHashMatches) {
  std::filesystem::create_directories(dir_ / "www");
  std::ofstream(dir_ / "www" / "shoal") << StandIn();
  AgentBootstrap a = Agent();
  a.binary_url = "file://" + (dir_ / "www" / "shoal").string();  // curl reads file:// too
  a.binary_sha256 = Sha256Hex(StandIn());
  ASSERT_EQ(Run(a), 0);
  EXPECT_EQ(Read((dir_ / "bin" / "shoal").string()), StandIn());
  EXPECT_TRUE(WaitForFile(dir_ / "args"));
}

TEST_F(AgentScriptRun, RefusesAFetchedBinaryWhoseHashDiffersAndStartsNothing) {
  std::filesystem::create_directories(dir_ / "www");
  std::ofstream(dir_ / "www" / "shoal") << StandIn();
  AgentBootstrap a = Agent();
  a.binary_url = "file://" + (dir_ / "www" / "shoal").string();  // curl reads file:// too
  a.binary_sha256 = std::string(64, '0');
  // CheckAgentBootstrap would refuse file://; the script's own check is tested here.
  EXPECT_NE(Run(a), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bin" / "shoal"));
  usleep(100000);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "args"));
}

}  // namespace
}  // namespace shoal::aws
