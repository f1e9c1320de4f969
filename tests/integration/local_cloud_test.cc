// LocalCloud against real processes on loopback: launch, provisioning,
// health file, termination of whole process groups, idempotent launch
// tokens, adoption by a restarted daemon, external kills, CPU sampling and
// spot notices. Every wait is a WaitUntil with a deadline.
#include "adapters/local/local_cloud.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/local/imds_server.h"
#include "adapters/local/proc_stat.h"
#include "adapters/local/spot_market.h"
#include "test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::HttpGet;
using testing::WaitUntil;

constexpr auto kWait = milliseconds(20000);
const std::string kPython = "/usr/bin/python3";
const std::string kWeb = std::string(SHOAL_BUILD_DIR) + "/examples/web/shoal_web";

class TestClock : public Clock {
 public:
  Seconds Now() const override {
    return fixed_ >= 0 ? fixed_.load() : static_cast<Seconds>(std::time(nullptr));
  }
  void Set(Seconds t) { fixed_ = t; }

 private:
  std::atomic<Seconds> fixed_{-1};
};

// The service: the example web server when it has been built, else Python's
// http.server serving the instance directory (so GET /health is 200 once the
// health file exists, like shoal_web).
std::vector<std::string> WebCommand() {
  if (fs::exists(kWeb)) return {kWeb, "--port", "{port}", "--dir", "{dir}"};
  return {kPython, "-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", "{dir}"};
}

std::vector<std::string> Python(const std::string& code) { return {kPython, "-c", code}; }

GroupSpec Group(const std::string& name, std::vector<std::string> command,
                std::vector<std::vector<std::string>> provision = {}) {
  GroupSpec g;
  g.name = name;
  g.launch.command = std::move(command);
  g.launch.provision = std::move(provision);
  return g;
}

LaunchRequest Request(const std::string& group, const std::string& token = "") {
  LaunchRequest r;
  r.group = group;
  r.instance_type = "m4.large";
  r.launch_token = token;
  return r;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json RecordOf(const std::string& dir) {
  return nlohmann::json::parse(Slurp(dir + "/instance.json"));
}

int LiveInGroup(int pgid) {
  int n = 0;
  for (const ProcStat& p : ScanProcesses()) n += p.pgrp == pgid && p.Alive() ? 1 : 0;
  return n;
}

class LocalCloudTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.cores = 64;  // more instances than this machine's cores: the capacity test sets its own
    ASSERT_TRUE(fs::exists(kPython)) << kPython << " is needed for the test services";
    data_ = testing::MakeTempDir("shoal-local-cloud");
  }

  void TearDown() override {
    if (cloud_) {
      auto described = cloud_->Describe();
      if (described.ok()) {
        for (const auto& d : *described) (void)cloud_->Terminate(d.id);
      }
      WaitUntil([&] { return AllGone(); }, kWait);
    }
    KillEverything();
    cloud_.reset();
    if (!data_.empty()) fs::remove_all(data_);
  }

  void Start(std::vector<GroupSpec> groups, Seconds grace = 2) {
    std::map<std::string, GroupSpec> by_name;
    for (GroupSpec& g : groups) by_name[g.name] = std::move(g);
    groups_ = by_name;
    options_.data_dir = data_;
    options_.terminate_grace = grace;
    cloud_ = std::make_unique<LocalCloud>(options_, &clock_, by_name, market_, imds_);
  }

  // A second daemon on the same data directory.
  void Restart() {
    cloud_.reset();
    LocalCloudOptions o;
    o.data_dir = data_;
    o.cores = options_.cores;
    o.terminate_grace = 2;
    cloud_ = std::make_unique<LocalCloud>(o, &clock_, groups_, market_, imds_);
  }

  InstanceId MustLaunch(const LaunchRequest& r) {
    Result<LaunchedInstance> launched = cloud_->Launch(r);
    EXPECT_TRUE(launched.ok()) << launched.status().message();
    if (!launched.ok()) return {};
    EXPECT_EQ(launched->address.host, "127.0.0.1");
    EXPECT_EQ(launched->address.port, cloud_->PortOf(launched->id));
    return launched->id;
  }

  // Polls until `event` is seen for `id`; every event seen is kept in seen_.
  bool WaitForEvent(InstanceId id, InstanceEvent event) {
    return WaitUntil(
        [&] {
          for (const auto& e : cloud_->Poll()) seen_.push_back(e);
          for (const auto& e : seen_) {
            if (e.observation.id == id && e.observation.event == event) return true;
          }
          return false;
        },
        kWait);
  }

  int Count(InstanceId id, InstanceEvent event) const {
    int n = 0;
    for (const auto& e : seen_) n += e.observation.id == id && e.observation.event == event ? 1 : 0;
    return n;
  }

  int PgidOf(InstanceId id) const { return RecordOf(cloud_->DirOf(id))["pgid"].get<int>(); }

  bool Running(InstanceId id) {
    auto described = cloud_->Describe();
    if (!described.ok()) return false;
    for (const auto& d : *described) {
      if (d.id == id) return d.running;
    }
    return false;
  }

  bool AllGone() const {
    for (const fs::directory_entry& e : fs::directory_iterator(data_ + "/instances")) {
      if (!fs::exists(e.path() / "instance.json")) continue;
      const int pgid = RecordOf(e.path().string())["pgid"].get<int>();
      if (pgid > 1 && LiveInGroup(pgid) > 0) return false;
    }
    return true;
  }

  // Whatever a failed test left behind.
  void KillEverything() const {
    if (data_.empty() || !fs::exists(data_ + "/instances")) return;
    for (const fs::directory_entry& e : fs::directory_iterator(data_ + "/instances")) {
      if (!fs::exists(e.path() / "instance.json")) continue;
      const int pgid = RecordOf(e.path().string())["pgid"].get<int>();
      if (pgid > 1 && LiveInGroup(pgid) > 0) ::kill(-pgid, SIGKILL);
    }
  }

  TestClock clock_;
  LocalCloudOptions options_;
  LocalSpotMarket* market_ = nullptr;
  ImdsServer* imds_ = nullptr;
  std::string data_;
  std::map<std::string, GroupSpec> groups_;
  std::unique_ptr<ImdsServer> own_imds_;  // outlives cloud_ (TearDown resets cloud_ first)
  std::unique_ptr<LocalCloud> cloud_;
  std::vector<GroupInstanceEvent> seen_;
};

TEST_F(LocalCloudTest, LaunchBootsProvisionsAndServesOnItsPort) {
  Start({Group("web", WebCommand())});
  const InstanceId id = MustLaunch(Request("web"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kBooted));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const int port = cloud_->PortOf(id);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(WaitUntil([&] { return HttpGet(port, "/health") == 200; }, kWait));

  const std::string dir = cloud_->DirOf(id);
  EXPECT_EQ(fs::path(dir).filename().string().size(), 16u);
  const nlohmann::json rec = RecordOf(dir);
  EXPECT_EQ(rec["group"], "web");
  EXPECT_EQ(rec["port"], port);
  EXPECT_EQ(rec["state"], "running");
  EXPECT_GT(rec["pgid"].get<int>(), 1);
  EXPECT_TRUE(Running(id));
  EXPECT_EQ(Count(id, InstanceEvent::kBooted), 1);
  EXPECT_EQ(Count(id, InstanceEvent::kUnhealthy), 0);
  RecordProperty("service", WebCommand()[0]);
  RecordProperty("cpu_enforcement", cloud_->cpu_enforcement());
}

TEST_F(LocalCloudTest, ProvisionStepsRunInOrderWithTheInstanceEnvironment) {
  GroupSpec g =
      Group("web", WebCommand(), {{"touch", "{dir}/a"}, {"/bin/cp", "{dir}/a", "{dir}/b"}, {"/usr/bin/env"}});
  g.launch.env = {{"GREETING", "hello world"}};
  // Something of the daemon's environment an instance must not see.
  ::setenv("SHOAL_TOKEN", "admin-secret", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak", 1);
  Start({g});
  const InstanceId id = MustLaunch(Request("web"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const std::string dir = cloud_->DirOf(id);
  EXPECT_TRUE(fs::exists(dir + "/a"));
  EXPECT_TRUE(fs::exists(dir + "/b"));  // cp ran after touch
  EXPECT_TRUE(fs::exists(dir + "/health"));
  const std::string env = Slurp(dir + "/stdout.log");
  EXPECT_NE(env.find("GREETING=hello world\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PORT=" + std::to_string(cloud_->PortOf(id)) + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("SHOAL_INSTANCE_ID=" + id.str() + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("SHOAL_INSTANCE_DIR=" + dir + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("SHOAL_GROUP=web\n"), std::string::npos) << env;  // ownership tags
  EXPECT_NE(env.find("SHOAL_OWNER="), std::string::npos) << env;
  EXPECT_NE(env.find("\nPATH="), std::string::npos) << env;            // allow-listed from the daemon
  EXPECT_EQ(env.find("admin-secret"), std::string::npos) << "the daemon's environment stays with it";
  EXPECT_EQ(env.find("do-not-leak"), std::string::npos);
  ::unsetenv("SHOAL_TOKEN");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
}

// The machine's CPU is a pool that runs out: a launch beyond it fails for
// lack of capacity, as a cloud pool answers, and succeeds again once some
// capacity is free.
TEST_F(LocalCloudTest, LaunchesBeyondTheMachinesCoresFailForLackOfCapacity) {
  options_.cores = 1.0;
  GroupSpec g = Group("web", WebCommand());
  g.launch.cpu_share = 0.5;
  Start({g});
  const InstanceId a = MustLaunch(Request("web"));
  MustLaunch(Request("web"));
  Result<LaunchedInstance> third = cloud_->Launch(Request("web"));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), StatusCode::kInsufficientCapacity);
  EXPECT_NE(third.status().message().find("1.00 cores"), std::string::npos) << third.status().message();
  ASSERT_TRUE(cloud_->Terminate(a).ok());
  EXPECT_TRUE(cloud_->Launch(Request("web")).ok());
}

// An instance whose instance.json was deleted is found again from the tags
// its processes carry: listed, and stopped by Terminate like any other.
TEST_F(LocalCloudTest, AnInstanceWhoseRecordWasDeletedIsFoundByItsTags) {
  Start({Group("web", WebCommand())});
  LaunchRequest r = Request("web");
  r.launch_token = "web-7-0";
  const InstanceId id = MustLaunch(r);
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const std::string dir = cloud_->DirOf(id);
  const int pgid = PgidOf(id);
  cloud_.reset();  // the daemon goes away ...
  ASSERT_TRUE(fs::remove(dir + "/instance.json"));  // ... and the record with it
  Start({Group("web", WebCommand())});
  Result<std::vector<DescribedInstance>> listed = cloud_->Describe();
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, id);
  EXPECT_EQ((*listed)[0].group, "web");
  EXPECT_EQ((*listed)[0].launch_token, "web-7-0");
  EXPECT_TRUE((*listed)[0].running);
  EXPECT_TRUE(fs::exists(dir + "/instance.json")) << "the record is rebuilt";
  ASSERT_TRUE(cloud_->Terminate(id).ok());
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait));
}

TEST_F(LocalCloudTest, FailingProvisionStepIsUnhealthyWithItsReason) {
  Start({Group("web", WebCommand(),
               {{"touch", "{dir}/a"}, {"/bin/cp", "{dir}/missing", "{dir}/b"}, {"touch", "{dir}/c"}})});
  const InstanceId id = MustLaunch(Request("web"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kUnhealthy));
  const std::string dir = cloud_->DirOf(id);
  const std::string reason = Slurp(dir + "/provision-failed");
  EXPECT_NE(reason.find("provision step 2 (/bin/cp"), std::string::npos) << reason;
  EXPECT_NE(reason.find("exited with status 1"), std::string::npos) << reason;
  EXPECT_FALSE(fs::exists(dir + "/c"));       // later steps never ran
  EXPECT_FALSE(fs::exists(dir + "/health"));  // nor the command
  EXPECT_EQ(Count(id, InstanceEvent::kProvisioned), 0);
  EXPECT_FALSE(Running(id));
  // Reported once, however often the controller polls.
  for (const auto& e : cloud_->Poll()) seen_.push_back(e);
  EXPECT_EQ(Count(id, InstanceEvent::kUnhealthy), 1);
}

TEST_F(LocalCloudTest, ProvisionStepThatHangsFailsAtTheTimeout) {
  options_.provision_timeout = 1;
  Start({Group("web", WebCommand(), {{"sleep", "600"}})});
  const InstanceId id = MustLaunch(Request("web"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kUnhealthy));
  const std::string reason = Slurp(cloud_->DirOf(id) + "/provision-failed");
  EXPECT_NE(reason.find("provision step 1 (sleep 600) did not finish within the provision timeout (1s)"),
            std::string::npos)
      << reason;
}

// The agent and the syslog relay run in the instance's process group, the
// agent with the IMDS and report addresses; the instance is its service, so
// a dead service is unhealthy even while they still run, and stopping it
// takes them too.
TEST_F(LocalCloudTest, AgentRunsInTheGroupAndDoesNotKeepADeadServiceAlive) {
  const std::string agent = data_ + "/fake-agent";
  std::ofstream(agent)
      << "#!" << kPython << "\n"
      << "import os, sys, time\n"
      << "open(os.environ['SHOAL_INSTANCE_DIR'] + '/' + sys.argv[1] + '-args', 'w').write(' '.join(sys.argv[1:]))\n"
      << "time.sleep(600)\n";
  fs::permissions(agent, fs::perms::owner_all);
  options_.agent_binary = agent;
  options_.agent_report_url = "http://127.0.0.1:7400";
  options_.agent_credential = [](InstanceId id) { return "credential-of-" + id.str(); };
  own_imds_ = std::make_unique<ImdsServer>();
  imds_ = own_imds_.get();
  Start({Group("web", WebCommand())});
  const InstanceId id = MustLaunch(Request("web"));
  const std::string dir = cloud_->DirOf(id);
  ASSERT_TRUE(WaitUntil([&] { return !Slurp(dir + "/agent-args").empty(); }, kWait));
  const int imds_port = RecordOf(dir)["imds_port"].get<int>();
  EXPECT_EQ(Slurp(dir + "/agent-args"),
            "agent --imds http://127.0.0.1:" + std::to_string(imds_port) + " --instance " +
                id.str() + " --report http://127.0.0.1:7400 --token-file " + dir + "/agent-token");
  // Its own credential, readable by the instance's user only; never the admin token.
  EXPECT_EQ(Slurp(dir + "/agent-token"), "credential-of-" + id.str() + "\n");
  EXPECT_EQ(fs::status(dir + "/agent-token").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::string imds_id;
  EXPECT_EQ(HttpGet(imds_port, "/latest/meta-data/instance-id", &imds_id), 200);
  EXPECT_EQ(imds_id, id.str());
  const int pgid = PgidOf(id);
  ASSERT_TRUE(WaitUntil([&] { return !Slurp(dir + "/syslog-relay-args").empty(); }, kWait));
  EXPECT_EQ(Slurp(dir + "/syslog-relay-args"), "syslog-relay --socket-fd 3 --out " + dir + "/syslog.log");
  ASSERT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 3; }, kWait));  // service + agent + relay

  ASSERT_EQ(::kill(pgid, SIGKILL), 0);  // the service only
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kUnhealthy));
  EXPECT_FALSE(Running(id));
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait));  // agent and relay went with it
}

TEST_F(LocalCloudTest, UnknownCommandIsRefusedNamingIt) {
  Start({Group("web", {"no-such-service-xyz", "{port}"})});
  Result<LaunchedInstance> id = cloud_->Launch(Request("web"));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("no-such-service-xyz"), std::string::npos) << id.status().message();
  EXPECT_NE(id.status().message().find("launch.command"), std::string::npos) << id.status().message();
  EXPECT_FALSE(fs::exists(data_ + "/instances/0000000000000001"));  // nothing left behind
  Result<LaunchedInstance> unknown = cloud_->Launch(Request("nope"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
}

// The service ignores SIGTERM and so does the child it started: only the
// SIGKILL after the grace ends them, and it reaches the whole group.
TEST_F(LocalCloudTest, TerminateKillsTheWholeProcessGroupAfterTheGrace) {
  const std::string stubborn =
      "import signal, subprocess, sys, time\n"
      "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
      "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
      "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
      "time.sleep(600)\n";
  Start({Group("stubborn", Python(stubborn))}, /*grace=*/1);
  const InstanceId id = MustLaunch(Request("stubborn"));
  const int pgid = PgidOf(id);
  ASSERT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) >= 2; }, kWait)) << "the child never started";
  ASSERT_TRUE(cloud_->Terminate(id).ok());
  EXPECT_FALSE(Running(id));  // going: the controller may forget it now
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait));
  EXPECT_TRUE(WaitUntil([&] { return RecordOf(cloud_->DirOf(id))["state"] == "terminated"; }, kWait));
  EXPECT_TRUE(cloud_->Terminate(id).ok());      // idempotent
  EXPECT_TRUE(cloud_->Terminate(Id(987654)).ok());  // unknown
  for (const auto& e : cloud_->Poll()) seen_.push_back(e);
  EXPECT_EQ(Count(id, InstanceEvent::kUnhealthy), 0);  // asked for, not a failure
}

TEST_F(LocalCloudTest, SameLaunchTokenTwiceIsOneInstance) {
  Start({Group("web", WebCommand())});
  const InstanceId first = MustLaunch(Request("web", "token-1"));
  const InstanceId again = MustLaunch(Request("web", "token-1"));
  EXPECT_EQ(first, again);
  const InstanceId other = MustLaunch(Request("web", "token-2"));
  EXPECT_GT(other, first);
  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  EXPECT_EQ(described->size(), 2u);
}

TEST_F(LocalCloudTest, RestartedDaemonAdoptsTheRunningInstanceAndCanTerminateIt) {
  Start({Group("web", WebCommand())});
  LaunchRequest r = Request("web", "adopt-me");
  r.weight = 2;
  const InstanceId id = MustLaunch(r);
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const int port = cloud_->PortOf(id);
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(port, "/health") == 200; }, kWait));
  const int pgid = PgidOf(id);

  Restart();
  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  ASSERT_EQ(described->size(), 1u);
  const DescribedInstance& d = (*described)[0];
  EXPECT_EQ(d.id, id);
  EXPECT_EQ(d.group, "web");
  EXPECT_EQ(d.launch_token, "adopt-me");
  EXPECT_DOUBLE_EQ(d.weight, 2);
  EXPECT_TRUE(d.running);
  EXPECT_EQ(cloud_->PortOf(id), port);
  EXPECT_EQ(HttpGet(port, "/health"), 200);               // the service outlived the daemon
  EXPECT_EQ(MustLaunch(Request("web", "adopt-me")), id);  // the token survives too
  const InstanceId fresh = MustLaunch(Request("web"));
  EXPECT_GT(fresh, id);  // ids are never reused

  ASSERT_TRUE(cloud_->Terminate(id).ok());
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait));
  EXPECT_FALSE(Running(id));
}

// The warm pool: Stop holds every process of the instance in SIGSTOP (the
// service answers nothing), the record says so, a restarted daemon keeps it
// stopped and running (tracked, billed); Start resumes it and it serves on
// the same port; a stopped instance can still be terminated.
TEST_F(LocalCloudTest, StopHoldsTheProcessGroupInSigstopAndStartResumesIt) {
  Start({Group("web", WebCommand())});
  LaunchRequest r = Request("web", "warm-1");
  r.warm = true;
  const InstanceId id = MustLaunch(r);
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const int port = cloud_->PortOf(id);
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(port, "/health") == 200; }, kWait));
  const int pgid = PgidOf(id);
  auto all_stopped = [&] {
    int live = 0;
    int held = 0;
    for (const ProcStat& p : ScanProcesses()) {
      if (p.pgrp != pgid || !p.Alive()) continue;
      ++live;
      held += p.state == 'T' ? 1 : 0;
    }
    return live > 0 && held == live;
  };

  ASSERT_TRUE(cloud_->Stop(id).ok());
  EXPECT_TRUE(cloud_->Stop(id).ok()) << "asked again: nothing to do";
  EXPECT_TRUE(WaitUntil(all_stopped, kWait));
  EXPECT_EQ(RecordOf(cloud_->DirOf(id))["state"], "stopped");
  EXPECT_TRUE(Running(id)) << "a stopped instance is still there (and billed)";

  Restart();
  EXPECT_TRUE(Running(id)) << "a restarted daemon keeps tracking it";
  EXPECT_TRUE(all_stopped()) << "and keeps it stopped";
  EXPECT_EQ(RecordOf(cloud_->DirOf(id))["state"], "stopped");
  for (const auto& e : cloud_->Poll()) {
    EXPECT_FALSE(e.observation.id == id && e.observation.event == InstanceEvent::kUnhealthy)
        << "a stopped instance is not a dead one";
  }

  ASSERT_TRUE(cloud_->Start(id).ok());
  EXPECT_TRUE(WaitUntil([&] { return HttpGet(port, "/health") == 200; }, kWait)) << "serves again";
  EXPECT_EQ(RecordOf(cloud_->DirOf(id))["state"], "running");
  EXPECT_FALSE(all_stopped());

  ASSERT_TRUE(cloud_->Stop(id).ok());
  ASSERT_TRUE(cloud_->Terminate(id).ok());
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait)) << "a stopped group terminates too";
  EXPECT_FALSE(Running(id));
}

TEST_F(LocalCloudTest, StartOrStopOfAnUnknownInstanceIsNotFound) {
  Start({Group("web", WebCommand())});
  EXPECT_EQ(cloud_->Stop(InstanceId::FromCounter(999)).code(), StatusCode::kNotFound);
  EXPECT_EQ(cloud_->Start(InstanceId::FromCounter(999)).code(), StatusCode::kNotFound);
}

// An instance whose processes die outside Shoal's control is reported once
// as kUnhealthy (the controller replaces it), and Describe says it is gone.
TEST_F(LocalCloudTest, ExternallyKilledInstanceIsReportedUnhealthy) {
  Start({Group("web", WebCommand())});
  const InstanceId id = MustLaunch(Request("web"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const int pgid = PgidOf(id);
  ASSERT_EQ(::kill(-pgid, SIGKILL), 0);
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kUnhealthy));
  EXPECT_FALSE(Running(id));
  EXPECT_TRUE(WaitUntil([&] { return RecordOf(cloud_->DirOf(id))["state"] == "exited"; }, kWait));
  // Also after a restart.
  Restart();
  EXPECT_FALSE(Running(id));
}

TEST_F(LocalCloudTest, InstanceThatDiedWhileTheDaemonWasAwayIsNotRunning) {
  Start({Group("web", WebCommand())});
  const InstanceId id = MustLaunch(Request("web"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kBooted));
  const int pgid = PgidOf(id);
  cloud_.reset();
  ::kill(-pgid, SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait));
  Restart();
  EXPECT_FALSE(Running(id));
}

// `shoal down` after a daemon died: an instance whose leader exited while no
// daemon watched still has processes in its group, wherever they work. They
// all go; instances that left nothing are not counted.
TEST_F(LocalCloudTest, StragglersOfAnExitedInstanceAreKilled) {
  Start({Group("web", Python("import subprocess, os\n"
                             "subprocess.Popen(['/bin/sleep', '300'])\n"
                             "subprocess.Popen(['/bin/sleep', '300'], cwd='/tmp')\n"
                             "os._exit(0)\n"))});
  const InstanceId id = MustLaunch(Request("web"));
  const int pgid = PgidOf(id);
  ASSERT_GT(pgid, 1);
  ASSERT_TRUE(WaitUntil([&] { return !Running(id) && LiveInGroup(pgid) == 2; }, kWait));
  Restart();  // no daemon polled it: nothing has stopped the two sleeps
  EXPECT_EQ(LiveInGroup(pgid), 2);
  EXPECT_EQ(cloud_->StopStragglers(), 1);
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait)) << "the one in /tmp too";
  EXPECT_EQ(cloud_->StopStragglers(), 0);
}

TEST_F(LocalCloudTest, SampleCpuShowsABusyInstanceNearItsShareAndAnIdleOneNearZero) {
  GroupSpec busy = Group("busy", Python("while True: pass"));
  busy.launch.cpu_share = 0.5;
  GroupSpec idle = Group("idle", Python("import time; time.sleep(600)"));
  Start({busy, idle});
  const InstanceId hot = MustLaunch(Request("busy"));
  const InstanceId cold = MustLaunch(Request("idle"));
  (void)cloud_->SampleCpu();  // baseline
  const int pgid = PgidOf(hot);
  const auto ticks = [&] {
    auto st = ReadProcStat(pgid);
    return st ? st->utime + st->stime : 0;
  };
  const std::uint64_t before = ticks();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(milliseconds(2000));  // let CPU time accumulate (not an assertion)
  const std::vector<CpuSample> samples = cloud_->SampleCpu();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cores_used =
      static_cast<double>(ticks() - before) / static_cast<double>(::sysconf(_SC_CLK_TCK)) / seconds;
  double hot_percent = -1;
  double cold_percent = -1;
  for (const CpuSample& s : samples) {
    if (s.id == hot) hot_percent = s.percent;
    if (s.id == cold) cold_percent = s.percent;
  }
  RecordProperty("busy_percent", std::to_string(hot_percent));
  RecordProperty("busy_cores_used", std::to_string(cores_used));
  RecordProperty("cpu_enforcement", cloud_->cpu_enforcement());
  EXPECT_GE(hot_percent, 70.0) << cloud_->cpu_enforcement();
  EXPECT_LE(hot_percent, 100.0);
  EXPECT_GE(cold_percent, 0.0);
  EXPECT_LE(cold_percent, 20.0);
  if (cloud_->cpu_enforcement().rfind("cgroup", 0) == 0) {
    EXPECT_LT(cores_used, 0.75) << "a share of 0.5 cores is enforced: " << cloud_->cpu_enforcement();
  }
}

// A service that does its work in short-lived children (a prefork or CGI
// style worker): their CPU stays with the group through the parent that
// waited for them, so the instance does not look idle.
TEST_F(LocalCloudTest, SampleCpuCountsWorkOfChildrenThatHaveExited) {
  GroupSpec forking = Group("forking", Python("import subprocess, sys\n"
                                              "burn = 'import time\\nt = time.time()\\n"
                                              "while time.time() - t < 0.1: pass'\n"
                                              "while True: subprocess.run([sys.executable, '-c', burn])\n"));
  forking.launch.cpu_share = 0.5;
  Start({forking});
  const InstanceId id = MustLaunch(Request("forking"));
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  (void)cloud_->SampleCpu();  // baseline
  std::this_thread::sleep_for(milliseconds(2000));  // twenty-odd children come and go (not an assertion)
  double percent = -1;
  for (const CpuSample& s : cloud_->SampleCpu()) {
    if (s.id == id) percent = s.percent;
  }
  RecordProperty("forking_percent", std::to_string(percent));
  EXPECT_GE(percent, 60.0) << cloud_->cpu_enforcement();
}

class LocalCloudSpotTest : public LocalCloudTest {
 protected:
  void SetUp() override {
    LocalCloudTest::SetUp();
    spot_market_ = std::make_unique<LocalSpotMarket>(nullptr, std::vector<std::string>{"m5.large/us-east-1a"},
                                                     0.04, kNoticeSeconds);
    imds_server_ = std::make_unique<ImdsServer>();
    market_ = spot_market_.get();
    imds_ = imds_server_.get();
    clock_.Set(1000000);
  }
  void TearDown() override {
    LocalCloudTest::TearDown();
    imds_server_.reset();
  }

  LaunchRequest SpotRequest() {
    LaunchRequest r = Request("web");
    r.market = Market::kSpot;
    r.instance_type = "m5.large";
    r.zone = "us-east-1a";
    r.pool = "m5.large/us-east-1a";
    return r;
  }

  static constexpr Seconds kNoticeSeconds = 120;
  std::unique_ptr<LocalSpotMarket> spot_market_;
  std::unique_ptr<ImdsServer> imds_server_;
};

TEST_F(LocalCloudSpotTest, NoticeReachesPollAndImdsThenTheMarketTakesTheInstance) {
  Start({Group("web", WebCommand())});
  const InstanceId id = MustLaunch(SpotRequest());
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kProvisioned));
  const int imds_port = RecordOf(cloud_->DirOf(id))["imds_port"].get<int>();
  ASSERT_GT(imds_port, 0);
  EXPECT_EQ(HttpGet(imds_port, "/latest/meta-data/spot/instance-action"), 404);
  const int pgid = PgidOf(id);

  ASSERT_TRUE(spot_market_->Interrupt(id, clock_.Now()).ok());
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kNotice));
  for (const auto& e : seen_) {
    if (e.observation.event == InstanceEvent::kNotice) {
      EXPECT_EQ(e.observation.deadline, 1000000 + kNoticeSeconds);
    }
  }
  std::string action;
  EXPECT_EQ(HttpGet(imds_port, "/latest/meta-data/spot/instance-action", &action), 200);
  EXPECT_NE(action.find("terminate"), std::string::npos) << action;
  EXPECT_EQ(Count(id, InstanceEvent::kTerminated), 0);  // not before terminate_at

  clock_.Set(1000000 + kNoticeSeconds);
  ASSERT_TRUE(WaitForEvent(id, InstanceEvent::kTerminated));
  EXPECT_TRUE(WaitUntil([&] { return LiveInGroup(pgid) == 0; }, kWait));
  EXPECT_FALSE(Running(id));
  EXPECT_EQ(Count(id, InstanceEvent::kUnhealthy), 0);
}

TEST_F(LocalCloudSpotTest, NoCapacityInThePoolIsInsufficientCapacity) {
  Start({Group("web", WebCommand())});
  spot_market_->SetShortage("m5.large/us-east-1a", 1000000 + 600);
  Result<LaunchedInstance> id = cloud_->Launch(SpotRequest());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kInsufficientCapacity);
  const PoolObservation pool = cloud_->Pool("m5.large", "us-east-1a");
  EXPECT_EQ(pool.capacity_score, 0);
  EXPECT_DOUBLE_EQ(pool.price, 0.04);
  EXPECT_DOUBLE_EQ(pool.on_demand_price, 0.096);
  EXPECT_DOUBLE_EQ(cloud_->OnDemandPrice("c5.large"), 0.085);
}

}  // namespace
}  // namespace shoal
