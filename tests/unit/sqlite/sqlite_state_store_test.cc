#include "adapters/sqlite/sqlite_state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sqlite_test_util.h"

namespace shoal {
namespace {

// The spec a state is saved under names the group (and its pools, alarms,
// policies, which the stored text is keyed by).
GroupSpec SpecNamed(const std::string& name) {
  GroupSpec spec = sqlite_testing::RichSpec();
  spec.name = name;
  return spec;
}

using sqlite_testing::ExpectSameState;
using sqlite_testing::RichSpec;
using sqlite_testing::RichState;

Activity MakeActivity(const std::string& group, int from, int to) {
  Activity a;
  a.time = 1000 + from;
  a.group = group;
  a.kind = from < to ? ActivityKind::kScaleOut : ActivityKind::kScaleIn;
  a.cause = "alarm 'cpu-high' for " + group;
  a.from = from;
  a.to = to;
  return a;
}

// Runs fixed SQL on the file with a second, raw connection: what an operator
// (or a check) sees independently of the store.
std::string QueryOne(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string out = "<error>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text != nullptr ? reinterpret_cast<const char*>(text) : "<null>";
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return out;
}

void ExecOne(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close_v2(db);
}

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "shoal_sqlite_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/state.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteStateStore> OpenStore() {
    Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStateStoreTest, StateSurvivesCloseAndReopen) {
  const GroupSpec spec = RichSpec();
  const GroupState saved = RichState(spec);
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), saved).ok());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_TRUE(loaded->has_value());
  ExpectSameState(saved, **loaded);
}

TEST_F(SqliteStateStoreTest, NeverSavedGroupLoadsAsNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(RichSpec());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(SqliteStateStoreTest, SaveReplacesAndDeleteRemoves) {
  const GroupSpec spec = RichSpec();
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  GroupState s = RichState(spec);
  ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), s).ok());
  s.desired = 9;
  ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), s).ok());
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM group_state"), "1");
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(spec);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->desired, 9);

  ASSERT_TRUE(store->DeleteGroupState("web").ok());
  ASSERT_TRUE(store->DeleteGroupState("web").ok());  // idempotent
  loaded = store->LoadGroupState(spec);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(SqliteStateStoreTest, LoadRebuildsForAChangedSpec) {
  GroupSpec spec = RichSpec();
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), RichState(spec)).ok());
  spec.alarms.pop_back();
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(spec);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status().message();
  // By name: the remaining alarm keeps its state.
  EXPECT_EQ((*loaded)->alarm_states, std::vector<AlarmState>{AlarmState::kAlarm});
  EXPECT_EQ((*loaded)->instances.size(), 3u);
}

TEST_F(SqliteStateStoreTest, CorruptStoredStateNamesFileAndField) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
  }
  ExecOne(path_, "INSERT INTO group_state(name, json, updated_at) VALUES('web', '{\"format\": 1}', 0)");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(RichSpec());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find(path_), std::string::npos) << loaded.status().message();
  EXPECT_NE(loaded.status().message().find("desired: missing"), std::string::npos)
      << loaded.status().message();
}

TEST_F(SqliteStateStoreTest, NamesAreBoundNeverSpliced) {
  const std::string hostile = "x'); DROP TABLE activity; --";
  GroupSpec spec = RichSpec();
  spec.name = hostile;
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SaveGroupState(SpecNamed(hostile), RichState(spec)).ok());
  ASSERT_TRUE(store->AppendActivities({MakeActivity(hostile, 1, 2)}).ok());
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(spec);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  Result<std::vector<StoredActivity>> listed = store->ListActivities(hostile, 0, 10);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].activity.group, hostile);
}

TEST_F(SqliteStateStoreTest, ActivitiesListByGroupAfterSeqWithLimit) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->AppendActivities(
                      {MakeActivity("web", 1, 2), MakeActivity("api", 3, 4), MakeActivity("web", 2, 3)})
                  .ok());
  ASSERT_TRUE(store->AppendActivities({}).ok());
  ASSERT_TRUE(store->AppendActivities({MakeActivity("web", 3, 1), MakeActivity("api", 4, 5)}).ok());

  Result<std::vector<StoredActivity>> all = store->ListActivities("", 0, 100);
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 5u);
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].seq, (*all)[i].seq);
  const Activity& third = (*all)[2].activity;
  EXPECT_EQ(third.group, "web");
  EXPECT_EQ(third.kind, ActivityKind::kScaleOut);
  EXPECT_EQ(third.cause, "alarm 'cpu-high' for web");
  EXPECT_EQ(third.time, 1002);
  EXPECT_EQ(third.from, 2);
  EXPECT_EQ(third.to, 3);
  EXPECT_EQ((*all)[3].activity.kind, ActivityKind::kScaleIn);

  Result<std::vector<StoredActivity>> web = store->ListActivities("web", 0, 100);
  ASSERT_TRUE(web.ok());
  ASSERT_EQ(web->size(), 3u);
  EXPECT_EQ((*web)[0].activity.from, 1);
  EXPECT_EQ((*web)[2].activity.from, 3);

  // Paging: after the first web activity, one at a time.
  Result<std::vector<StoredActivity>> page = store->ListActivities("web", (*web)[0].seq, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].seq, (*web)[1].seq);

  Result<std::vector<StoredActivity>> tail = store->ListActivities("", (*all)[3].seq, 100);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].activity.group, "api");

  Result<std::vector<StoredActivity>> none = store->ListActivities("db", 0, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// Every kind is stored by its name and read back as itself (a kind missing
// from the store's list would make listing fail with "unknown kind").
TEST_F(SqliteStateStoreTest, EveryActivityKindReadsBack) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::vector<Activity> written;
  for (int k = 0; k <= static_cast<int>(ActivityKind::kLoadBalancer); ++k) {
    Activity a = MakeActivity("web", k, k);
    a.kind = static_cast<ActivityKind>(k);
    written.push_back(a);
  }
  ASSERT_TRUE(store->AppendActivities(written).ok());
  Result<std::vector<StoredActivity>> all = store->ListActivities("", 0, 100);
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) EXPECT_EQ((*all)[i].activity.kind, written[i].kind) << i;
}

TEST_F(SqliteStateStoreTest, SeqKeepsIncreasingAcrossReopen) {
  std::int64_t last = 0;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AppendActivities({MakeActivity("web", 1, 2)}).ok());
    last = store->ListActivities("", 0, 10)->back().seq;
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AppendActivities({MakeActivity("web", 2, 3)}).ok());
  Result<std::vector<StoredActivity>> after = store->ListActivities("", last, 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_GT((*after)[0].seq, last);
}

TEST_F(SqliteStateStoreTest, NonPositiveLimitIsRefused) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::vector<StoredActivity>> r = store->ListActivities("", 0, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteStateStoreTest, WalModeIsReallyOnAndSchemaVersioned) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), RichState(RichSpec())).ok());
  EXPECT_EQ(QueryOne(path_, "PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
  EXPECT_EQ(QueryOne(path_, "SELECT max(version) FROM schema_version"), "3");
  EXPECT_EQ(
      QueryOne(path_, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activity'"),
      "2");
}

TEST_F(SqliteStateStoreTest, ReopenDoesNotRerunMigrations) {
  { ASSERT_NE(OpenStore(), nullptr); }
  { ASSERT_NE(OpenStore(), nullptr); }
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM schema_version"), "1");
}

TEST_F(SqliteStateStoreTest, LastConfigIsEmptyThenTheLatestSaved) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Result<std::optional<ConfigRecord>> none = store->LoadLastConfig();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store->SaveLastConfig({"a.yaml", "groups: []\n", 100}).ok());
  ASSERT_TRUE(store->SaveLastConfig({"b.yaml", "groups:\n  - name: 'it''s'\n", 200}).ok());
  store.reset();
  store = OpenStore();  // survives a reopen
  Result<std::optional<ConfigRecord>> last = store->LoadLastConfig();
  ASSERT_TRUE(last.ok()) << last.status().message();
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->source, "b.yaml");
  EXPECT_EQ((*last)->yaml, "groups:\n  - name: 'it''s'\n");
  EXPECT_EQ((*last)->saved_at, 200);
  EXPECT_EQ(QueryOne(path_, "SELECT count(*) FROM last_config"), "1");
}

// A database written by the first schema (before last_config) is migrated on
// open and keeps what it held.
TEST_F(SqliteStateStoreTest, AVersionOneDatabaseIsMigratedKeepingItsData) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AppendActivities({MakeActivity("web", 1, 2)}).ok());
  }
  ExecOne(path_,
          "DROP TABLE last_config; DROP TABLE metric_minute; DROP INDEX activity_time;"
          " UPDATE schema_version SET version = 1");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryOne(path_, "SELECT max(version) FROM schema_version"), "3");
  ASSERT_TRUE(store->SaveLastConfig({"a.yaml", "x", 1}).ok());
  Result<std::vector<StoredActivity>> acts = store->ListActivities("web", 0, 10);
  ASSERT_TRUE(acts.ok());
  EXPECT_EQ(acts->size(), 1u);
}

TEST_F(SqliteStateStoreTest, NewerSchemaIsRefused) {
  { ASSERT_NE(OpenStore(), nullptr); }
  ExecOne(path_, "UPDATE schema_version SET version = 99");
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos)
      << store.status().message();
}

TEST_F(SqliteStateStoreTest, MissingDirectoryIsAClearError) {
  const std::string path = dir_ + "/no/such/dir/state.db";
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kIoError);
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("unable to open"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("does not exist"), std::string::npos) << store.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/no"));  // nothing created on the way
}

TEST_F(SqliteStateStoreTest, NotADatabaseIsAClearError) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a database, just text long enough to be a header ........", f);
    std::fclose(f);
  }
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path_), std::string::npos) << store.status().message();
}

// The daemon writes from the reconcile thread while API threads read.
// WAL's promise, which the daemon relies on (API reads while the reconcile
// loop writes): a reader in the middle of its read transaction neither
// blocks the writer nor sees its commits, and readers on other connections
// read while writes go on. In rollback-journal mode the writer's commit
// would wait for the open reader until the busy timeout and fail.
TEST_F(SqliteStateStoreTest, ReadersRunAlongsideTheWriter) {
  const GroupSpec spec = RichSpec();
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  GroupState s = RichState(spec);
  s.last_evaluated_minute = 0;
  ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), s).ok());

  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(reader, 100);
  auto count_activities = [&] {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(reader, "SELECT count(*) FROM activity", -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  };
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(count_activities(), 0);  // the read transaction's snapshot starts here

  // Other connections read all along.
  auto second = SqliteStateStore::Open(path_);
  ASSERT_TRUE(second.ok());
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, read_errors{0};
  std::thread other([&] {
    while (!done.load()) {
      Result<std::optional<GroupState>> loaded = (*second)->LoadGroupState(spec);
      Result<std::vector<StoredActivity>> listed = (*second)->ListActivities("web", 0, 1000);
      (loaded.ok() && listed.ok() ? reads : read_errors).fetch_add(1);
    }
  });
  constexpr int kWrites = 40;
  for (int i = 1; i <= kWrites; ++i) {
    s.last_evaluated_minute = i;
    ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), s).ok()) << "the open reader must not block the writer";
    ASSERT_TRUE(store->AppendActivities({MakeActivity("web", i, i + 1)}).ok());
  }
  done.store(true);
  other.join();
  EXPECT_EQ(count_activities(), 0) << "the reader's snapshot does not move under it";
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(count_activities(), kWrites) << "a new read sees every commit";
  sqlite3_close_v2(reader);
  EXPECT_EQ(read_errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ((*store->LoadGroupState(spec))->last_evaluated_minute, kWrites);
}

// Child: saves state n (last_evaluated_minute = n), appends activity n, then
// reports n on the pipe, forever. Never returns into the test framework.
[[noreturn]] void WriteForever(const std::string& path, int report_fd) {
  Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(path);
  if (!store.ok()) _exit(2);
  const GroupSpec spec = RichSpec();
  GroupState s = RichState(spec);
  for (std::int64_t n = 1;; ++n) {
    s.last_evaluated_minute = n;
    s.replace_causes.assign(static_cast<std::size_t>(n % 5), std::string(200, 'x'));  // vary the row size
    if (!(*store)->SaveGroupState(SpecNamed("web"), s).ok()) _exit(3);
    const int from = static_cast<int>(n);
    if (!(*store)->AppendActivities({MakeActivity("web", from, from + 1)}).ok()) _exit(4);
    if (write(report_fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) _exit(5);
  }
}

TEST_F(SqliteStateStoreTest, KilledWriterLeavesTheLastCommittedState) {
  constexpr std::int64_t kKillAfter = 40;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    WriteForever(path_, fds[1]);
  }
  close(fds[1]);
  std::int64_t reported = 0;
  std::int64_t n = 0;
  while (reported < kKillAfter && read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) reported = n;
  ASSERT_EQ(kill(child, SIGKILL), 0);  // mid-loop: likely inside a transaction
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "the writer exited early with " << WEXITSTATUS(wstatus);
  while (read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) reported = n;
  close(fds[0]);
  ASSERT_GE(reported, kKillAfter);

  auto store = OpenStore();  // recovers the WAL the child left behind
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryOne(path_, "PRAGMA integrity_check"), "ok");
  Result<std::optional<GroupState>> loaded = store->LoadGroupState(RichSpec());
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status().message();
  // Everything reported was committed; at most one more commit can have
  // landed between the last report and the kill.
  const std::int64_t minute = (*loaded)->last_evaluated_minute;
  EXPECT_TRUE(minute == reported || minute == reported + 1) << minute << " vs " << reported;
  EXPECT_EQ((*loaded)->replace_causes.size(), static_cast<std::size_t>(minute % 5));

  Result<std::vector<StoredActivity>> acts = store->ListActivities("web", 0, 1'000'000);
  ASSERT_TRUE(acts.ok());
  // State n is saved before activity n: the log holds n or n - 1 entries,
  // each one whole and in order.
  const auto count = static_cast<std::int64_t>(acts->size());
  EXPECT_TRUE(count == minute || count == minute - 1) << count << " activities, state " << minute;
  for (std::int64_t i = 0; i < count; ++i) EXPECT_EQ((*acts)[i].activity.from, i + 1);

  // And the store keeps working after recovery.
  ASSERT_TRUE(store->SaveGroupState(SpecNamed("web"), RichState(RichSpec())).ok());
}

}  // namespace
}  // namespace shoal
