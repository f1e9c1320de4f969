// `shoal serve --config examples/aws.yaml` end to end against a real
// moto_server on loopback, through a fault-injecting proxy of the test's own
// (moto cannot run out of spot capacity): launches with their tags, targets
// registered in the ELBv2 target group, scale out and in, a spot notice on
// the SQS queue replaced at once, a SIGKILLed daemon adopting its instances
// by tag with no duplicate, and a spot capacity error answered with an
// on-demand launch in the same tick. Health comes from DescribeTargetHealth
// only: nothing is ever sent to the addresses moto invents.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/aws/client.h"
#include "adapters/local/imds_server.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"
#include "integration/test_util.h"

namespace shoal::aws {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `text` with the first `from` replaced by `to` (the test fails if missing).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "examples/aws.yaml no longer has: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string Base64Decode(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : text) {
    const std::size_t at = kAlphabet.find(c);
    if (at == std::string::npos) continue;  // '=' and line breaks
    value = (value << 6) | static_cast<unsigned>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

// The body of the MIME part whose headers name `filename`.
std::string MimePart(const std::string& message, const std::string& filename) {
  const std::size_t named = message.find("filename=\"" + filename + "\"");
  if (named == std::string::npos) return "";
  const std::size_t body = message.find("\n\n", named);
  const std::size_t end = message.find("\n--==", body);
  return body == std::string::npos || end == std::string::npos ? "" : message.substr(body + 2, end - body - 1);
}

struct Ec2View {
  std::string id;
  std::string state;
  std::string market;  // the shoal:market tag
};

class ServeAwsTest : public testing::MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    owner_ = std::string("it-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    owner_ = owner_.substr(0, 60);
    dir_ = shoal::testing::MakeTempDir("shoal-serve-aws");
    api_port_ = shoal::testing::FreePort();
    proxy_ = std::make_unique<testing::FlakyProxy>(moto_->port(), 0, 0, "");

    ClientDeps deps;
    deps.clock = &clock_;
    deps.env = MotoEnv();
    auto client = AwsClient::Create({}, std::move(deps));
    ASSERT_TRUE(client.ok()) << client.status().message();
    aws_ = std::move(*client);

    // What docs/AWS.md says to create first: a target group in the default
    // VPC, and the queue EventBridge would feed.
    auto vpcs = aws_->Query(Service::kEc2, "DescribeVpcs", {{"Filter.1.Name", "isDefault"}, {"Filter.1.Value.1", "true"}});
    ASSERT_TRUE(vpcs.ok()) << vpcs.status().message();
    const std::string vpc = vpcs->Root().Text("vpcSet/item/vpcId");
    ASSERT_FALSE(vpc.empty());
    target_group_name_ = "tg-" + std::to_string(getpid() % 100000) + "-" + std::to_string(++counter_);
    auto tg = aws_->Query(Service::kElbv2, "CreateTargetGroup",
                          {{"Name", target_group_name_}, {"Protocol", "HTTP"}, {"Port", "8080"}, {"VpcId", vpc},
                           {"TargetType", "instance"}, {"HealthCheckPath", "/health"}});
    ASSERT_TRUE(tg.ok()) << tg.status().message();
    target_group_arn_ = tg->Root().Text("CreateTargetGroupResult/TargetGroups/member/TargetGroupArn");
    ASSERT_FALSE(target_group_arn_.empty());
    auto queue = aws_->Json(Service::kSqs, "CreateQueue", {{"QueueName", target_group_name_ + "-spot"}});
    ASSERT_TRUE(queue.ok()) << queue.status().message();
    queue_url_ = queue->value("QueueUrl", "");
    ASSERT_FALSE(queue_url_.empty());

    // examples/aws.yaml as it is, but for this test's names.
    std::string yaml = ReadText(std::string(SHOAL_SOURCE_DIR) + "/examples/aws.yaml");
    yaml = Replace(yaml, "owner: shoal-web", "owner: " + owner_);
    yaml = Replace(yaml, "target_group: shoal-web", "target_group: " + target_group_name_);
    yaml = Replace(yaml, "# spot_queue: https://sqs.us-east-1.amazonaws.com/123456789012/shoal-spot-events",
                   "spot_queue: " + queue_url_);
    config_ = dir_ + "/aws.yaml";
    std::ofstream(config_) << yaml;
  }

  void TearDown() override {
    StopDaemon(SIGKILL);
    if (HasFailure() || getenv("SHOAL_KEEP_TEST_DIRS") != nullptr) {
      std::cout << "kept " << dir_ << " (the daemon's log is daemon.log)\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void StartDaemon() {
    const std::string log = dir_ + "/daemon.log";
    const std::string binary = std::string(SHOAL_BUILD_DIR) + "/shoal";
    const std::string endpoint = proxy_->url();
    daemon_ = fork();
    if (daemon_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setenv("AWS_ENDPOINT_URL", endpoint.c_str(), 1);
      setenv("AWS_REGION", "us-east-1", 1);
      setenv("AWS_ACCESS_KEY_ID", "testing", 1);
      setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
      setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
      setenv("HOME", dir_.c_str(), 1);
      const std::string api = "127.0.0.1:" + std::to_string(api_port_);
      execl(binary.c_str(), binary.c_str(), "serve", "--config", config_.c_str(), "--data-dir",
            (dir_ + "/data").c_str(), "--api", api.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_GT(daemon_, 0);
    for (int i = 0; i < 300 && token_.empty(); ++i) {
      std::this_thread::sleep_for(100ms);
      std::ifstream in(dir_ + "/data/api-token");
      std::getline(in, token_);
      int status = 0;
      ASSERT_EQ(waitpid(daemon_, &status, WNOHANG), 0) << "the daemon exited:\n" << Log();
    }
    ASSERT_FALSE(token_.empty()) << Log();
    ASSERT_TRUE(Eventually([&] { return Api("GET", "/v1/groups/web").status == 200; }, 30s)) << Log();
  }

  void StopDaemon(int sig) {
    if (daemon_ <= 0) return;
    kill(daemon_, sig);
    int status = 0;
    waitpid(daemon_, &status, 0);
    daemon_ = -1;
  }

  std::string Log() const { return ReadText(dir_ + "/daemon.log"); }

  struct Answer {
    int status = 0;
    std::string body;
  };
  Answer Api(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Client c("127.0.0.1", api_port_);
    c.set_read_timeout(10);
    const httplib::Headers h = {{"Authorization", "Bearer " + token_}};
    auto r = method == "GET" ? c.Get(path.c_str(), h) : c.Post(path.c_str(), h, body, "application/json");
    return r ? Answer{r->status, r->body} : Answer{};
  }

  // This test's instances as EC2 lists them (owner tag), by id.
  std::map<std::string, Ec2View> Instances() {
    std::map<std::string, Ec2View> out;
    auto doc = aws_->Query(Service::kEc2, "DescribeInstances",
                           {{"Filter.1.Name", "tag:shoal:owner"}, {"Filter.1.Value.1", owner_}});
    if (!doc.ok()) {
      ADD_FAILURE() << doc.status().message();
      return out;
    }
    for (const XmlNode& item : doc->Root().All("reservationSet/item/instancesSet/item")) {
      Ec2View v;
      v.id = item.Text("instanceId");
      v.state = item.Text("instanceState/name");
      for (const XmlNode& tag : item.All("tagSet/item")) {
        if (tag.Text("key") == "shoal:market") v.market = tag.Text("value");
      }
      out[v.id] = v;
    }
    return out;
  }

  std::map<std::string, Ec2View> Running() {
    std::map<std::string, Ec2View> out;
    for (auto& [id, v] : Instances()) {
      if (v.state == "running" || v.state == "pending") out[id] = v;
    }
    return out;
  }

  // Target id -> state, as DescribeTargetHealth lists the target group.
  std::map<std::string, std::string> Targets() {
    std::map<std::string, std::string> out;
    auto doc = aws_->Query(Service::kElbv2, "DescribeTargetHealth", {{"TargetGroupArn", target_group_arn_}});
    if (!doc.ok()) return out;
    for (const XmlNode& m : doc->Root().All("DescribeTargetHealthResult/TargetHealthDescriptions/member")) {
      out[m.Text("Target/Id")] = m.Text("TargetHealth/State");
    }
    return out;
  }

  json Group() {
    const Answer a = Api("GET", "/v1/groups/web");
    return a.status == 200 ? json::parse(a.body, nullptr, false) : json();
  }

  static bool Eventually(const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(250ms);
    }
    return done();
  }

  // Sends an EventBridge event for `instance` to the queue, as EC2 would.
  void SendEvent(const std::string& detail_type, const std::string& instance, const json& extra = json::object()) {
    json detail = {{"instance-id", instance}};
    for (auto& [k, v] : extra.items()) detail[k] = v;
    const json event = {{"version", "0"},
                        {"id", "evt-" + instance + "-" + std::to_string(++counter_)},
                        {"detail-type", detail_type},
                        {"source", "aws.ec2"},
                        {"account", "123456789012"},
                        {"time", "2026-12-02T10:00:00Z"},
                        {"region", "us-east-1"},
                        {"resources", {"arn:aws:ec2:us-east-1:123456789012:instance/" + instance}},
                        {"detail", detail}};
    auto sent = aws_->Json(Service::kSqs, "SendMessage", {{"QueueUrl", queue_url_}, {"MessageBody", event.dump()}});
    ASSERT_TRUE(sent.ok()) << sent.status().message();
  }

  // The user data EC2 keeps for `instance`, decoded.
  std::string UserData(const std::string& instance) {
    auto doc = aws_->Query(Service::kEc2, "DescribeInstanceAttribute",
                           {{"InstanceId", instance}, {"Attribute", "userData"}});
    if (!doc.ok()) {
      ADD_FAILURE() << doc.status().message();
      return "";
    }
    return Base64Decode(doc->Root().Text("userData/value"));
  }

  SystemClock clock_;
  std::unique_ptr<AwsClient> aws_;
  std::unique_ptr<testing::FlakyProxy> proxy_;
  std::string owner_, dir_, config_, token_, target_group_name_, target_group_arn_, queue_url_;
  int api_port_ = 0;
  pid_t daemon_ = -1;
  static inline int counter_ = 0;
};

TEST_F(ServeAwsTest, LaunchesSpotRegistersTargetsAndScalesOutAndIn) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Running().size() == 2; }, 60s)) << Log();
  for (const auto& [id, v] : Running()) EXPECT_EQ(v.market, "spot") << id;
  ASSERT_TRUE(Eventually([&] { return Targets().size() == 2; }, 60s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 60s)) << Group().dump() << Log();

  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", R"({"desired": 4})").status, 200);
  ASSERT_TRUE(Eventually([&] { return Running().size() == 4 && Targets().size() == 4; }, 60s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 4; }, 60s)) << Log();

  ASSERT_EQ(Api("POST", "/v1/groups/web/scale", R"({"desired": 2})").status, 200);
  // Drained (the target group's delay is the group's drain_timeout), then terminated.
  ASSERT_TRUE(Eventually([&] { return Running().size() == 2; }, 120s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Targets().size() == 2; }, 60s)) << Log();
  EXPECT_EQ(Instances().size(), 4u) << "two terminated, none launched twice";
}

TEST_F(ServeAwsTest, ASpotNoticeOnTheQueueIsReplacedAtOnce) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const std::string victim = Running().begin()->first;
  const auto sent = std::chrono::steady_clock::now();
  SendEvent("EC2 Spot Instance Interruption Warning", victim, {{"instance-action", "terminate"}});
  // A replacement is launched (a third instance) and the noticed one goes.
  ASSERT_TRUE(Eventually([&] { return Instances().size() == 3; }, 30s)) << Log();
  const auto replaced_in = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  ASSERT_TRUE(Eventually([&] { return Running().count(victim) == 0; }, 120s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 60s)) << Log();
  RecordProperty("notice_to_replacement_ms", static_cast<int>(replaced_in.count()));
  std::cout << "notice on the queue -> replacement listed by EC2: " << replaced_in.count() << " ms\n";
}

TEST_F(ServeAwsTest, ARebalanceRecommendationOnTheQueueLaunchesAReplacementBeforeTheInstanceGoes) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const std::string at_risk = Running().begin()->first;
  SendEvent("EC2 Instance Rebalance Recommendation", at_risk);
  // A third instance first; the one at risk leaves only once it serves.
  ASSERT_TRUE(Eventually([&] { return Instances().size() == 3; }, 30s)) << Log();
  ASSERT_TRUE(Eventually([&] { return Running().count(at_risk) == 0; }, 120s)) << Log();
  EXPECT_EQ(Running().size(), 2u);
  EXPECT_EQ(Group().value("in_service", 0), 2) << Log();
}

TEST_F(ServeAwsTest, AKilledDaemonAdoptsItsInstancesByTagWithNoDuplicate) {
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  const auto before = Running();
  StopDaemon(SIGKILL);
  token_.clear();
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 2; }, 90s)) << Log();
  std::this_thread::sleep_for(5s);  // ticks enough to launch a duplicate, were one due
  const auto after = Running();
  EXPECT_EQ(after.size(), 2u) << Log();
  for (const auto& [id, v] : before) EXPECT_EQ(after.count(id), 1u) << id << " was not adopted";
  EXPECT_EQ(Instances().size(), 2u) << "nothing launched again";
}

TEST_F(ServeAwsTest, ASpotCapacityErrorLaunchesOnDemandInTheSameTickAndThrottlingIsRiddenOut) {
  // Every spot RunInstances fails as EC2 fails it when a pool is empty.
  proxy_->FailWhen(
      [](const std::string& body) {
        return body.find("Action=RunInstances") != std::string::npos &&
               body.find("MarketType=spot") != std::string::npos;
      },
      500,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>InsufficientInstanceCapacity</Code>"
      "<Message>There is no Spot capacity available that matches your request.</Message></Error></Errors>"
      "<RequestID>proxy</RequestID></Response>");
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Running().size() == 2; }, 60s)) << Log();
  for (const auto& [id, v] : Running()) EXPECT_EQ(v.market, "on-demand") << id;
  EXPECT_GT(proxy_->matched(), 0);
  // The launch-failed and the on-demand launch are one tick apart at most:
  // the group is decided again in the tick of the capacity error.
  const std::string log = Log();
  EXPECT_NE(log.find("InsufficientInstanceCapacity"), std::string::npos) << log;

  // Throttling of every DescribeInstances for a while: the daemon keeps
  // running and serving its API, and nothing is launched twice.
  proxy_->FailWhen(
      [](const std::string& body) { return body.find("Action=DescribeInstances") != std::string::npos; }, 503,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
      "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>");
  std::this_thread::sleep_for(8s);
  EXPECT_EQ(Api("GET", "/v1/groups/web").status, 200);
  proxy_->FailWhen(nullptr, 0, "");
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(Running().size(), 2u) << Log();
  EXPECT_EQ(Instances().size(), 2u) << Log();
}

// The AWS calls a 100-instance group makes in a steady minute: the budget
// that keeps a fleet inside EC2's request limits (Describe* calls share a
// bucket refilled at 20 a second). Printed for the record; the bound is
// what the adapters promise (listings every 5 s, prices every 5 minutes
// per pool, one metrics call per group and minute, one long poll per 5 s).
TEST_F(ServeAwsTest, ASteadyHundredInstanceGroupStaysWithinItsCallBudget) {
  std::string yaml = ReadText(config_);
  yaml = Replace(yaml, "min: 2\n    desired: 2\n    max: 40", "min: 100\n    desired: 100\n    max: 120");
  std::ofstream(config_) << yaml;
  StartDaemon();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(Eventually([&] { return Group().value("in_service", 0) == 100; }, 240s)) << Group().dump();
  std::this_thread::sleep_for(10s);  // past the launches' own calls
  proxy_->ResetCounts();
  std::this_thread::sleep_for(60s);
  const std::map<std::string, int> calls = proxy_->CountsByAction();
  int total = 0;
  std::string list;
  for (const auto& [action, n] : calls) {
    total += n;
    list += " " + action + "=" + std::to_string(n);
  }
  std::cout << "AWS calls in a steady minute, 100 instances:" << list << " total=" << total << "\n";
  EXPECT_EQ(Group().value("in_service", 0), 100);
  EXPECT_EQ(calls.count("RunInstances"), 0u) << list;
  EXPECT_EQ(calls.count("TerminateInstances"), 0u) << list;
  EXPECT_LE(calls.count("DescribeInstances") ? calls.at("DescribeInstances") : 0, 14) << list;
  EXPECT_LE(calls.count("DescribeTargetHealth") ? calls.at("DescribeTargetHealth") : 0, 13) << list;
  EXPECT_GE(calls.count("GetMetricData") ? calls.at("GetMetricData") : 0, 1) << "a group's minute is read" << list;
  EXPECT_LE(calls.count("GetMetricData") ? calls.at("GetMetricData") : 0, 2) << "in one call" << list;
  EXPECT_LE(total, 60) << list;
}

}  // namespace
}  // namespace shoal::aws

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
  script = Replace(script, "shoal_dir=/etc/shoal", "shoal_dir=" + agent_dir);
  script = Replace(script, "imds=http://169.254.169.254", "imds=http://127.0.0.1:" + std::to_string(*imds_port));
  script = Replace(script, "binary='/usr/local/bin/shoal'", "binary='" + std::string(SHOAL_BUILD_DIR) + "/shoal'");
  const std::string script_path = dir_ + "/shoal-agent.sh";
  std::ofstream(script_path) << script;

  // Its own process group, so the agent it leaves running is stopped below.
  const pid_t sh = fork();
  if (sh == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", script_path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(sh, 0);
  setpgid(sh, sh);
  int status = 0;
  waitpid(sh, &status, 0);
  struct StopAgent {
    pid_t group;
    ~StopAgent() { kill(-group, SIGTERM); }
  } stop_agent{sh};
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the agent's script failed: " << status;
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
