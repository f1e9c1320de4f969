// What the daemon's API accepts and answers, end to end against a real
// `shoal serve`: integers out of range and wrong JSON types are 400s naming
// the field, the Bearer scheme is case-insensitive, activities list the
// newest first page and page back, and a corrupt activity row is shown with a
// note instead of breaking the list.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/sqlite/sqlite_state_store.h"
#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::DaemonTest;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

class DaemonApiTest : public DaemonTest {
 protected:
  httplib::Result Raw(const std::string& path, const std::string& authorization) {
    httplib::Client c("127.0.0.1", api_port_);
    c.set_read_timeout(10);
    return c.Get(path.c_str(), {{"Authorization", authorization}});
  }

  // `shoal ARGS... --api URL --data-dir DATA`: its exit code and output.
  std::pair<int, std::string> Shoal(std::vector<std::string> args) {
    args.insert(args.begin(), SHOAL_BINARY);
    for (const std::string& a : {std::string("--api"), "http://127.0.0.1:" + std::to_string(api_port_),
                                 std::string("--data-dir"), dir_ + "/data"}) {
      args.push_back(a);
    }
    const std::string log = dir_ + "/cli.log";
    std::filesystem::remove(log, ec_);
    const pid_t pid = Spawn(args, log);
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(log);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::string(std::istreambuf_iterator<char>(in), {})};
  }

  json Activities(const std::string& query) {
    auto r = Api("GET", "/v1/activities" + query);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << query << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
};

void ExpectBadRequestNaming(const httplib::Result& r, const std::string& field, const std::string& what) {
  ASSERT_TRUE(r) << what;
  EXPECT_EQ(r->status, 400) << what << ": " << r->body;
  EXPECT_NE(r->body.find(field), std::string::npos) << what << ": " << r->body;
}

TEST_F(DaemonApiTest, IntegersOutOfRangeAreRefusedAndChangeNothing) {
  StartDaemon();
  for (const char* desired : {"4294967299", "2147483648", "-1", "18446744073709551616", "3.0"}) {
    ExpectBadRequestNaming(Api("POST", "/v1/groups/web/scale", std::string("{\"desired\": ") + desired + "}"), "desired", desired);
  }
  EXPECT_EQ(Group()["desired"], 2) << "nothing changed";
  ExpectBadRequestNaming(Api("POST", "/v1/spot/shortage", R"({"pool": "m4.large/us-east-1a", "seconds": 9223372036854775808})"),
                         "seconds", "shortage seconds above int64");
  ExpectBadRequestNaming(Api("GET", "/v1/activities?limit=99999999999999999999"), "limit", "limit above int64");
  ExpectBadRequestNaming(Api("GET", "/v1/activities?after=12abc"), "after", "after with trailing text");
}

TEST_F(DaemonApiTest, AWrongJsonTypeIsA400NamingTheFieldNeverA500) {
  StartDaemon();
  const std::string config = json{{"config", Config(2)}, {"source", 5}}.dump();
  ExpectBadRequestNaming(Api("POST", "/v1/plan", config), "source", "plan with a numeric source");
  ExpectBadRequestNaming(Api("POST", "/v1/apply", config), "source", "apply with a numeric source");
  ExpectBadRequestNaming(Api("POST", "/v1/groups/web/scale", R"({"desired": "3"})"), "desired", "desired as a string");
  ExpectBadRequestNaming(Api("POST", "/v1/spot/shortage", R"({"pool": "m4.large/us-east-1a", "seconds": 1.5})"),
                         "seconds", "seconds with a fraction");
  ExpectBadRequestNaming(Api("POST", "/v1/spot/interrupt", R"({"instance": ["i-1"]})"), "instance",
                         "instance as an array");
  ExpectBadRequestNaming(Api("POST", "/v1/agent/events", R"({"instance": 5, "event": "spot-interruption"})"),
                         "instance", "agent event instance as a number");
  ExpectBadRequestNaming(Api("POST", "/v1/agent/events", R"({"instance": "i-1", "event": "spot-interruption", "time": 7})"),
                         "time", "agent event time as a number");
  ExpectBadRequestNaming(Api("POST", "/v1/groups/web/scale", R"({"desried": 3})"), "desried", "a misspelt field");
  EXPECT_EQ(Group()["desired"], 2) << "nothing changed";
}

TEST_F(DaemonApiTest, TheBearerSchemeIsCaseInsensitive) {
  StartDaemon();
  for (const std::string scheme : {"Bearer", "bearer", "BEARER", "bEaReR"}) {
    auto r = Raw("/v1/groups", scheme + " " + token_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << scheme;
  }
  for (const std::string& wrong : {"Basic " + token_, std::string("Bearer"), "Bearer" + token_, "bearer " + token_ + "x"}) {
    auto r = Raw("/v1/groups", wrong);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << wrong;
  }
}

// 150 activities two hours old and 60 from the last ten minutes, written to
// the store before the daemon starts; the daemon adds its own.
TEST_F(DaemonApiTest, ActivitiesShowTheNewestPageBackAndFollow) {
  const std::int64_t now = std::time(nullptr);
  std::filesystem::create_directories(dir_ + "/data", ec_);
  {
    Result<std::unique_ptr<SqliteStateStore>> store = SqliteStateStore::Open(dir_ + "/data/shoal.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    std::vector<Activity> old, recent;
    for (int i = 0; i < 150; ++i) old.push_back({now - 7200 + i, "web", ActivityKind::kSetDesired, "old " + std::to_string(i), 1, 2});
    for (int i = 0; i < 60; ++i) recent.push_back({now - 600 + i, "web", ActivityKind::kSetDesired, "recent " + std::to_string(i), 2, 1});
    ASSERT_TRUE((*store)->AppendActivities(old).ok());
    ASSERT_TRUE((*store)->AppendActivities(recent).ok());
  }
  StartDaemon();
  const json all = Activities("?limit=10000");
  ASSERT_GE(all.size(), 210u);
  const std::int64_t newest = all.back()["seq"];

  const json first = Activities("");
  ASSERT_EQ(first.size(), 100u) << "a page of 100 by default";
  EXPECT_EQ(first.back()["seq"], newest) << "the newest page, not the oldest";
  for (std::size_t i = 1; i < first.size(); ++i) EXPECT_LT(first[i - 1]["seq"], first[i]["seq"]) << "oldest first";

  const json ten = Activities("?limit=10");
  ASSERT_EQ(ten.size(), 10u);
  EXPECT_EQ(ten.back()["seq"], newest);
  const json before = Activities("?limit=10&before=" + std::to_string(ten[0]["seq"].get<std::int64_t>()));
  ASSERT_EQ(before.size(), 10u);
  EXPECT_EQ(before.back()["seq"].get<std::int64_t>(), ten[0]["seq"].get<std::int64_t>() - 1) << "the page before";

  const json since = Activities("?since=" + std::to_string(now - 1800));
  std::size_t recent_rows = 0;
  for (const json& a : since) {
    EXPECT_GE(a["time"].get<std::int64_t>(), now - 1800) << a.dump();
    recent_rows += a["cause"].get<std::string>().rfind("recent", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(recent_rows, 60u);

  const json follow = Activities("?after=" + std::to_string(newest - 3));
  ASSERT_EQ(follow.size(), 3u);
  EXPECT_EQ(follow.back()["seq"], newest);
  ExpectBadRequestNaming(Api("GET", "/v1/activities?after=1&before=5"), "after", "after with before");

  // The CLI: the newest N, oldest to newest on screen.
  const auto [code, out] = Shoal({"get", "activities", "--limit", "5"});
  ASSERT_EQ(code, 0) << out;
  std::istringstream lines(out);
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 6u) << out;  // the header and five rows
  EXPECT_EQ(rows.back().rfind(std::to_string(newest), 0), 0u) << out;
  const auto [since_code, since_out] = Shoal({"get", "activities", "--since", "30m", "--limit", "1000"});
  ASSERT_EQ(since_code, 0) << since_out;
  EXPECT_EQ(since_out.find("old 149"), std::string::npos) << since_out;
  EXPECT_NE(since_out.find("recent 0"), std::string::npos) << since_out;
  const auto [bad_code, bad_out] = Shoal({"get", "activities", "--since", "yesterday"});
  EXPECT_NE(bad_code, 0);
  EXPECT_NE(bad_out.find("--since"), std::string::npos) << bad_out;
}

// An activity row that cannot be read (a kind this version does not know,
// text where a number belongs, bytes that are not UTF-8) neither stops the
// daemon nor breaks the list: it is shown with a note.
TEST_F(DaemonApiTest, ACorruptActivityRowIsListedWithANote) {
  StartDaemon();
  StopDaemon(SIGTERM);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(( dir_ + "/data/shoal.db").c_str(), &db), SQLITE_OK);
  // Recent times: the daemon prunes activities older than its retention.
  const std::string now = std::to_string(std::time(nullptr) - 60);
  const std::string sql =
      "INSERT INTO activity(time, grp, kind, cause, from_units, to_units) VALUES"
      " ('yesterday', 'web', 'teleport', 'from a future version', 1, 2),"
      " (" + now + ", 'web', 'set-desired', CAST(X'6F6B20FF20627574' AS TEXT), 'one', 2),"
      " (" + now + ", 'web', 'set-desired', 'fine', 2, 3);";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  StartDaemon();
  const json rows = Activities("?limit=10000");
  ASSERT_TRUE(rows.is_array()) << rows;
  int unreadable = 0, fine = 0;
  for (const json& a : rows) {
    if (a.contains("unreadable")) {
      ++unreadable;
      EXPECT_TRUE(a["unreadable"].get<std::string>().find("teleport") != std::string::npos ||
                  a["unreadable"].get<std::string>().find("from") != std::string::npos)
          << a.dump();
    }
    if (a.value("cause", "") == "fine") ++fine;
  }
  EXPECT_EQ(unreadable, 2) << rows.dump(1);
  EXPECT_EQ(fine, 1) << rows.dump(1);
  const auto [code, out] = Shoal({"get", "activities"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("unreadable"), std::string::npos) << out;
}

}  // namespace
}  // namespace shoal
