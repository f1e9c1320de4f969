// The fixture of the `shoal serve` tests against moto_server: a target
// group and a spot queue of the test's own, examples/aws.yaml with their
// names, the daemon as a child process behind a fault-injecting proxy, and
// views of what EC2, ELBv2 and the API say. Nothing is ever sent to the
// addresses moto invents for instances.
#pragma once

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
#include "adapters/system/system_clock.h"
#include "aws_support.h"
#include "integration/test_util.h"

namespace shoal::aws {

using namespace std::chrono_literals;
using nlohmann::json;

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The body of the MIME part whose headers name `filename` (in user data).
inline std::string MimePart(const std::string& message, const std::string& filename) {
  const std::size_t named = message.find("filename=\"" + filename + "\"");
  if (named == std::string::npos) return "";
  const std::size_t body = message.find("\n\n", named);
  const std::size_t end = message.find("\n--==", body);
  return body == std::string::npos || end == std::string::npos ? "" : message.substr(body + 2, end - body - 1);
}

// `text` with the first `from` replaced by `to` (the test fails if missing).
inline std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "examples/aws.yaml no longer has: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Base64 as EC2 answers user data in (RFC 4648, padding and breaks skipped).
inline std::string Base64Decode(const std::string& text) {
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

  // The agent a user data script leaves running, in its own process group.
  struct AgentProcess {
    pid_t group = -1;
    ~AgentProcess() {
      if (group > 0) kill(-group, SIGTERM);
    }
  };

  // Runs Shoal's part of an instance's user data (`script`) as cloud-init
  // would, but pointed at this machine: its files under `agent_dir`, the
  // metadata service at `imds_port`, this build's binary. The agent it starts
  // is `agent`'s to stop. Call through ASSERT_NO_FATAL_FAILURE.
  void RunAgentScript(std::string script, const std::string& agent_dir, int imds_port, AgentProcess* agent) {
    script = Replace(script, "shoal_dir=/etc/shoal", "shoal_dir=" + agent_dir);
    script = Replace(script, "imds=http://169.254.169.254", "imds=http://127.0.0.1:" + std::to_string(imds_port));
    script = Replace(script, "binary='/usr/local/bin/shoal'", "binary='" + std::string(SHOAL_BUILD_DIR) + "/shoal'");
    const std::string path = agent_dir + ".sh";
    std::ofstream(path) << script;
    const pid_t sh = fork();
    if (sh == 0) {
      setpgid(0, 0);
      execl("/bin/sh", "sh", path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_GT(sh, 0);
    setpgid(sh, sh);
    agent->group = sh;
    int status = 0;
    waitpid(sh, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the agent's script failed: " << status;
  }

  SystemClock clock_;
  std::unique_ptr<AwsClient> aws_;
  std::unique_ptr<testing::FlakyProxy> proxy_;
  std::string owner_, dir_, config_, token_, target_group_name_, target_group_arn_, queue_url_;
  int api_port_ = 0;
  pid_t daemon_ = -1;
  static inline int counter_ = 0;
};

}  // namespace shoal::aws
