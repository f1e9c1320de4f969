// Publishing into a local store: concurrent publishers get distinct,
// consecutive versions and latest ends on the newest; bad input leaves the
// store as it was; promote's checks find a corrupt tar.
#include "adapters/release/publish.h"

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/blob/file_blob_store.h"
#include "adapters/release/release_store.h"
#include "unit/release/tar_builder.h"
#include "unit/release/temp_dir.h"

namespace shoal {
namespace {

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteText(dir_ / "app/index.html", "<h1>hello</h1>\n");
    auto store = FileBlobStore::Open(dir_ / "store", true);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }
  PublishRequest Request(const std::string& work, const std::string& build) {
    PublishRequest r;
    r.layout = ReleaseLayout{"web", "prod"};
    r.source = dir_ / "app";
    r.build = build;
    r.git_commit = "abc123";
    r.now = 1764000000;
    r.claimant = "test:" + build;
    r.work_dir = work;
    return r;
  }
  std::size_t StoredFiles() {
    std::size_t n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_ / "store")) n += e.is_regular_file();
    return n;
  }

  testing::TempDir dir_;
  std::unique_ptr<FileBlobStore> store_;
};

TEST_F(PublishTest, ConcurrentPublishersGetDistinctConsecutiveVersions) {
  constexpr int kThreads = 8;
  constexpr int kEach = 20;
  std::mutex mu;
  std::map<std::uint64_t, std::string> build_of_version;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      testing::TempDir work;
      for (int i = 0; i < kEach; ++i) {
        const std::string build = std::to_string(t) + "-" + std::to_string(i);
        auto published = PublishRelease(store_.get(), Request(work.path(), build));
        std::lock_guard<std::mutex> lock(mu);
        if (!published.ok()) failures.push_back(published.status().message());
        else build_of_version[published->manifest.release.version] = build;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(failures.empty()) << failures.front();
  ASSERT_EQ(build_of_version.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(build_of_version.begin()->first, 1u);
  EXPECT_EQ(build_of_version.rbegin()->first, static_cast<std::uint64_t>(kThreads * kEach));
  // Nothing overwritten: each stored manifest is the one its publisher wrote.
  ReleaseStore releases(store_.get(), ReleaseLayout{"web", "prod"});
  for (const auto& [version, build] : build_of_version) {
    auto manifest = releases.Manifest(version);
    ASSERT_TRUE(manifest.ok()) << manifest.status().message();
    EXPECT_EQ(manifest->release.build, build);
  }
  auto latest = releases.Pointer("web/prod/latest.txt");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->version, static_cast<std::uint64_t>(kThreads * kEach));  // never moved back
}

TEST_F(PublishTest, RefusedInputWritesNothing) {
  testing::TempDir work;
  ASSERT_TRUE(testing::WriteTar(dir_ / "evil.tar", {{"../../etc/cron.d/x", AE_IFREG, "* * * * * root sh\n"}}));
  PublishRequest r = Request(work.path(), "1");
  r.source = dir_ / "evil.tar";
  auto refused = PublishRelease(store_.get(), r);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("nothing was published"), std::string::npos);
  r.source = dir_ / "no-such-dir";
  EXPECT_EQ(PublishRelease(store_.get(), r).status().code(), StatusCode::kInvalidArgument);
  r.source = dir_ / "app";
  r.git_commit = "not-a-commit";
  EXPECT_EQ(PublishRelease(store_.get(), r).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StoredFiles(), 0u);
}

TEST_F(PublishTest, AGivenTarIsRepackedWithItsRelease) {
  testing::TempDir work;
  ASSERT_TRUE(testing::WriteTar(dir_ / "build.tar", {{"bin/", AE_IFDIR}, {"bin/app", AE_IFREG, "elf", "", "", 0755}}));
  PublishRequest r = Request(work.path(), "9");
  r.source = dir_ / "build.tar";
  auto published = PublishRelease(store_.get(), r);
  ASSERT_TRUE(published.ok()) << published.status().message();
  EXPECT_EQ(published->summary.entries, 3u);  // bin/, bin/app, RELEASE
  EXPECT_EQ(testing::ReadText(dir_ / "store/web/prod/latest.txt"),
            "MODULE=web\nVERSION=1\nBUILD=9\nGIT_COMMIT=abc123\nTIMESTAMP=2025-11-24T16:00:00Z\n");
}

TEST_F(PublishTest, VerifyFindsACorruptTarAndPromoteMovesOnlyStable) {
  testing::TempDir work;
  ASSERT_TRUE(PublishRelease(store_.get(), Request(work.path(), "1")).ok());
  ASSERT_TRUE(PublishRelease(store_.get(), Request(work.path(), "2")).ok());
  ReleaseStore releases(store_.get(), ReleaseLayout{"web", "prod"});
  auto one = releases.Manifest(1);
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(releases.Verify(*one, work / "check.tar").ok());
  auto promoted = releases.MoveStable(*one, "", "2026-01-01T00:00:00Z");
  ASSERT_TRUE(promoted.ok());
  EXPECT_EQ(promoted->previous, 0u);
  EXPECT_EQ(*releases.Resolve("latest-stable"), 1u);
  EXPECT_EQ(*releases.Resolve("latest"), 2u);

  // Same size, other bytes: only the checksum can tell.
  const std::string tar = dir_ / "store/web/prod/web-2.tar";
  std::string bytes = testing::ReadText(tar);
  bytes[600] ^= 1;
  std::filesystem::remove(tar);
  testing::WriteText(tar, bytes);
  auto two = releases.Manifest(2);
  ASSERT_TRUE(two.ok());
  Status corrupt = releases.Verify(*two, work / "check2.tar");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.message().find("corrupt"), std::string::npos);

  EXPECT_NE(releases.Manifest(9).status().message().find("does not exist"), std::string::npos);
  ASSERT_TRUE(store_->Create("web/prod/web-3.claim", "CLAIMANT=crashed\n").ok());
  EXPECT_NE(releases.Manifest(3).status().message().find("incomplete"), std::string::npos);
  EXPECT_EQ(releases.Resolve("newest").status().code(), StatusCode::kInvalidArgument);
  auto history = releases.History(0);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].version, 1u);
}

}  // namespace
}  // namespace shoal
