// `shoal bootstrap`, the first provision step of an instance that boots a
// release, run as the real binary against a real local store that
// `shoal release publish` wrote: a good release is unpacked (and cached);
// a corrupt or truncated tar, forged checksums over an escaping tar, an
// unknown version, a store that is gone or down are each refused with a
// clear error and leave no folder behind.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/blob/sha256.h"
#include "aws/aws_support.h"
#include "test_util.h"
#include "unit/release/tar_builder.h"
#include "unit/release/temp_dir.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;
using shoal::testing::ReadText;
using shoal::testing::WriteText;

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteText(dir_ / "app/health", "ok\n");
    WriteText(dir_ / "app/bin/start", "#!/bin/sh\necho started\n");
    WriteText(dir_ / "app/conf/app.yaml", "port: 8080\n");
  }

  std::string Store() const { return "file://" + (dir_ / "store"); }
  std::string Prod() const { return dir_ / "store/web/prod"; }

  // Runs the shoal binary with a clean environment; its exit status.
  int Shoal(std::vector<std::string> args, std::string* out, std::string* err,
            std::vector<std::string> env = {}) const {
    std::vector<std::string> argv = {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir_.path()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(SHOAL_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    return aws::testing::RunCapture(argv, out, err);
  }
  int Publish() {
    std::string out, err;
    const int rc = Shoal({"release", "publish", "web", "--from", dir_ / "app", "--store", Store(), "--json"}, &out, &err);
    EXPECT_EQ(rc, 0) << err;
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    return j.is_object() && j.contains("version") ? j["version"].get<int>() : -1;
  }
  int Bootstrap(int version, const std::string& into, std::string* err, const std::string& store = "",
                std::vector<std::string> extra = {}, std::vector<std::string> env = {}) const {
    std::vector<std::string> args = {"bootstrap", "--store", store.empty() ? Store() : store, "--service", "web",
                                     "--version", std::to_string(version), "--into", into};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string out;
    return Shoal(args, &out, err, std::move(env));
  }

  shoal::testing::TempDir dir_;
};

TEST_F(BootstrapTest, AGoodReleaseIsUnpackedIntoANewFolderWithItsReleaseFile) {
  ASSERT_EQ(Publish(), 1);
  std::string err;
  ASSERT_EQ(Bootstrap(1, dir_ / "i1/release", &err), 0) << err;
  EXPECT_EQ(ReadText(dir_ / "i1/release/health"), "ok\n");
  EXPECT_EQ(ReadText(dir_ / "i1/release/conf/app.yaml"), "port: 8080\n");
  EXPECT_NE(ReadText(dir_ / "i1/release/RELEASE").find("VERSION=1"), std::string::npos);
  EXPECT_NE(err.find("unpacked into"), std::string::npos) << "a progress line: " << err;
  // Nothing but the release is left beside it (the tar is not kept without --cache).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "i1"), fs::directory_iterator()), 1);
}

TEST_F(BootstrapTest, TheCacheKeepsOneVerifiedTarForTheNextInstance) {
  ASSERT_EQ(Publish(), 1);
  std::string err;
  ASSERT_EQ(Bootstrap(1, dir_ / "i1/release", &err, "", {"--cache", dir_ / "cache"}), 0) << err;
  EXPECT_NE(err.find("downloaded"), std::string::npos) << err;
  ASSERT_TRUE(fs::exists(dir_ / "cache/web/prod/web-1.tar"));
  ASSERT_EQ(Bootstrap(1, dir_ / "i2/release", &err, "", {"--cache", dir_ / "cache"}), 0) << err;
  EXPECT_NE(err.find("from the cache"), std::string::npos) << err;
  EXPECT_EQ(ReadText(dir_ / "i2/release/health"), "ok\n");
  // A cached tar that no longer matches is fetched again, not trusted.
  std::ofstream(dir_ / "cache/web/prod/web-1.tar", std::ios::binary | std::ios::trunc) << "garbage";
  ASSERT_EQ(Bootstrap(1, dir_ / "i3/release", &err, "", {"--cache", dir_ / "cache"}), 0) << err;
  EXPECT_NE(err.find("downloaded"), std::string::npos) << err;
}

TEST_F(BootstrapTest, ACorruptTarIsRefusedAndNothingIsUnpacked) {
  ASSERT_EQ(Publish(), 1);
  {
    std::fstream tar(Prod() + "/web-1.tar", std::ios::in | std::ios::out | std::ios::binary);
    tar.seekp(600);
    tar.put('X');  // same size, other bytes
  }
  std::string err;
  EXPECT_NE(Bootstrap(1, dir_ / "i1/release", &err), 0);
  EXPECT_NE(err.find("corrupt"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "i1/release"));
}

TEST_F(BootstrapTest, ATruncatedTarIsRefused) {
  ASSERT_EQ(Publish(), 1);
  fs::resize_file(Prod() + "/web-1.tar", 1024);
  std::string err;
  EXPECT_NE(Bootstrap(1, dir_ / "i1/release", &err), 0);
  EXPECT_NE(err.find("web-1.tar"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "i1/release"));
}

// Checksums prove the bytes are the ones published, not that they are
// safe: a tar whose checksums were forged to match still cannot write
// outside its folder.
TEST_F(BootstrapTest, AnEscapingTarIsRefusedEvenWithMatchingChecksums) {
  ASSERT_EQ(Publish(), 1);
  const std::string tar = Prod() + "/web-1.tar";
  ASSERT_TRUE(shoal::testing::WriteTar(tar, {{"RELEASE", AE_IFREG, "VERSION=1\n"},
                                             {"../../escaped", AE_IFREG, "owned\n"},
                                             {"link", AE_IFLNK, "", "/etc"}}));
  auto digest = Sha256OfFile(tar);
  ASSERT_TRUE(digest.ok());
  std::string manifest = ReadText(Prod() + "/web-1.release");
  std::string forged;
  std::istringstream lines(manifest);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("SHA256=", 0) == 0) line = "SHA256=" + digest->sha256;
    if (line.rfind("SIZE=", 0) == 0) line = "SIZE=" + std::to_string(digest->size);
    forged += line + "\n";
  }
  fs::remove(Prod() + "/web-1.release");
  WriteText(Prod() + "/web-1.release", forged);
  fs::remove(tar + ".sha256");
  WriteText(tar + ".sha256", digest->sha256 + "  web-1.tar\n");
  std::string err;
  EXPECT_NE(Bootstrap(1, dir_ / "i1/release", &err), 0);
  EXPECT_NE(err.find("escaped"), std::string::npos) << "names the entry: " << err;
  EXPECT_FALSE(fs::exists(dir_ / "escaped"));
  EXPECT_FALSE(fs::exists(dir_ / "i1/release/link"));
}

TEST_F(BootstrapTest, AnUnknownVersionIsNotFoundAndNamesIt) {
  ASSERT_EQ(Publish(), 1);
  std::string err;
  EXPECT_NE(Bootstrap(9, dir_ / "i1/release", &err), 0);
  EXPECT_NE(err.find("9"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "i1"));
}

TEST_F(BootstrapTest, AnExistingFolderIsNeverUnpackedInto) {
  ASSERT_EQ(Publish(), 1);
  WriteText(dir_ / "i1/release/keep", "mine\n");
  std::string err;
  EXPECT_NE(Bootstrap(1, dir_ / "i1/release", &err), 0);
  EXPECT_NE(err.find("exists already"), std::string::npos) << err;
  EXPECT_EQ(ReadText(dir_ / "i1/release/keep"), "mine\n");
}

TEST_F(BootstrapTest, AStoreThatIsGoneOrDownFailsCleanly) {
  std::string err;
  EXPECT_NE(Bootstrap(1, dir_ / "i1/release", &err, "file://" + (dir_ / "nowhere")), 0);
  EXPECT_NE(err.find("nowhere"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "nowhere")) << "the bootstrap never creates a store";
  // An S3 endpoint nobody listens on.
  const std::vector<std::string> env = {"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=testing",
                                        "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
                                        "AWS_ENDPOINT_URL=http://127.0.0.1:" + std::to_string(shoal::testing::FreePort())};
  EXPECT_NE(Bootstrap(1, dir_ / "i2/release", &err, "s3://artifacts/releases", {}, env), 0);
  EXPECT_NE(err.find("error"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "i2"));
}

TEST_F(BootstrapTest, BadArgumentsAreRefusedBeforeAnythingIsRead) {
  std::string out, err;
  EXPECT_NE(Shoal({"bootstrap", "--store", Store(), "--service", "../web", "--version", "1", "--into", dir_ / "x"},
                  &out, &err), 0);
  EXPECT_NE(err.find("service"), std::string::npos) << err;
  EXPECT_NE(Shoal({"bootstrap", "--store", Store(), "--service", "web", "--version", "0", "--into", dir_ / "x"},
                  &out, &err), 0);
  EXPECT_NE(Shoal({"bootstrap", "--store", "ftp://x", "--service", "web", "--version", "1", "--into", dir_ / "x"},
                  &out, &err), 0);
  EXPECT_NE(err.find("ftp"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

}  // namespace
}  // namespace shoal
