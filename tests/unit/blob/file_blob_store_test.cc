// The local-directory blob store keeps the port's promises: atomic writes,
// exactly one winner of concurrent creates, compare-and-swap by tag, keys
// that cannot leave the root.
#include "adapters/blob/file_blob_store.h"

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/blob/store_url.h"
#include "unit/release/temp_dir.h"

namespace shoal {
namespace {

class FileBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = FileBlobStore::Open(dir_ / "store", true);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  testing::TempDir dir_;
  std::unique_ptr<FileBlobStore> store_;
};

TEST_F(FileBlobStoreTest, PutGetHeadAndMissingKeys) {
  ASSERT_TRUE(store_->Put("web/prod/latest.txt", "VERSION=1\n").ok());
  auto got = store_->Get("web/prod/latest.txt");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->bytes, "VERSION=1\n");
  EXPECT_EQ(store_->Head("web/prod/latest.txt")->size, 10u);
  EXPECT_EQ(store_->Get("web/prod/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("web/prod/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(testing::ReadText(dir_ / "store/web/prod/latest.txt"), "VERSION=1\n");
}

TEST_F(FileBlobStoreTest, RefusesKeysThatCouldLeaveTheRoot) {
  for (const char* key : {"../x", "/etc/passwd", "a/../../b", "a//b", ".hidden", "a/.tmp", "", "a b"}) {
    EXPECT_EQ(store_->Put(key, "x").code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x"));
}

TEST_F(FileBlobStoreTest, CreateIsExclusiveAndSwapComparesTags) {
  ASSERT_TRUE(store_->Create("k", "first").ok());
  EXPECT_EQ(store_->Create("k", "second").code(), StatusCode::kConflict);
  auto read = store_->Get("k");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->bytes, "first");
  ASSERT_TRUE(store_->Swap("k", "third", read->tag).ok());
  EXPECT_EQ(store_->Swap("k", "fourth", read->tag).code(), StatusCode::kConflict);  // the tag moved on
  EXPECT_EQ(store_->Get("k")->bytes, "third");
  EXPECT_EQ(store_->Swap("absent", "x", read->tag).code(), StatusCode::kConflict);
}

TEST_F(FileBlobStoreTest, OneOfManyConcurrentCreatorsWins) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> winners{0};
    std::atomic<int> conflicts{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        Status s = store_->Create("race/" + std::to_string(round), "writer " + std::to_string(t));
        if (s.ok()) ++winners;
        else if (s.code() == StatusCode::kConflict) ++conflicts;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(conflicts.load(), 7);
  }
}

TEST_F(FileBlobStoreTest, FilesStreamInAndOutAndListSkipsHiddenFiles) {
  testing::WriteText(dir_ / "src.tar", std::string(3 << 20, 'z'));
  ASSERT_TRUE(store_->CreateFromFile("web/prod/web-1.tar", dir_ / "src.tar").ok());
  EXPECT_EQ(store_->CreateFromFile("web/prod/web-1.tar", dir_ / "src.tar").code(), StatusCode::kConflict);
  ASSERT_TRUE(store_->GetToFile("web/prod/web-1.tar", dir_ / "copy.tar").ok());
  EXPECT_EQ(testing::ReadText(dir_ / "copy.tar"), std::string(3 << 20, 'z'));
  EXPECT_EQ(store_->Get("web/prod/web-1.tar").status().code(), StatusCode::kInvalidArgument);  // over 1 MiB: stream it

  ASSERT_TRUE(store_->Put("web/prod/latest.txt", "x").ok());
  auto read = store_->Get("web/prod/latest.txt");
  ASSERT_TRUE(store_->Swap("web/prod/latest.txt", "y", read->tag).ok());  // leaves a hidden lock file
  ASSERT_TRUE(store_->Put("web/staging/latest.txt", "x").ok());
  auto listed = store_->List("web/prod/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "web/prod/latest.txt");
  EXPECT_EQ((*listed)[1].key, "web/prod/web-1.tar");
  EXPECT_EQ((*listed)[1].size, 3u << 20);
  EXPECT_EQ(store_->List("web/prod/web-")->size(), 1u);
  EXPECT_EQ(store_->List("web/")->size(), 3u);
}

TEST(StoreUrlTest, ParsesFileAndS3AndRefusesTheRest) {
  auto file = ParseStoreUrl("file:///srv/releases/");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->path, "/srv/releases");
  auto s3 = ParseStoreUrl("s3://build/ci/artifacts/");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->kind, StoreUrl::Kind::kS3);
  EXPECT_EQ(s3->bucket, "build");
  EXPECT_EQ(s3->prefix, "ci/artifacts");
  EXPECT_EQ(ParseStoreUrl("s3://build")->prefix, "");
  for (const char* bad : {"file://relative", "http://x", "s3://", "s3://b/../x", "/srv/releases", "file:///a/../b"}) {
    EXPECT_EQ(ParseStoreUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace shoal
