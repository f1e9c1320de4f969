// The shared config and credentials files: parsing, and merging a profile
// from both files as the SDKs do.
#include "adapters/aws/profile_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace shoal::aws {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/shoal-aws-profile-XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(IniTest, ReadsSectionsKeysCommentsAndSubSettings) {
  auto file = ParseIni(
      "# comment\n; another\n[default]\nRegion = eu-west-1 \naws_access_key_id=AKID\n\n"
      "s3 =\n  addressing_style = path\n  max_concurrent_requests = 4\n[profile prod]\nregion=us-east-1\n",
      "config");
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)["default"]["region"], "eu-west-1");
  EXPECT_EQ((*file)["default"]["aws_access_key_id"], "AKID");
  EXPECT_EQ((*file)["default"]["s3.addressing_style"], "path");
  EXPECT_EQ((*file)["default"]["s3.max_concurrent_requests"], "4");
  EXPECT_EQ((*file)["profile prod"]["region"], "us-east-1");
}

TEST(IniTest, KeepsLongValuesWhole) {
  const std::string token(2000, 'T');
  auto file = ParseIni("[default]\naws_session_token = " + token + "\n", "credentials");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)["default"]["aws_session_token"], token);
}

TEST(IniTest, ErrorsNameTheFileAndLine) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {{"[default]\nnot a setting\n", "credentials:2: expected `key = value`"},
               {"key = value\n", "credentials:1: a setting before any [section]"},
               {"[default\n", "credentials:1: section header without a closing ']'"},
               {"[default]\n= value\n", "credentials:2: a setting without a name"},
               {"[default]\n  indented = x\n", "credentials:2: indented setting"}};
  for (const Case& c : cases) {
    auto file = ParseIni(c.text, "credentials");
    ASSERT_FALSE(file.ok()) << c.text;
    EXPECT_NE(file.status().message().find(c.says), std::string::npos) << file.status().message();
  }
}

TEST(ProfileTest, CredentialsFileWinsOverConfigForTheSameProfile) {
  TempDir dir;
  const std::string config = dir.Write("config",
                                       "[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-1\n"
                                       "aws_access_key_id = FROM_CONFIG\n");
  const std::string credentials = dir.Write("credentials", "[prod]\naws_access_key_id = FROM_CREDENTIALS\n");
  const EnvLookup env = MapEnv({{"AWS_CONFIG_FILE", config}, {"AWS_SHARED_CREDENTIALS_FILE", credentials}});
  auto prod = LoadProfile(env, "prod");
  ASSERT_TRUE(prod.ok()) << prod.status().message();
  EXPECT_TRUE(prod->found);
  EXPECT_EQ(prod->values["region"], "eu-west-1");
  EXPECT_EQ(prod->values["aws_access_key_id"], "FROM_CREDENTIALS");
  auto fallback = LoadProfile(env, "");
  EXPECT_EQ(fallback->name, "default");
  EXPECT_EQ(fallback->values["region"], "us-east-1");
}

TEST(ProfileTest, NameComesFromTheRequestThenAwsProfile) {
  EXPECT_EQ(ProfileName(MapEnv({{"AWS_PROFILE", "env"}}), "asked"), "asked");
  EXPECT_EQ(ProfileName(MapEnv({{"AWS_PROFILE", "env"}}), ""), "env");
  EXPECT_EQ(ProfileName(MapEnv({}), ""), "default");
}

TEST(ProfileTest, FilesUnderHomeAndMissingFilesAreEmpty) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() + "/.aws");
  dir.Write(".aws/credentials", "[default]\naws_access_key_id = HOME_KEY\n");
  auto profile = LoadProfile(MapEnv({{"HOME", dir.path()}}), "");
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->values["aws_access_key_id"], "HOME_KEY");
  auto none = LoadProfile(MapEnv({{"HOME", dir.path() + "/nowhere"}}), "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
}

TEST(ProfileTest, BrokenOrHugeFilesAreErrors) {
  TempDir dir;
  const std::string broken = dir.Write("broken", "[default]\nno equals sign\n");
  auto parsed = LoadProfile(MapEnv({{"AWS_CONFIG_FILE", broken}}), "");
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(broken + ":2"), std::string::npos);
  const std::string huge = dir.Write("huge", "[default]\n" + std::string(kMaxProfileFileBytes + 10, '#') + "\n");
  auto big = LoadProfile(MapEnv({{"AWS_SHARED_CREDENTIALS_FILE", huge}}), "");
  EXPECT_NE(big.status().message().find("larger than"), std::string::npos);
}

}  // namespace
}  // namespace shoal::aws
