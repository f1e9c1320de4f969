// The seed's RELEASE format: written so `grep KEY | cut -d= -f2` reads it,
// read back strictly, with errors that name what is missing.
#include "adapters/release/release_file.h"

#include <gtest/gtest.h>

#include "adapters/release/release_layout.h"

namespace shoal {
namespace {

TEST(ReleaseFileTest, WritesTheFiveKeysOnePerLine) {
  const ReleaseFile r{"web", 7, "112", "3f2c0a1", "2026-11-26T06:30:00Z"};
  EXPECT_EQ(FormatReleaseFile(r),
            "MODULE=web\nVERSION=7\nBUILD=112\nGIT_COMMIT=3f2c0a1\nTIMESTAMP=2026-11-26T06:30:00Z\n");
  auto back = ParseReleaseFile(FormatReleaseFile(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->git_commit, "3f2c0a1");
}

TEST(ReleaseFileTest, ReadsTheSeedsOwnFiles) {
  // What the seed's Jenkins job echoed, with an empty BUILD_TIMESTAMP and CRLF line ends.
  auto seed = ParseReleaseFile("MODULE=obelix-appengine\r\nVERSION=41\r\nBUILD=873\r\nGIT_COMMIT=ab12cd\r\nTIMESTAMP=\r\n");
  ASSERT_TRUE(seed.ok()) << seed.status().message();
  EXPECT_EQ(seed->module, "obelix-appengine");
  EXPECT_EQ(seed->version, 41u);
}

TEST(ReleaseFileTest, RefusesMissingKeysBadVersionsAndDuplicates) {
  auto missing = ParseReleaseFile("MODULE=web\nVERSION=3\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("BUILD, GIT_COMMIT, TIMESTAMP"), std::string::npos);
  EXPECT_FALSE(ParseReleaseFile("MODULE=web\nVERSION=0\nBUILD=\nGIT_COMMIT=\nTIMESTAMP=\n").ok());
  EXPECT_FALSE(ParseReleaseFile("MODULE=web\nVERSION=x1\nBUILD=\nGIT_COMMIT=\nTIMESTAMP=\n").ok());
  EXPECT_NE(ParseKeyValues("A=1\nA=2\n").status().message().find("twice"), std::string::npos);
  EXPECT_NE(ParseKeyValues("A=1\nno equals\n").status().message().find("line 2"), std::string::npos);
}

TEST(ReleaseFileTest, ManifestCarriesTheChecksum) {
  ReleaseManifest m{{"web", 2, "", "", "2026-11-26T06:30:00Z"}, "prod", "release/1.2", std::string(64, 'a'), 10240};
  auto back = ParseManifest(FormatManifest(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->sha256, m.sha256);
  EXPECT_EQ(back->size, 10240u);
  EXPECT_EQ(back->branch, "release/1.2");
  EXPECT_FALSE(ParseManifest(FormatReleaseFile(m.release)).ok());  // no SHA256
}

TEST(ReleaseFileTest, InputChecksNameTheFlag) {
  EXPECT_TRUE(ValidateName("service", "obelix-appengine").ok());
  EXPECT_NE(ValidateName("service", "../web").message().find("service"), std::string::npos);
  EXPECT_FALSE(ValidateName("service", "web/prod").ok());
  EXPECT_FALSE(ValidateName("service", "VERSIONS").ok());  // `grep VERSION latest.txt` would match MODULE too
  EXPECT_NE(ValidateGitCommit("HEAD").message().find("--git-commit"), std::string::npos);
  EXPECT_TRUE(ValidateGitCommit("").ok());
  EXPECT_FALSE(ValidateBuild("12=3").ok());
  EXPECT_FALSE(ValidateBranch("a..b").ok());
  EXPECT_TRUE(ValidateBranch("release/2026.11").ok());
}

TEST(ReleaseLayoutTest, TheSeedsKeysAndTheirVersions) {
  const ReleaseLayout layout{"web", "prod"};
  EXPECT_EQ(layout.Tar(7), "web/prod/web-7.tar");
  EXPECT_EQ(layout.Latest(), "web/prod/latest.txt");
  EXPECT_EQ(layout.LatestStable(), "web/prod/latest-stable.txt");
  EXPECT_EQ(layout.VersionOf("web/prod/web-12.tar", ".tar"), 12u);
  EXPECT_EQ(layout.VersionOf("web/prod/web-12.tar.sha256", ".tar"), std::nullopt);
  EXPECT_EQ(layout.VersionOf("web/prod/web-api-3.tar", ".tar"), std::nullopt);
  EXPECT_EQ(layout.VersionOf("web/prod/web-012.tar", ".tar"), std::nullopt);
  EXPECT_EQ(layout.PromotionNumber("web/prod/history/promote-4.txt"), 4u);
}

}  // namespace
}  // namespace shoal
