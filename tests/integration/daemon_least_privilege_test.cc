// What an instance may do to the control plane, and what it cannot hide
// from it: each instance's agent has its own credential that can post only
// its own instance's events, and an instance whose record was deleted is
// still tracked after a restart and stopped by `shoal down`.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::DaemonTest;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string InstanceDir(const std::string& data, const std::string& id) {
  return data + "/instances/" + id.substr(2);  // "i-" dropped
}

TEST_F(DaemonTest, AnInstancesCredentialPostsOnlyItsOwnEventsAndNothingElse) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  const json group = Group();
  const std::string mine = group["instances"][0]["id"];
  const std::string other = group["instances"][1]["id"];
  const std::string credential = Slurp(InstanceDir(dir_ + "/data", mine) + "/agent-token");
  ASSERT_FALSE(credential.empty());
  EXPECT_NE(credential, token_) << "the admin token never leaves the data directory's api-token";

  auto own = Api("POST", "/v1/agent/events", json{{"instance", mine}, {"event", "rebalance-recommendation"}}.dump(),
                 credential);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;

  auto theirs = Api("POST", "/v1/agent/events", json{{"instance", other}, {"event", "spot-interruption"}}.dump(),
                    credential);
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->status, 403) << theirs->body;

  auto apply = Api("POST", "/v1/apply", json{{"config", "groups: []"}}.dump(), credential);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->status, 401);
  auto scale = Api("POST", "/v1/groups/web/scale", json{{"desired", 5}}.dump(), credential);
  ASSERT_TRUE(scale);
  EXPECT_EQ(scale->status, 401);
  auto read = Api("GET", "/v1/groups", "", credential);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 401);
  EXPECT_EQ(Group()["desired"], 2);
  // Nothing the other instance's agent reported was accepted for it: no
  // notice, still serving.
  auto instances = Api("GET", "/v1/instances?group=web");
  ASSERT_TRUE(instances);
  for (const json& in : json::parse(instances->body)) {
    if (in["id"] != other) continue;
    EXPECT_EQ(in["state"], "in-service") << in;
    EXPECT_FALSE(in.contains("notice_deadline")) << in;
  }
  // Its own report was: the group took the recommendation.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto acts = Api("GET", "/v1/activities?group=web");
        return acts && acts->body.find("rebalance recommendation for " + mine) != std::string::npos;
      },
      10s))
      << Log();
}

TEST_F(DaemonTest, AnInstanceWhoseRecordWasDeletedIsStillTrackedAndDownStopsIt) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  const std::string victim = Group()["instances"][0]["id"];
  StopDaemon(SIGTERM);
  ASSERT_TRUE(std::filesystem::remove(InstanceDir(dir_ + "/data", victim) + "/instance.json"));
  StartDaemon();
  // Found again from its tags: still one of the two, nothing launched in its place.
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  std::this_thread::sleep_for(3s);
  bool listed = false;
  const json after = Group();
  for (const json& in : after["instances"]) listed = listed || in["id"] == victim;
  EXPECT_TRUE(listed) << victim << " " << Group().dump();
  EXPECT_EQ(ServicePids().size(), 2u);
  EXPECT_NE(Log().find("instance_record_rebuilt"), std::string::npos);

  const pid_t down = Spawn({SHOAL_BINARY, "down", "--data-dir", dir_ + "/data"}, dir_ + "/down.log");
  int status = 0;
  waitpid(down, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Slurp(dir_ + "/down.log");
  EXPECT_TRUE(WaitUntil([&] { return waitpid(daemon_, &status, WNOHANG) == daemon_; }, 20s));
  daemon_ = -1;
  EXPECT_TRUE(WaitUntil([&] { return ServicePids().empty(); }, 20s)) << "the instance without a record went too";
}

}  // namespace
}  // namespace shoal
