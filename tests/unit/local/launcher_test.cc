#include "adapters/local/launcher.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

const Placeholders kPh{"8081", "/data/instances/00000000000000a3", "i-00000000000000a3",
                       "/data/instances/00000000000000a3/release", "12"};

TEST(LocalCloudPlaceholders, EachPlaceholderIsReplacedWhereverItAppears) {
  EXPECT_EQ(ExpandPlaceholders("{port}", kPh), "8081");
  EXPECT_EQ(ExpandPlaceholders("--listen=127.0.0.1:{port}", kPh), "--listen=127.0.0.1:8081");
  EXPECT_EQ(ExpandPlaceholders("{dir}/app/{id}.log", kPh),
            "/data/instances/00000000000000a3/app/i-00000000000000a3.log");
  EXPECT_EQ(ExpandPlaceholders("{port}{port}", kPh), "80818081");
  EXPECT_EQ(ExpandPlaceholders("{release}/bin/web", kPh), "/data/instances/00000000000000a3/release/bin/web");
  EXPECT_EQ(ExpandPlaceholders("--build={version}", kPh), "--build=12");
}

TEST(LocalCloudPlaceholders, OtherBracesStayAsWritten) {
  EXPECT_EQ(ExpandPlaceholders("{}", kPh), "{}");
  EXPECT_EQ(ExpandPlaceholders("{ports}", kPh), "{ports}");
  EXPECT_EQ(ExpandPlaceholders("{{port}}", kPh), "{8081}");
  EXPECT_EQ(ExpandPlaceholders("{PORT}", kPh), "{PORT}");
  EXPECT_EQ(ExpandPlaceholders("", kPh), "");
}

TEST(LocalCloudPlaceholders, ArgvIsExpandedElementByElementNeverJoined) {
  const std::vector<std::string> argv = {"touch", "{dir}/a b", "; rm -rf {dir}"};
  const std::vector<std::string> out = ExpandArgv(argv, kPh);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1], kPh.dir + "/a b");
  EXPECT_EQ(out[2], "; rm -rf " + kPh.dir);
}

TEST(LocalCloudEnv, ExtraVariablesOverrideInheritedOnes) {
  const std::vector<std::string> env =
      MergeEnv({"PATH=/bin", "PORT=1", "HOME=/root"}, {{"PORT", "8081"}, {"X", "y=z"}});
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "HOME=/root", "PORT=8081", "X=y=z"}));
}

TEST(LocalCloudResolve, BareNamesAreSearchedInThePathList) {
  Result<std::string> sh = ResolveExecutable("true", "/nonexistent:/bin:/usr/bin", "launch.command", false);
  ASSERT_TRUE(sh.ok()) << sh.status().message();
  EXPECT_EQ(sh->back(), 'e');
  EXPECT_NE(sh->find("/true"), std::string::npos);
}

TEST(LocalCloudResolve, MissingCommandNamesItAndWhereItWasConfigured) {
  Result<std::string> r =
      ResolveExecutable("no-such-program-xyz", "/bin:/usr/bin", "group web launch.command", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no-such-program-xyz"), std::string::npos);
  EXPECT_NE(r.status().message().find("group web launch.command"), std::string::npos);
  Result<std::string> abs = ResolveExecutable("/nope/app", "/bin", "launch.command", false);
  EXPECT_FALSE(abs.ok());
  // Provisioning may create it: then it is taken as written.
  Result<std::string> later = ResolveExecutable("/nope/app", "/bin", "launch.command", true);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, "/nope/app");
}

}  // namespace
}  // namespace shoal
