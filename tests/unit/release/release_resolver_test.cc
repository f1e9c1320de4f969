// What a launch boots: the resolver reads the pointer afresh at every launch,
// refuses incomplete or unknown releases, and follows a new `releases`
// section after an apply.
#include "providers/release_resolver.h"

#include <gtest/gtest.h>

#include "adapters/blob/file_blob_store.h"
#include "adapters/release/publish.h"
#include "adapters/release/release_store.h"
#include "unit/release/temp_dir.h"

namespace shoal {
namespace {

class ReleaseResolverTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::WriteText(dir_ / "app/health", "ok\n"); }

  std::string StoreUrl(const std::string& name = "store") const { return "file://" + (dir_ / name); }

  // Publishes the app folder as the next release of web/prod; its version.
  std::uint64_t Publish(const std::string& name = "store") {
    auto store = FileBlobStore::Open(dir_ / name, true);
    EXPECT_TRUE(store.ok());
    PublishRequest r;
    r.layout = ReleaseLayout{"web", "prod"};
    r.source = dir_ / "app";
    r.build = "b";
    r.git_commit = "abc123";
    r.now = 1764000000;
    r.claimant = "test";
    r.work_dir = work_.path();
    auto published = PublishRelease(store->get(), r);
    EXPECT_TRUE(published.ok()) << published.status().message();
    return published.ok() ? published->manifest.release.version : 0;
  }

  void Promote(std::uint64_t version, const std::string& name = "store") {
    auto store = FileBlobStore::Open(dir_ / name, false);
    ASSERT_TRUE(store.ok());
    ReleaseStore releases(store->get(), ReleaseLayout{"web", "prod"});
    auto manifest = releases.Manifest(version);
    ASSERT_TRUE(manifest.ok()) << manifest.status().message();
    ASSERT_TRUE(releases.MoveStable(*manifest, "", "2026-12-03T00:00:00Z").ok());
  }

  testing::TempDir dir_, work_;
};

TEST_F(ReleaseResolverTest, EachRefResolvesToItsVersionAndAPromoteReachesTheNextLaunch) {
  Publish();
  Publish();
  Promote(1);
  ReleaseResolver resolver(dir_ / "data", ReleasesSpec{StoreUrl(), "prod"});
  auto stable = resolver.Resolve("web", "latest-stable");
  ASSERT_TRUE(stable.ok()) << stable.status().message();
  EXPECT_EQ(stable->version, 1);
  EXPECT_EQ(stable->store_url, StoreUrl());
  EXPECT_EQ(stable->env, "prod");
  EXPECT_EQ(stable->cache_dir, (dir_ / "data") + "/release-cache");
  EXPECT_EQ(resolver.Resolve("web", "latest")->version, 2);
  EXPECT_EQ(resolver.Resolve("web", "2")->version, 2);
  Promote(2);
  EXPECT_EQ(resolver.Resolve("web", "latest-stable")->version, 2) << "no restart needed";
}

TEST_F(ReleaseResolverTest, UnknownVersionsUnpromotedStoresAndOtherServicesAreNotFound) {
  Publish();
  ReleaseResolver resolver(dir_ / "data", ReleasesSpec{StoreUrl(), "prod"});
  auto unknown = resolver.Resolve("web", "7");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("7"), std::string::npos) << unknown.status().message();
  EXPECT_NE(unknown.status().message().find(StoreUrl()), std::string::npos) << "names the store";
  auto never_promoted = resolver.Resolve("web", "latest-stable");
  ASSERT_FALSE(never_promoted.ok());
  EXPECT_EQ(never_promoted.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(resolver.Resolve("api", "latest").ok());
}

TEST_F(ReleaseResolverTest, AnIncompleteReleaseIsNeverBooted) {
  Publish();
  std::filesystem::remove(dir_ / "store/web/prod/web-1.release");
  ReleaseResolver resolver(dir_ / "data", ReleasesSpec{StoreUrl(), "prod"});
  auto r = resolver.Resolve("web", "1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().message();
}

TEST_F(ReleaseResolverTest, ANewReleasesSectionIsUsedByTheNextLaunch) {
  Publish("a");
  Publish("b");
  Publish("b");
  ReleaseResolver resolver(dir_ / "data", ReleasesSpec{StoreUrl("a"), "prod"});
  EXPECT_EQ(resolver.Resolve("web", "latest")->version, 1);
  resolver.SetSpec(ReleasesSpec{StoreUrl("b"), "prod"});
  EXPECT_EQ(resolver.store_url(), StoreUrl("b"));
  EXPECT_EQ(resolver.Resolve("web", "latest")->version, 2);
  resolver.SetSpec(ReleasesSpec{StoreUrl("b"), "staging"});
  EXPECT_FALSE(resolver.Resolve("web", "latest").ok()) << "nothing published to staging";
}

TEST_F(ReleaseResolverTest, WithoutAStoreInTheConfigTheDataDirHoldsOne) {
  ReleaseResolver resolver(dir_ / "data", ReleasesSpec{"", "prod"});
  if (std::getenv("SHOAL_STORE") == nullptr) {
    EXPECT_EQ(resolver.store_url(), "file://" + (dir_ / "data") + "/releases");
  }
  auto r = resolver.Resolve("web", "latest");
  ASSERT_FALSE(r.ok()) << "an empty store has no release";
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace shoal
