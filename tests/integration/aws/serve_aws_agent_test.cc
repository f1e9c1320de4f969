// The agent mode of the AWS provider against moto_server (see the test).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "adapters/local/imds_server.h"
#include "serve_aws_fixture.h"

namespace shoal::aws {
namespace {

// The agent mode: the user data Shoal sent EC2 is run as cloud-init would
// run its first part (with the metadata address, the agent's directory and
// the binary pointed at this machine), the agent it starts polls an IMDS
// that serves the instance's real EC2 id, and its notice, posted with the
// credential the user data carried, is replaced at once.
TEST_F(ServeAwsTest, TheAgentTheUserDataStartsReportsANoticeWithItsLaunchsOwnCredential) {
  const std::string report = "http://127.0.0.1:" + std::to_string(api_port_);
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "    # agent:\n    #   report_url: http://10.0.0.5:7400\n",
                 "    agent:\n      report_url: " + report + "\n");
  std::ofstream(config_) << yaml;
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const auto running = Running();
  const std::string victim = running.begin()->first;
  const std::string other = std::next(running.begin())->first;

  // One multipart message: the agent's script, then the example's own script.
  const std::string user_data = UserData(victim);
  ASSERT_NE(user_data.find("Content-Type: multipart/mixed"), std::string::npos) << user_data;
  const std::string own = MimePart(user_data, "user-data");
  EXPECT_NE(own.find("exec python3 -m http.server 8080"), std::string::npos) << user_data;
  std::string script = MimePart(user_data, "shoal-agent.sh");
  ASSERT_NE(script.find("--report"), std::string::npos) << user_data;
  EXPECT_NE(UserData(other), user_data) << "each launch carries its own credential";

  ImdsServer imds;
  const std::optional<InstanceId> id = InstanceId::Parse(victim);
  ASSERT_TRUE(id.has_value()) << victim;
  const Result<int> imds_port = imds.Serve({*id, "m5.large", "us-east-1a", true}, 0);
  ASSERT_TRUE(imds_port.ok()) << imds_port.status().message();
  const std::string agent_dir = dir_ + "/instance-etc-shoal";
  AgentProcess agent;
  ASSERT_NO_FATAL_FAILURE(RunAgentScript(script, agent_dir, *imds_port, &agent));
  ASSERT_TRUE(std::filesystem::exists(agent_dir + "/agent-credential"));
  EXPECT_EQ(std::filesystem::status(agent_dir + "/agent-credential").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string credential = ReadText(agent_dir + "/agent-credential").substr(0, 64);

  // That credential speaks for its own instance only.
  {
    httplib::Client c("127.0.0.1", api_port_);
    const httplib::Headers h = {{"Authorization", "Bearer " + credential}};
    const json body = {{"instance", other}, {"event", "spot-interruption"}, {"time", "2026-12-02T10:00:00Z"}};
    auto r = c.Post("/v1/agent/events", h, body.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << r->body;
  }

  const auto noticed = std::chrono::steady_clock::now();
  imds.SetInstanceAction(*id, std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                      .count() +
                                  120);
  ASSERT_TRUE(Eventually([&] { return Instances().size() == 3; }, 30s))
      << Log() << ReadText(agent_dir + "/agent.log");
  const auto replaced_in =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - noticed);
  ASSERT_TRUE(Eventually([&] { return Running().count(victim) == 0; }, 120s)) << Log();
  EXPECT_EQ(Running().count(other), 1u);
  EXPECT_NE(ReadText(agent_dir + "/agent.log").find("spot-interruption"), std::string::npos)
      << ReadText(agent_dir + "/agent.log");
  std::cout << "notice in the instance's metadata -> replacement listed by EC2: " << replaced_in.count()
            << " ms (the agent polls every 5 s)\n";
}

}  // namespace
}  // namespace shoal::aws
