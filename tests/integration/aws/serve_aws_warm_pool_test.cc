// The warm pool on the AWS provider against moto_server (see the test).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "adapters/local/imds_server.h"
#include "serve_aws_fixture.h"

namespace shoal::aws {
namespace {

// A warm pool of one on EC2, end to end: the daemon launches an on-demand
// instance tagged shoal:warm; the agent its user data starts (run here as
// cloud-init would run it, pointed at this machine) asks the service's
// health path and, once it answers, reports "provisioned"; the daemon stops
// the instance (StopInstances). A scale-out starts it (StartInstances): it is
// registered with the target group and serves, a spot instance is launched
// behind it, and once that serves the warm one is drained and stopped back
// into the pool instead of terminated.
TEST_F(ServeAwsTest, AWarmInstanceIsStoppedOnceProvisionedAndStartedOnAScaleOut) {
  const std::string report = "http://127.0.0.1:" + std::to_string(api_port_);
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "    # agent:\n    #   report_url: http://10.0.0.5:7400\n",
                 "    agent:\n      report_url: " + report + "\n");
  yaml = Replace(yaml, "    health_check:\n      path: /health",
                 "    warm_pool: {size: 1, pool: on-demand}\n    health_check:\n      path: /health");
  std::ofstream(config_) << yaml;
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  auto warm_ids = [&] {
    std::vector<std::string> out;
    for (const auto& [id, v] : Instances()) {
      if (v.market == "on-demand" && v.state != "terminated" && v.state != "shutting-down") out.push_back(id);
    }
    return out;
  };
  ASSERT_TRUE(Eventually([&] { return warm_ids().size() == 1 && Group().value("in_service", 0) == 2; }, 90s))
      << Log();
  const std::string warm = warm_ids().front();
  EXPECT_EQ(Targets().count(warm), 0u) << "a warming instance takes no traffic";

  // The instance's service, as the agent asks it (the ready URL, moved to a free port).
  httplib::Server service;
  std::atomic<int> asked{0};
  service.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    ++asked;
    res.set_content("ok", "text/plain");
  });
  const int service_port = service.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { service.listen_after_bind(); });
  struct StopServer {
    httplib::Server& s;
    std::thread& t;
    ~StopServer() {
      s.stop();
      if (t.joinable()) t.join();
    }
  } stop_server{service, serving};

  ImdsServer imds;
  const std::optional<InstanceId> id = InstanceId::Parse(warm);
  ASSERT_TRUE(id.has_value()) << warm;
  const Result<int> imds_port = imds.Serve({*id, "m5.large", "us-east-1a", false}, 0);
  ASSERT_TRUE(imds_port.ok()) << imds_port.status().message();
  std::string script = MimePart(UserData(warm), "shoal-agent.sh");
  ASSERT_NE(script.find("--ready 'http://127.0.0.1:8080/health'"), std::string::npos) << script;
  const std::string agent_dir = dir_ + "/warm-etc-shoal";
  // Both lines that start the agent (a systemd unit, else nohup) ask the service's port.
  for (int i = 0; i < 2; ++i) {
    script = Replace(script, "--ready 'http://127.0.0.1:8080/health'",
                     "--ready 'http://127.0.0.1:" + std::to_string(service_port) + "/health'");
  }
  AgentProcess agent;
  ASSERT_NO_FATAL_FAILURE(RunAgentScript(script, agent_dir, *imds_port, &agent));

  ASSERT_TRUE(Eventually([&] { return Instances()[warm].state == "stopped"; }, 60s))
      << Log() << ReadText(agent_dir + "/agent.log");
  EXPECT_GT(asked.load(), 0);
  EXPECT_NE(ReadText(agent_dir + "/agent.log").find("provisioned"), std::string::npos);
  EXPECT_EQ(Group().value("in_service", 0), 2);

  // A scale-out starts it first: it serves, registered, sooner than a launch.
  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", R"({"desired": 3})").status, 200);
  ASSERT_TRUE(Eventually([&] { return Instances()[warm].state == "running" && Targets().count(warm) == 1; }, 60s))
      << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) >= 3; }, 60s)) << Log();
  // Spot behind it; once that serves, the warm one goes back to the pool.
  ASSERT_TRUE(Eventually(
      [&] {
        std::size_t spot = 0;
        for (const auto& [i, v] : Running()) spot += v.market == "spot";
        return spot == 3 && Instances()[warm].state == "stopped";
      },
      120s))
      << Log();
  EXPECT_EQ(Targets().count(warm), 0u) << "deregistered before it stopped";
  EXPECT_EQ(warm_ids(), std::vector<std::string>{warm}) << "stopped back into the pool, not terminated";
}

}  // namespace
}  // namespace shoal::aws
