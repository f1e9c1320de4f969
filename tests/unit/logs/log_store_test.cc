// The embedded log store and the collector: dedup by (source, offset),
// search, retention, and a collector killed mid-ingest losing and doubling
// nothing.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <cstdio>
#include <set>
#include <string>

#include "adapters/local/instance_record.h"
#include "adapters/local/log_collector.h"
#include "adapters/sqlite/sqlite_log_store.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shoal-logs-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SqliteLogStore> Open() {
    Result<std::unique_ptr<SqliteLogStore>> s = SqliteLogStore::Open((dir_ / "logs.db").string());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(*s);
  }

  static LogRecord Line(const std::string& instance, std::int64_t offset, const std::string& text, std::int64_t t = 1) {
    LogRecord r;
    r.time_us = t;
    r.group = "web";
    r.instance = instance;
    r.pool = "spot-a";
    r.release = "3";
    r.stream = "stdout";
    r.source = instance + "/stdout";
    r.offset = offset;
    r.text = text;
    return r;
  }

  std::string File(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(LogStoreTest, TheSameKeyIsStoredOnce) {
  auto store = Open();
  Result<std::int64_t> a = store->Append({Line("i1", 0, "hello"), Line("i1", 6, "world")}, {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 2);
  Result<std::int64_t> b = store->Append({Line("i1", 6, "world"), Line("i1", 12, "again")}, {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 1);
  EXPECT_EQ(*store->Count(), 3);
}

TEST_F(LogStoreTest, SearchesByTargetTextAndTimeAndFollowsWithACursor) {
  auto store = Open();
  std::vector<LogRecord> lines;
  for (int i = 0; i < 50; ++i) {
    LogRecord r = Line(i % 2 == 0 ? "i1" : "i2", i * 100, "request " + std::to_string(i) + (i % 10 == 0 ? " ERROR x*y" : ""), 1000 + i);
    if (i % 2 == 1) r.group = "api";
    lines.push_back(r);
  }
  ASSERT_TRUE(store->Append(lines, {}).ok());
  Result<LogPage> errors = store->Search({"", 0, "ERROR", 0, 100});
  ASSERT_TRUE(errors.ok()) << errors.status().message();
  ASSERT_EQ(errors->lines.size(), 5u);
  EXPECT_EQ(errors->lines.front().record.text, "request 0 ERROR x*y");  // oldest first
  // Glob characters in --grep stand for themselves.
  EXPECT_EQ(store->Search({"", 0, "x*y", 0, 100})->lines.size(), 5u);
  EXPECT_EQ(store->Search({"", 0, "x?y", 0, 100})->lines.size(), 0u);
  EXPECT_EQ(store->Search({"", 0, "error", 0, 100})->lines.size(), 0u);  // case-sensitive
  EXPECT_EQ(store->Search({"", 0, "9", 0, 100})->lines.size(), 5u);      // short: scanned
  EXPECT_EQ(store->Search({"api", 0, "", 0, 100})->lines.size(), 25u);
  EXPECT_EQ(store->Search({"i1", 0, "", 0, 100})->lines.size(), 25u);
  EXPECT_EQ(store->Search({"", 1040, "", 0, 100})->lines.size(), 10u);
  Result<LogPage> newest = store->Search({"", 0, "", 0, 3});
  ASSERT_EQ(newest->lines.size(), 3u);
  EXPECT_EQ(newest->lines.back().record.text, "request 49");
  // Follow: nothing new, then exactly what came.
  Result<LogPage> none = store->Search({"", 0, "", newest->cursor, 100});
  EXPECT_TRUE(none->lines.empty());
  ASSERT_TRUE(store->Append({Line("i1", 99999, "late ERROR")}, {}).ok());
  Result<LogPage> next = store->Search({"", 0, "ERROR", newest->cursor, 100});
  ASSERT_EQ(next->lines.size(), 1u);
  EXPECT_EQ(next->lines[0].record.text, "late ERROR");
  EXPECT_EQ(next->lines[0].record.pool, "spot-a");
  EXPECT_EQ(next->lines[0].record.release, "3");
}

// Lines stored after newer ones (late through Kafka or rsyslog's queue):
// --since still finds every line at or after T, whatever the store order,
// and retention by age deletes only older lines.
TEST_F(LogStoreTest, SinceFindsEveryNewerLineWhenOlderOnesArriveLate) {
  auto store = Open();
  std::int64_t off = 0;
  auto batch = [&](std::initializer_list<std::int64_t> times) {
    std::vector<LogRecord> lines;
    for (const std::int64_t t : times) lines.push_back(Line("i1", off++, "t=" + std::to_string(t), t));
    ASSERT_TRUE(store->Append(lines, {}).ok());
  };
  batch({100});
  batch({200});
  batch({300});
  for (int i = 0; i < 4; ++i) batch({150});  // late, one batch each
  batch({400});
  auto texts = [&](std::int64_t since) {
    std::vector<std::string> out;
    Result<LogPage> p = store->Search({"", since, "", 0, 100});
    EXPECT_TRUE(p.ok()) << p.status().message();
    for (const StoredLog& l : p->lines) out.push_back(l.record.text);
    return out;
  };
  EXPECT_EQ(texts(250), (std::vector<std::string>{"t=300", "t=400"}));  // a search by store order missed t=300
  EXPECT_EQ(texts(150), (std::vector<std::string>{"t=200", "t=300", "t=150", "t=150", "t=150", "t=150", "t=400"}));
  EXPECT_EQ(texts(401), std::vector<std::string>{});
  EXPECT_EQ(texts(1).size(), 8u);
  // Retention by age at 250: the lines before the first one at 250 or later
  // go (t=100, t=200); the late ones stay until the newer lines stored
  // before them age out: never before their time.
  ASSERT_TRUE(store->Prune({250, 0}, 500).ok());
  EXPECT_EQ(texts(1), (std::vector<std::string>{"t=300", "t=150", "t=150", "t=150", "t=150", "t=400"}));
  EXPECT_EQ(texts(250), (std::vector<std::string>{"t=300", "t=400"}));
}

// A store written before time marks existed gets them from its lines when
// opened, and --since works on it at once.
TEST_F(LogStoreTest, AStoreWithoutTimeMarksGetsThemOnOpen) {
  {
    auto store = Open();
    std::vector<LogRecord> lines;
    for (int i = 0; i < 12000; ++i) lines.push_back(Line("i1", i, "line " + std::to_string(i), 1000 + i));
    lines[11000].time_us = 50;  // a late one
    ASSERT_TRUE(store->Append(lines, {}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "logs.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM log_time_marks", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Open();
  Result<LogPage> p = store->Search({"", 1000 + 11500, "", 0, 1000});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->lines.size(), 500u);
  EXPECT_EQ(p->lines.front().record.text, "line 11500");
  EXPECT_EQ(store->Search({"", 40, "line 11000", 0, 10})->lines.size(), 1u);
}

// Both plans: a target bigger than the plan's threshold (50,000 lines) is
// searched through the trigram index first, a smaller one through its own
// index; each with --since, each newest first and following.
TEST_F(LogStoreTest, TargetGrepAndSinceAgreeOnBothPlans) {
  auto store = Open();
  std::vector<LogRecord> lines;
  for (int i = 0; i < 60000; ++i) {
    LogRecord r = Line(i % 3 == 0 ? "small" : "big" + std::to_string(i % 3), i * 100, "line " + std::to_string(i) +
                                                                                      (i % 1000 == 0 ? " päyload \"q\" HIT" : ""),
                       i);
    r.group = i % 3 == 0 ? "g-small" : "g-big";  // g-big: 40,000 lines so far
    lines.push_back(std::move(r));
  }
  ASSERT_TRUE(store->Append(lines, {}).ok());
  std::vector<LogRecord> more;
  for (int i = 0; i < 20000; ++i) {
    LogRecord r = Line("big1", 10'000'000 + i * 100, "more " + std::to_string(i) + (i % 1000 == 0 ? " päyload \"q\" HIT" : ""),
                       60000 + i);
    r.group = "g-big";  // now 60,000 lines: the trigram plan
    more.push_back(std::move(r));
  }
  ASSERT_TRUE(store->Append(more, {}).ok());
  // g-big: i % 3 != 0 and i % 1000 == 0 below 60000 -> 40 of 60; plus 20 more.
  for (const std::string& grep : {std::string("HIT"), std::string("päyload \"q\""), std::string("\"q\" H")}) {
    Result<LogPage> big = store->Search({"g-big", 0, grep, 0, 1000});
    ASSERT_TRUE(big.ok()) << big.status().message();
    EXPECT_EQ(big->lines.size(), 60u) << grep;
    Result<LogPage> small = store->Search({"g-small", 0, grep, 0, 1000});
    ASSERT_TRUE(small.ok()) << small.status().message();
    EXPECT_EQ(small->lines.size(), 20u) << grep;
    Result<LogPage> one = store->Search({"small", 0, grep, 0, 1000});
    EXPECT_EQ(one->lines.size(), 20u) << grep;
  }
  // Since: lines read at or after t = 30000 (i >= 30000): 20 + 20 for g-big, 10 for g-small.
  EXPECT_EQ(store->Search({"g-big", 30000, "HIT", 0, 1000})->lines.size(), 40u);
  EXPECT_EQ(store->Search({"g-small", 30000, "HIT", 0, 1000})->lines.size(), 10u);
  EXPECT_EQ(store->Search({"", 30000, "HIT", 0, 1000})->lines.size(), 50u);
  EXPECT_EQ(store->Search({"", 80000, "HIT", 0, 1000})->lines.size(), 0u);
  // Newest first, limited: the newest g-big HIT is "more 19000".
  Result<LogPage> newest = store->Search({"g-big", 0, "HIT", 0, 2});
  ASSERT_EQ(newest->lines.size(), 2u);
  EXPECT_EQ(newest->lines.back().record.text, "more 19000 päyload \"q\" HIT");
  // Following from the first page's cursor gets the rest in order.
  Result<LogPage> first = store->Search({"g-big", 0, "HIT", 1, 50});
  ASSERT_EQ(first->lines.size(), 50u);
  Result<LogPage> rest = store->Search({"g-big", 0, "HIT", first->cursor, 50});
  ASSERT_EQ(rest->lines.size(), 10u);
  EXPECT_LT(first->lines.back().seq, rest->lines.front().seq);
  EXPECT_EQ(store->Search({"g-big", 0, "hit", 0, 1000})->lines.size(), 0u);  // case-sensitive on both plans
  EXPECT_EQ(store->Search({"g-small", 0, "hit", 0, 1000})->lines.size(), 0u);
}

TEST_F(LogStoreTest, PrunesByAgeAndBySize) {
  auto store = Open();
  std::vector<LogRecord> lines;
  for (int i = 0; i < 20000; ++i) lines.push_back(Line("i1", i * 200, std::string(150, 'a' + i % 26), i));
  ASSERT_TRUE(store->Append(lines, {}).ok());
  Result<std::int64_t> aged = store->Prune({5000, 0}, 20000);  // keep t >= 15000
  ASSERT_TRUE(aged.ok()) << aged.status().message();
  EXPECT_EQ(*aged, 15000);
  EXPECT_EQ(*store->Count(), 5000);
  EXPECT_EQ(store->Search({"", 0, "", 0, 1})->lines.back().record.time_us, 19999);
  const std::int64_t before = *store->UsedBytes();
  Result<std::int64_t> sized = store->Prune({0, before / 2}, 20000);
  ASSERT_TRUE(sized.ok());
  EXPECT_GT(*sized, 0);
  EXPECT_LE(*store->UsedBytes(), before / 2);
  // The newest lines stay, and the index still finds them (and only them).
  const std::int64_t left = *store->Count();
  EXPECT_EQ(store->Search({"", 0, std::string(3, 'a' + 19999 % 26), 0, 10000})->lines.size(),
            static_cast<std::size_t>((left + 25) / 26));
  EXPECT_EQ(store->Search({"", 0, "", 0, 1})->lines.back().record.time_us, 19999);
}

// The trigram index follows behind the lines: lines past its mark are
// found by scanning, before and after they are indexed, on every plan.
TEST_F(LogStoreTest, LinesNotYetIndexedAreFoundAndPruned) {
  auto store = Open();
  std::vector<LogRecord> lines;
  for (int i = 0; i < 1000; ++i) lines.push_back(Line(i % 2 == 0 ? "i1" : "i2", i * 10, "req " + std::to_string(i) + (i % 100 == 7 ? " Boom" : ""), i));
  ASSERT_TRUE(store->Append(lines, {}).ok());
  EXPECT_EQ(*store->Unindexed(), 1000);  // under kIndexBatch: waiting
  auto count = [&](const LogQuery& q) { return store->Search(q)->lines.size(); };
  const LogQuery cases[] = {{"", 0, "Boom", 0, 100}, {"web", 0, "Boom", 0, 100}, {"i2", 0, "Boom", 0, 100},
                            {"", 500, "Boom", 0, 100}, {"", 0, "Boom", 300, 100}, {"", 0, "boom", 0, 100}};
  std::vector<std::size_t> before;
  for (const LogQuery& q : cases) before.push_back(count(q));
  EXPECT_EQ(before, (std::vector<std::size_t>{10, 10, 10, 5, 7, 0}));
  // Half indexed: the answer spans the mark.
  ASSERT_EQ(*store->IndexPending(500), 500);
  EXPECT_EQ(*store->Unindexed(), 500);
  for (std::size_t i = 0; i < std::size(cases); ++i) EXPECT_EQ(count(cases[i]), before[i]) << i;
  Result<LogPage> newest = store->Search({"", 0, "Boom", 0, 3});
  ASSERT_EQ(newest->lines.size(), 3u);
  EXPECT_EQ(newest->lines.back().record.text, "req 907 Boom");
  Result<LogPage> oldest = store->Search({"", 0, "Boom", 1, 6});
  ASSERT_EQ(oldest->lines.size(), 6u);
  EXPECT_EQ(oldest->lines.back().record.text, "req 507 Boom");  // the first one past the mark
  // Pruning the indexed part and part of the tail leaves both consistent.
  ASSERT_EQ(*store->Prune({1, 0}, 700), 699);  // keep t >= 699
  EXPECT_EQ(count({"", 0, "Boom", 0, 100}), 3u);
  ASSERT_EQ(*store->IndexPending(SqliteLogStore::kIndexBatch), 301);  // t 699..999
  EXPECT_EQ(*store->Unindexed(), 0);
  EXPECT_EQ(count({"", 0, "Boom", 0, 100}), 3u);
  EXPECT_EQ(count({"i2", 0, "Boom", 0, 100}), 3u);
}

// A logs.db of the first layout (labels as text on each line) is migrated
// when opened: every line keeps its seq, labels and key; cursors stay.
TEST_F(LogStoreTest, AStoreOfTheFirstLayoutIsMigrated) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(File("logs.db").c_str(), &db), SQLITE_OK);
    const char* v1 = R"sql(
PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;
CREATE TABLE logs(seq INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, grp TEXT NOT NULL, instance TEXT NOT NULL,
  pool TEXT NOT NULL, release TEXT NOT NULL, stream TEXT NOT NULL, source TEXT NOT NULL, off INTEGER NOT NULL, msg TEXT NOT NULL);
CREATE UNIQUE INDEX logs_key ON logs(source, off);
CREATE INDEX logs_grp ON logs(grp);
CREATE INDEX logs_instance ON logs(instance);
CREATE VIRTUAL TABLE logs_fts USING fts5(msg, content='logs', content_rowid='seq', tokenize='trigram', detail=none, columnsize=0);
CREATE TABLE log_cursors(source TEXT PRIMARY KEY, file_id TEXT NOT NULL, position INTEGER NOT NULL, base INTEGER NOT NULL);
INSERT INTO logs VALUES(1, 10, 'web', 'i1', 'spot-a', '3', 'stdout', 'i1/stdout', 0, 'alpha one');
INSERT INTO logs VALUES(2, 11, 'web', 'i2', 'od', '', 'stderr', 'i2/stderr', 0, 'beta two');
INSERT INTO logs VALUES(3, 12, 'api', 'i3', 'spot-b', '4', 'stdout', 'i3/stdout', 0, 'alpha three');
INSERT INTO logs VALUES(4, 13, 'web', 'i1', 'spot-a', '3', 'stdout', 'i1/stdout', 10, 'gamma four');
INSERT INTO logs_fts(rowid, msg) SELECT seq, msg FROM logs;
INSERT INTO logs_fts(logs_fts, rowid, msg) VALUES('delete', 4, 'gamma four');
DELETE FROM logs WHERE seq = 4;
INSERT INTO log_cursors VALUES('i1/stdout', '1:2', 10, 0);
)sql";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
  }
  auto store = Open();
  EXPECT_EQ(*store->Count(), 3);
  EXPECT_EQ(*store->Unindexed(), 0);  // indexed again on open
  Result<LogPage> alpha = store->Search({"", 0, "alpha", 0, 10});
  ASSERT_TRUE(alpha.ok()) << alpha.status().message();
  ASSERT_EQ(alpha->lines.size(), 2u);
  EXPECT_EQ(alpha->lines[0].seq, 1);
  EXPECT_EQ(alpha->lines[1].seq, 3);
  const LogRecord& r = alpha->lines[1].record;
  EXPECT_EQ(r.group + r.instance + r.pool + r.release + r.stream + r.source, "apii3spot-b4stdouti3/stdout");
  EXPECT_EQ(r.time_us, 12);
  EXPECT_EQ(store->Search({"web", 0, "", 0, 10})->lines.size(), 2u);
  EXPECT_EQ(store->Search({"i2", 0, "two", 0, 10})->lines.size(), 1u);
  Result<std::optional<LogCursor>> cur = store->Cursor("i1/stdout");
  ASSERT_TRUE(cur.ok() && cur->has_value());
  EXPECT_EQ((*cur)->position, 10);
  // The dedup key survives, and seq goes on after the highest ever given (4).
  EXPECT_EQ(*store->Append({Line("i1", 0, "alpha one")}, {}), 0);
  ASSERT_EQ(*store->Append({Line("i1", 20, "delta five")}, {}), 1);
  EXPECT_GT(store->Search({"", 0, "delta", 0, 10})->lines.at(0).seq, 4);
  // Opening it again finds the new layout and changes nothing.
  store.reset();
  store = Open();
  EXPECT_EQ(*store->Count(), 4);
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

TEST_F(LogStoreTest, CollectorShipsLinesOnceThroughRereadsTruncationAndLongLines) {
  auto store = Open();
  LogCollectorOptions o;
  o.max_line = 10;
  const LogLabels labels{"web", "00000000000000a3", "spot-a", "3"};
  const std::string path = File("stdout.log");
  Write(path, "one\ntwo\nhalf");
  {
    LogCollector c(store.get(), o);
    Result<CollectStats> s = c.CollectFile(path, "stdout", labels, false, 1);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(s->stored, 2);  // "half" waits for its newline
  }
  Write(path, "-done\n0123456789abcdefghijXY\n");
  {
    LogCollector c(store.get(), o);  // a restarted daemon: the cursor comes from the store
    ASSERT_TRUE(c.CollectFile(path, "stdout", labels, false, 2).ok());
  }
  Result<LogPage> all = store->Search({"", 0, "", 0, 100});
  std::vector<std::string> texts;
  for (const StoredLog& l : all->lines) texts.push_back(l.record.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "half-done", "0123456789", "abcdefghij", "XY"}));
  EXPECT_EQ(all->lines[2].record.offset, 8);
  EXPECT_EQ(all->lines[2].record.release, "3");
  // Truncated by someone else: read from the start, offsets go on.
  ::truncate(path.c_str(), 0);
  Write(path, "after\n");
  LogCollector c(store.get(), o);
  ASSERT_TRUE(c.CollectFile(path, "stdout", labels, false, 3).ok());
  Result<LogPage> last = store->Search({"", 0, "after", 0, 10});
  ASSERT_EQ(last->lines.size(), 1u);
  EXPECT_GT(last->lines[0].record.offset, all->lines.back().record.offset);
  // Read again from nothing (a lost cursor): nothing is stored twice.
  ASSERT_TRUE(store->Append({}, {LogCursor{"00000000000000a3/stdout", "", 0, 0}}).ok());
  LogCollector again(store.get(), o);
  Result<CollectStats> re = again.CollectFile(path, "stdout", labels, false, 4);
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->read, 1);
  EXPECT_EQ(*store->Count(), 7);
}

TEST_F(LogStoreTest, ShippedBytesAreFreedAndEndedFilesDeleted) {
  auto store = Open();
  LogCollectorOptions o;
  o.punch_every = 4096;
  o.ended_grace = 0;
  const std::string path = File("stderr.log");
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + "\n";
  Write(path, big);
  LogCollector c(store.get(), o);
  ASSERT_TRUE(c.CollectFile(path, "stderr", {"web", "i9", "p", ""}, false, 1).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(big.size()));       // offsets keep counting
  EXPECT_LT(st.st_blocks * 512, static_cast<blkcnt_t>(big.size() / 2));  // the shipped bytes are freed
  EXPECT_EQ(*store->Count(), 20000);
  Write(path, "last words");  // no newline: shipped because the instance ended
  ASSERT_TRUE(c.CollectFile(path, "stderr", {"web", "i9", "p", ""}, true, 4'000'000'000'000'000).ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(store->Search({"", 0, "last words", 0, 10})->lines.size(), 1u);
}

// An instance's syslog.log (what its syslog relay wrote) is shipped like its
// stdout and stderr, as stream "syslog", and keeps the sender's severity.
TEST_F(LogStoreTest, APassShipsEachInstancesSyslogWithItsLabelsAndSeverity) {
  auto store = Open();
  InstanceRecord rec;
  rec.id = InstanceId::FromCounter(0xa3);
  rec.group = "web";
  rec.pool = "spot-a";
  rec.version = 3;
  const fs::path instance = dir_ / "instances" / InstanceDirName(rec.id);
  fs::create_directories(instance);
  ASSERT_TRUE(WriteRecord(instance.string(), rec).ok());
  Write((instance / "stdout.log").string(), "to stdout\n");
  Write((instance / "syslog.log").string(), "<11>app[7]: disk almost full\nno priority here\n");
  LogCollectorOptions o;
  o.instances_dir = (dir_ / "instances").string();
  LogCollector c(store.get(), o);
  Result<CollectStats> s = c.Pass(1);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->stored, 3);
  Result<LogPage> page = store->Search({"", 0, "", 0, 10});
  ASSERT_TRUE(page.ok());
  std::map<std::string, LogRecord> by_text;
  for (const StoredLog& l : page->lines) by_text[l.record.text] = l.record;
  ASSERT_EQ(by_text.count("<11>app[7]: disk almost full"), 1u);
  const LogRecord& syslog = by_text["<11>app[7]: disk almost full"];
  EXPECT_EQ(syslog.stream, "syslog");
  EXPECT_EQ(syslog.source, rec.id.str() + "/syslog");
  EXPECT_EQ(syslog.group, "web");
  EXPECT_EQ(syslog.instance, rec.id.str());
  EXPECT_EQ(syslog.pool, "spot-a");
  EXPECT_EQ(syslog.release, "3");
  EXPECT_EQ(SyslogOf(syslog).severity, 3);                                 // the sender's "<11>": user.err
  EXPECT_EQ(SyslogOf(by_text["no priority here"]).severity, 6);            // none given: informational
  EXPECT_EQ(by_text["to stdout"].stream, "stdout");
}

// A collector killed (SIGKILL) while it ingests: what it committed stays,
// and the next one stores the rest, each line exactly once.
TEST_F(LogStoreTest, KilledMidIngestLosesAndDoublesNothing) {
  const std::string path = File("stdout.log");
  constexpr int kLines = 200000;
  {
    std::string text;
    for (int i = 0; i < kLines; ++i) text += "line " + std::to_string(i) + "\n";
    Write(path, text);
  }
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    Result<std::unique_ptr<SqliteLogStore>> s = SqliteLogStore::Open(File("logs.db"));
    if (!s.ok()) ::_exit(2);
    // A store that reports each committed batch, so the parent kills mid-way.
    struct Signalling final : LogStore {
      LogStore* inner;
      int fd;
      Result<std::int64_t> Append(const std::vector<LogRecord>& l, const std::vector<LogCursor>& c) override {
        Result<std::int64_t> r = inner->Append(l, c);
        if (::write(fd, "b", 1) != 1) ::_exit(3);
        return r;
      }
      Result<std::optional<LogCursor>> Cursor(const std::string& s) override { return inner->Cursor(s); }
      Result<LogPage> Search(const LogQuery& q) override { return inner->Search(q); }
      Result<std::int64_t> Prune(const LogRetention& r, std::int64_t n) override { return inner->Prune(r, n); }
    } sig;
    sig.inner = s->get();
    sig.fd = ready[1];
    LogCollectorOptions o;
    o.batch_lines = 1000;
    LogCollector c(&sig, o);
    (void)c.CollectFile(path, "stdout", {"web", "i1", "p", ""}, false, 1);
    ::_exit(0);
  }
  ::close(ready[1]);
  char b = 0;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::read(ready[0], &b, 1), 1);  // three batches committed
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto store = Open();
  const std::int64_t before = *store->Count();
  EXPECT_GE(before, 3000);
  EXPECT_LT(before, kLines);
  LogCollector c(store.get(), LogCollectorOptions{});
  ASSERT_TRUE(c.CollectFile(path, "stdout", {"web", "i1", "p", ""}, false, 2).ok());
  // And once more from offset 0, as after a lost cursor: nothing new.
  ASSERT_TRUE(store->Append({}, {LogCursor{"i1/stdout", "", 0, 0}}).ok());
  LogCollector again(store.get(), LogCollectorOptions{});
  Result<CollectStats> re = again.CollectFile(path, "stdout", {"web", "i1", "p", ""}, false, 3);
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->stored, 0);
  EXPECT_EQ(*store->Count(), kLines);
  Result<LogPage> tail = store->Search({"", 0, "line 199999", 0, 10});
  ASSERT_EQ(tail->lines.size(), 1u);
}

}  // namespace
}  // namespace shoal
