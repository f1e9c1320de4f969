// Listing the activity log: the newest page and pages back from it, and rows
// that cannot be read (damaged, hand-edited, from another version) returned
// with a note instead of failing the whole list.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "adapters/sqlite/sqlite_state_store.h"

namespace shoal {
namespace {

class ActivityListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "shoal_activities_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir_ + "/state.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Activities 1..n of `group`, at times 1000 + i.
  void Append(const std::string& group, int n) {
    std::vector<Activity> all;
    for (int i = 1; i <= n; ++i) {
      all.push_back({1000 + i, group, ActivityKind::kSetDesired, group + " " + std::to_string(i), i, i + 1});
    }
    ASSERT_TRUE(store_->AppendActivities(all).ok());
  }

  void Exec(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/state.db").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  static std::vector<std::int64_t> Seqs(const std::vector<StoredActivity>& list) {
    std::vector<std::int64_t> out;
    for (const StoredActivity& s : list) out.push_back(s.seq);
    return out;
  }

  std::string dir_;
  std::unique_ptr<SqliteStateStore> store_;
};

constexpr std::int64_t kNoUpperSeq = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kAnyTime = std::numeric_limits<std::int64_t>::min();

TEST_F(ActivityListingTest, LatestIsTheNewestPageOldestFirst) {
  Append("web", 10);
  Result<std::vector<StoredActivity>> page = store_->ListLatestActivities("", kNoUpperSeq, kAnyTime, 3);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(Seqs(*page), (std::vector<std::int64_t>{8, 9, 10}));
  EXPECT_EQ((*page)[2].activity.cause, "web 10");
}

TEST_F(ActivityListingTest, BeforePagesBackAndSinceCutsByTime) {
  Append("web", 10);
  Result<std::vector<StoredActivity>> back = store_->ListLatestActivities("", 8, kAnyTime, 3);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Seqs(*back), (std::vector<std::int64_t>{5, 6, 7}));
  Result<std::vector<StoredActivity>> first = store_->ListLatestActivities("", 3, kAnyTime, 10);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Seqs(*first), (std::vector<std::int64_t>{1, 2})) << "a short last page";
  Result<std::vector<StoredActivity>> since = store_->ListLatestActivities("", kNoUpperSeq, 1008, 100);
  ASSERT_TRUE(since.ok());
  EXPECT_EQ(Seqs(*since), (std::vector<std::int64_t>{8, 9, 10})) << "time >= since";
}

TEST_F(ActivityListingTest, LatestOfOneGroup) {
  Append("web", 3);
  Append("db", 3);
  Result<std::vector<StoredActivity>> web = store_->ListLatestActivities("web", kNoUpperSeq, kAnyTime, 2);
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(Seqs(*web), (std::vector<std::int64_t>{2, 3}));
  EXPECT_FALSE(store_->ListLatestActivities("web", kNoUpperSeq, kAnyTime, 0).ok()) << "a limit of 0 is refused";
}

// Before: the first unknown kind failed the whole list ("activity 1: unknown
// kind"), so no activity at all could be listed.
TEST_F(ActivityListingTest, UnreadableRowsAreReturnedWithANoteAndTheRestIntact) {
  Append("web", 1);
  Exec("INSERT INTO activity(time, grp, kind, cause, from_units, to_units) VALUES"
       " ('yesterday', 'web', 'teleport', 'from a newer version', 1, 2),"
       " (1002, NULL, 'scale-in', NULL, 'three', 99999999999),"
       " (1003, 'web', 'scale-out', 'fine', 2, 3)");
  for (const bool latest : {false, true}) {
    SCOPED_TRACE(latest ? "latest" : "after");
    Result<std::vector<StoredActivity>> list =
        latest ? store_->ListLatestActivities("", kNoUpperSeq, kAnyTime, 10) : store_->ListActivities("", 0, 10);
    ASSERT_TRUE(list.ok()) << list.status().message();
    ASSERT_EQ(list->size(), 4u);
    EXPECT_EQ((*list)[0].unreadable, "");
    EXPECT_EQ((*list)[1].unreadable, "time is not an integer; unknown kind 'teleport'");
    EXPECT_EQ((*list)[1].activity.group, "web") << "what could be read is kept";
    EXPECT_EQ((*list)[2].unreadable,
              "group is not text; cause is not text; from is not an integer; to 99999999999 is out of range");
    EXPECT_EQ((*list)[3].unreadable, "");
    EXPECT_EQ((*list)[3].activity.cause, "fine");
    EXPECT_EQ((*list)[3].activity.kind, ActivityKind::kScaleOut);
  }
}

}  // namespace
}  // namespace shoal
