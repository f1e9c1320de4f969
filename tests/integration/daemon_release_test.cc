// Launches that boot a release, end to end: `shoal release publish` and
// `promote` write a local store, `shoal serve` launches real instances
// whose first provision step is `shoal bootstrap`, and the example service
// runs from the unpacked release (it is healthy only if the release's
// `health` file is there). A promote reaches the next launch without a
// restart; with the store gone, launches fail cleanly and back off while
// the running instances keep serving, and resume when it is back.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aws/aws_support.h"
#include "release_daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

class DaemonReleaseTest : public shoal::testing::ReleaseDaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    fs::create_directories(dir_ + "/app", ec_);
    std::ofstream(dir_ + "/app/health") << "ok\n";
    std::ofstream(config_) << ReleaseConfig(2);
  }

  std::string Release(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {SHOAL_BINARY, "release"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--store", Store()});
    std::string out, err;
    EXPECT_EQ(aws::testing::RunCapture(argv, &out, &err), 0) << err;
    return out;
  }

  bool Scale(int desired) {
    auto r = Api("POST", "/v1/groups/web/scale", json{{"desired", desired}}.dump());
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200;
  }
  bool HasCondition(const std::string& type, const std::string& text) {
    const json g = Group();
    if (!g.is_object() || !g.contains("conditions")) return false;
    for (const json& c : g["conditions"]) {
      if (c["type"] == type && c.dump().find(text) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(DaemonReleaseTest, InstancesBootTheStableReleaseAndAPromoteReachesTheNextLaunch) {
  Release({"publish", "web", "--from", dir_ + "/app"});
  Release({"publish", "web", "--from", dir_ + "/app"});
  Release({"promote", "web", "1"});
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  EXPECT_EQ(Versions(), (std::multiset<int>{1, 1}));
  int unpacked = 0;
  for (const auto& e : fs::directory_iterator(dir_ + "/data/instances", ec_)) {
    std::ifstream release(e.path() / "release/RELEASE");
    const std::string text((std::istreambuf_iterator<char>(release)), {});
    unpacked += text.find("VERSION=1\n") != std::string::npos;
  }
  EXPECT_EQ(unpacked, 2);
  EXPECT_TRUE(fs::exists(dir_ + "/data/release-cache/web/prod/web-1.tar")) << "the second launch read the cache";

  // `get instances` shows the version each instance runs.
  std::string out, err;
  ASSERT_EQ(aws::testing::RunCapture({SHOAL_BINARY, "get", "instances", "--api",
                                      "http://127.0.0.1:" + std::to_string(api_port_), "--token", token_},
                                     &out, &err), 0) << err;
  EXPECT_NE(out.find("VERSION"), std::string::npos) << out;

  Release({"promote", "web", "2"});
  ASSERT_TRUE(Scale(3));
  ASSERT_TRUE(WaitUntil([&] { return InService() == 3; }, 60s)) << Log();
  EXPECT_EQ(Versions(), (std::multiset<int>{1, 1, 2})) << "the running ones are not touched by a promote";
}

TEST_F(DaemonReleaseTest, WithTheStoreGoneLaunchesFailCleanlyAndRunningCapacityStays) {
  Release({"publish", "web", "--from", dir_ + "/app"});
  Release({"promote", "web", "latest"});
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();
  Load load(web_port_, 20ms);

  fs::rename(dir_ + "/store", dir_ + "/store-away");
  ASSERT_TRUE(Scale(3));
  ASSERT_TRUE(WaitUntil([&] { return HasCondition("LaunchFailing", "release latest-stable"); }, 30s))
      << Group().dump(2) << Log();
  EXPECT_EQ(InService(), 2);
  EXPECT_EQ(Versions().size(), 2u) << "a launch that cannot resolve its release makes nothing";
  std::size_t dirs = 0;
  for (const auto& e : fs::directory_iterator(dir_ + "/data/instances", ec_)) dirs += e.is_directory();
  EXPECT_EQ(dirs, 2u);

  fs::rename(dir_ + "/store-away", dir_ + "/store");
  ASSERT_TRUE(WaitUntil([&] { return InService() == 3; }, 120s)) << Group().dump(2) << Log();
  EXPECT_EQ(Versions(), (std::multiset<int>{1, 1, 1}));
  load.Stop();
  EXPECT_GT(load.ok(), 0);
  EXPECT_EQ(load.failed(), 0) << "the running instances served throughout";
}

}  // namespace
}  // namespace shoal
