// The archive checker refuses what could escape or blow up an unpacked
// release, each with an error naming the entry; good archives pass, pack
// and unpack.
#include "adapters/release/archive_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "adapters/release/archive_extract.h"
#include "adapters/release/archive_pack.h"
#include "unit/release/tar_builder.h"
#include "unit/release/temp_dir.h"

namespace shoal {
namespace {

using testing::TarEntry;
using testing::TempDir;

class ArchiveCheckTest : public ::testing::Test {
 protected:
  std::string Tar(const std::vector<TarEntry>& entries) {
    const std::string path = dir_ / ("t" + std::to_string(++count_) + ".tar");
    EXPECT_TRUE(testing::WriteTar(path, entries));
    return path;
  }
  // The check's error, or "" when it passes.
  std::string Refusal(const std::vector<TarEntry>& entries, ArchiveLimits limits = {}) {
    auto checked = CheckArchive(Tar(entries), limits);
    return checked.ok() ? "" : checked.status().message();
  }

  TempDir dir_;
  int count_ = 0;
};

TEST_F(ArchiveCheckTest, AcceptsFilesFoldersAndLinksThatStayInside) {
  auto checked = CheckArchive(Tar({{"./app/", AE_IFDIR},
                                   {"./app/run.sh", AE_IFREG, "#!/bin/sh\n", "", "", 0755},
                                   {"app/lib/", AE_IFDIR},
                                   {"app/lib/current", AE_IFLNK, "", "../run.sh"},
                                   {"app/same", AE_IFREG, "", "", "app/run.sh"}}),
                              {});
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_EQ(checked->entries, 5u);
  EXPECT_EQ(checked->content_bytes, 10u);
}

TEST_F(ArchiveCheckTest, RefusesAbsolutePaths) {
  EXPECT_NE(Refusal({{"/etc/cron.d/x", AE_IFREG, "boom"}}).find("absolute path"), std::string::npos);
}

TEST_F(ArchiveCheckTest, RefusesDotDotSegments) {
  const std::string why = Refusal({{"app/../../outside", AE_IFREG, "x"}});
  EXPECT_NE(why.find("\"..\""), std::string::npos) << why;
  EXPECT_NE(why.find("app/../../outside"), std::string::npos) << why;
}

TEST_F(ArchiveCheckTest, RefusesAbsoluteSymlinks) {
  EXPECT_NE(Refusal({{"passwd", AE_IFLNK, "", "/etc/passwd"}}).find("is absolute"), std::string::npos);
}

TEST_F(ArchiveCheckTest, RefusesSymlinksResolvingOutside) {
  const std::string why = Refusal({{"app/", AE_IFDIR}, {"app/up", AE_IFLNK, "", "../../etc"}});
  EXPECT_NE(why.find("resolves outside"), std::string::npos) << why;
}

TEST_F(ArchiveCheckTest, RefusesAnEscapeThroughAnotherLink) {
  // Each target alone looks inside ("." and "a/.."), together they leave the root.
  const std::string why = Refusal({{"a", AE_IFLNK, "", "."}, {"b", AE_IFLNK, "", "a/.."}});
  EXPECT_NE(why.find("link \"b\""), std::string::npos) << why;
}

TEST_F(ArchiveCheckTest, RefusesLinkLoops) {
  EXPECT_NE(Refusal({{"a", AE_IFLNK, "", "b/x"}, {"b", AE_IFLNK, "", "a/y"}}).find("loops"), std::string::npos);
}

TEST_F(ArchiveCheckTest, RefusesHardLinksOutside) {
  EXPECT_NE(Refusal({{"h", AE_IFREG, "", "", "../../etc/shadow"}}).find("hard link"), std::string::npos);
}

TEST_F(ArchiveCheckTest, RefusesDevicesFifosAndSockets) {
  for (unsigned type : {AE_IFCHR, AE_IFBLK, AE_IFIFO}) {
    const std::string why = Refusal({{"dev/thing", type}});
    EXPECT_NE(why.find("device file, FIFO or socket"), std::string::npos) << type << ": " << why;
  }
}

TEST_F(ArchiveCheckTest, RefusesOversizedEntriesArchivesAndEntryCounts) {
  ArchiveLimits small;
  small.max_entry_bytes = 100;
  EXPECT_NE(Refusal({{"big", AE_IFREG, std::string(101, 'x')}}, small).find("limit per entry"), std::string::npos);
  ArchiveLimits total;
  total.max_archive_bytes = 40 * 1024;
  std::vector<TarEntry> many;
  for (int i = 0; i < 20; ++i) many.push_back({"f" + std::to_string(i), AE_IFREG, std::string(1500, 'x')});
  EXPECT_NE(Refusal(many, total).find("would be over 40960 bytes"), std::string::npos);
  ArchiveLimits few;
  few.max_entries = 3;
  EXPECT_NE(Refusal({{"a"}, {"b"}, {"c"}, {"d"}}, few).find("more than 3 entries"), std::string::npos);
}

TEST_F(ArchiveCheckTest, RefusesTruncatedAndGarbageArchives) {
  const std::string tar = Tar({{"data", AE_IFREG, std::string(5000, 'x')}});
  ASSERT_EQ(::truncate(tar.c_str(), 2048), 0);
  auto truncated = CheckArchive(tar, {});
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(truncated.status().message().find(tar), std::string::npos);

  testing::WriteText(dir_ / "garbage.tar", std::string(4096, 'g'));
  EXPECT_FALSE(CheckArchive(dir_ / "garbage.tar", {}).ok());
  EXPECT_EQ(CheckArchive(dir_ / "missing.tar", {}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ArchiveCheckTest, FolderCheckLeavesOutGitAndRefusesEscapingLinksAndFifos) {
  const std::string app = dir_ / "app";
  testing::WriteText(app + "/a.txt", "a");
  testing::WriteText(app + "/.git/HEAD", "ref: refs/heads/main\n");
  std::filesystem::create_symlink("a.txt", app + "/ok-link");
  auto checked = CheckFolder(app, {});
  ASSERT_TRUE(checked.ok()) << checked.status().message();
  EXPECT_EQ(checked->entries, 2u);  // a.txt, ok-link; not .git

  std::filesystem::create_symlink("../../etc/passwd", app + "/bad-link");
  auto escaping = CheckFolder(app, {});
  ASSERT_FALSE(escaping.ok());
  EXPECT_NE(escaping.status().message().find("bad-link"), std::string::npos);
  std::filesystem::remove(app + "/bad-link");

  ASSERT_EQ(::mkfifo((app + "/pipe").c_str(), 0600), 0);
  EXPECT_NE(CheckFolder(app, {}).status().message().find("FIFO"), std::string::npos);
}

TEST_F(ArchiveCheckTest, PackReplacesReleaseAndExtractRestoresTheTree) {
  const std::string app = dir_ / "app";
  testing::WriteText(app + "/bin/run", "#!/bin/sh\necho hi\n");
  ::chmod((app + "/bin/run").c_str(), 04755);  // setuid must not survive the round trip
  testing::WriteText(app + "/RELEASE", "VERSION=stale\n");
  testing::WriteText(app + "/.git/config", "[core]\n");
  std::filesystem::create_symlink("bin/run", app + "/start");
  const std::vector<ExtraFile> extras{{"RELEASE", "MODULE=web\nVERSION=3\n", 1700000000}};
  auto packed = PackFolder(app, extras, dir_ / "out.tar", {});
  ASSERT_TRUE(packed.ok()) << packed.status().message();

  auto unpacked = ExtractArchive(dir_ / "out.tar", dir_ / "unpacked", {});
  ASSERT_TRUE(unpacked.ok()) << unpacked.status().message();
  EXPECT_EQ(testing::ReadText(dir_ / "unpacked/RELEASE"), "MODULE=web\nVERSION=3\n");
  EXPECT_EQ(testing::ReadText(dir_ / "unpacked/bin/run"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(std::filesystem::read_symlink(dir_ / "unpacked/start"), "bin/run");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "unpacked/.git"));
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "unpacked/bin/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  // A tar given to publish is copied with the same replacement.
  auto repacked = RepackArchive(dir_ / "out.tar", {{"RELEASE", "VERSION=4\n", 0}}, dir_ / "re.tar", {});
  ASSERT_TRUE(repacked.ok()) << repacked.status().message();
  ASSERT_TRUE(ExtractArchive(dir_ / "re.tar", dir_ / "re", {}).ok());
  EXPECT_EQ(testing::ReadText(dir_ / "re/RELEASE"), "VERSION=4\n");
}

TEST_F(ArchiveCheckTest, ExtractRefusesBeforeWritingAnything) {
  const std::string bad = Tar({{"fine.txt", AE_IFREG, "ok"}, {"../escape.txt", AE_IFREG, "no"}});
  auto unpacked = ExtractArchive(bad, dir_ / "dest", {});
  ASSERT_FALSE(unpacked.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "dest"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "escape.txt"));
  const std::string good = Tar({{"x", AE_IFREG, "1"}});
  ASSERT_TRUE(ExtractArchive(good, dir_ / "dest", {}).ok());
  EXPECT_EQ(ExtractArchive(good, dir_ / "dest", {}).status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace shoal
