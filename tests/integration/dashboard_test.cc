// The web dashboard as a person sees it: a real daemon (real instances, real
// HAProxy), Debian's chromium driven headless through chromedriver's
// WebDriver protocol (plain HTTP + JSON on loopback). The page must show
// nothing without the token, refuse a wrong one, and after logging in show
// the same desired / in-service and instance ids as the API. It saves a
// screenshot (build/dashboard.png; docs/dashboard.png is one of these).
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon_fixture.h"
#include "test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using shoal::testing::FreePort;
using shoal::testing::HttpGet;
using shoal::testing::Spawn;
using shoal::testing::WaitUntil;
using namespace std::chrono_literals;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kChromedriver = "/usr/bin/chromedriver";
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";  // W3C WebDriver


// A WebDriver session in headless chromium, through chromedriver.
class Browser {
 public:
  Browser(const std::string& dir) : dir_(dir) {}
  ~Browser() { Quit(); }

  // Starts chromedriver and a session; false (with *why) when it cannot.
  bool Start(std::string* why) {
    port_ = FreePort();
    driver_ = Spawn({kChromedriver, "--port=" + std::to_string(port_)}, dir_ + "/chromedriver.log");
    if (!WaitUntil([&] { return HttpGet(port_, "/status") == 200; }, 20s)) {
      *why = "chromedriver did not answer on port " + std::to_string(port_);
      return false;
    }
    const json args = {"--headless",
                       "--no-sandbox",
                       "--disable-gpu",
                       "--disable-dev-shm-usage",
                       "--disable-quic",
                       "--no-first-run",
                       "--disable-background-networking",
                       "--disable-component-update",
                       "--disable-sync",
                       "--window-size=1400,1500",
                       "--user-data-dir=" + dir_ + "/chromium-profile"};
    const json caps = {
        {"capabilities",
         {{"alwaysMatch", {{"browserName", "chrome"}, {"goog:chromeOptions", {{"binary", kChromium}, {"args", args}}}}}}}};
    const json r = Call("POST", "/session", caps);
    if (!r.contains("sessionId")) {
      *why = "no WebDriver session: " + r.dump();
      return false;
    }
    session_ = r["sessionId"];
    return true;
  }

  void Quit() {
    if (!session_.empty()) Call("DELETE", "/session/" + session_, nullptr);
    session_.clear();
    if (driver_ > 0) {
      kill(driver_, SIGTERM);
      int status = 0;
      waitpid(driver_, &status, 0);
      driver_ = -1;
    }
  }

  void Go(const std::string& url) { Session("POST", "/url", {{"url", url}}); }
  std::string Url() { return Session("GET", "/url", nullptr).get<std::string>(); }

  // The element's id, or "" when there is none.
  std::string Find(const std::string& css) {
    const json v = Session("POST", "/element", {{"using", "css selector"}, {"value", css}});
    return v.is_object() && v.contains(kElementKey) ? v[kElementKey].get<std::string>() : "";
  }
  // The rendered text of the element, as WebDriver defines it: what a
  // person sees ("" for a hidden element).
  std::string Text(const std::string& css) {
    const std::string e = Find(css);
    if (e.empty()) return "";
    const json v = Session("GET", "/element/" + e + "/text", nullptr);
    return v.is_string() ? v.get<std::string>() : "";
  }
  bool Displayed(const std::string& css) {
    const std::string e = Find(css);
    return !e.empty() && Session("GET", "/element/" + e + "/displayed", nullptr) == true;
  }
  void Type(const std::string& css, const std::string& text) {
    const std::string e = Find(css);
    Session("POST", "/element/" + e + "/clear", json::object());
    Session("POST", "/element/" + e + "/value", {{"text", text}});
  }
  void Click(const std::string& css) { Session("POST", "/element/" + Find(css) + "/click", json::object()); }
  json Script(const std::string& script) {
    return Session("POST", "/execute/sync", {{"script", script}, {"args", json::array()}});
  }
  // The visible texts of every element matching `css`.
  std::vector<std::string> Texts(const std::string& css) {
    const json v = Script("return Array.from(document.querySelectorAll(" + json(css).dump() +
                          ")).map(e => e.innerText.trim());");
    return v.is_array() ? v.get<std::vector<std::string>>() : std::vector<std::string>{};
  }
  // The page as a PNG.
  std::string Screenshot() {
    const std::string b64 = Session("GET", "/screenshot", nullptr).get<std::string>();
    std::string png(b64.size() / 4 * 3 + 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(png.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    if (n < 0) return "";
    std::size_t pad = 0;
    while (pad < 2 && pad < b64.size() && b64[b64.size() - 1 - pad] == '=') ++pad;
    png.resize(static_cast<std::size_t>(n) - pad);
    return png;
  }

 private:
  json Session(const std::string& method, const std::string& path, const json& body) {
    const json r = Call(method, "/session/" + session_ + path, body);
    return r;
  }
  // One WebDriver command; its "value".
  json Call(const std::string& method, const std::string& path, const json& body) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60);
    httplib::Result r = method == "GET"      ? c.Get(path)
                        : method == "DELETE" ? c.Delete(path)
                                             : c.Post(path, body.dump(), "application/json");
    if (!r) return json();
    const json j = json::parse(r->body, nullptr, false);
    return j.is_object() && j.contains("value") ? j["value"] : json();
  }

  std::string dir_;
  int port_ = 0;
  pid_t driver_ = -1;
  std::string session_;
};

class DashboardTest : public shoal::testing::DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    if (HasFatalFailure()) return;
    SHOAL_REQUIRE_TOOLS({kChromium, "chromium"}, {kChromedriver, "chromium-driver"});
    // Each instance prints one line the log search can find.
    std::string config = Config(2);
    const std::string provision = "      provision:\n";
    const std::size_t at = config.find(provision);
    ASSERT_NE(at, std::string::npos);
    config.insert(at + provision.size(), "        - [\"/bin/echo\", \"" + std::string(kProbe) + "\"]\n");
    std::ofstream(config_) << config;
  }

  static constexpr const char* kProbe = "dashboard-log-probe";

  // The instance ids the API lists for the group.
  std::set<std::string> ApiInstanceIds() {
    std::set<std::string> ids;
    auto r = Api("GET", "/v1/instances?group=web");
    if (!r || r->status != 200) return ids;
    for (const json& i : json::parse(r->body)) ids.insert(i["id"].get<std::string>());
    return ids;
  }
};

TEST_F(DashboardTest, ShowsNothingWithoutTheTokenAndWhatTheApiSaysWithIt) {
  StartDaemon();
  ASSERT_TRUE(WaitUntil([&] { return InService() == 2; }, 60s)) << Log();

  // The page itself holds no data and needs no token; its headers forbid
  // anything but its own files.
  httplib::Client c("127.0.0.1", api_port_);
  auto page = c.Get("/ui/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(page->body.find("<form id=\"login\""), std::string::npos);
  EXPECT_EQ(page->body.find("<script>"), std::string::npos);  // no inline script
  EXPECT_EQ(HttpGet(api_port_, "/ui/app.js"), 200);
  EXPECT_EQ(HttpGet(api_port_, "/ui/nothing.js"), 404);
  EXPECT_EQ(HttpGet(api_port_, "/v1/groups/web/history"), 401);
  auto history = Api("GET", "/v1/groups/web/history?minutes=5");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->status, 200) << history->body;
  const json h = json::parse(history->body);
  ASSERT_EQ(h["points"].size(), 5u);
  EXPECT_EQ(h["points"][4]["in_service"], 2);
  EXPECT_GT(h["points"][4]["cost_per_hour"].get<double>(), 0);
  auto too_long = Api("GET", "/v1/groups/web/history?minutes=1441");
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->status, 400);

  Browser browser(dir_);
  std::string why;
  ASSERT_TRUE(browser.Start(&why)) << why;
  const std::string url = "http://127.0.0.1:" + std::to_string(api_port_) + "/";
  browser.Go(url);
  ASSERT_TRUE(WaitUntil([&] { return browser.Displayed("#login"); }, 20s));
  EXPECT_EQ(browser.Text("#dashboard"), "");
  const std::set<std::string> ids = ApiInstanceIds();
  ASSERT_EQ(ids.size(), 2u);
  const json page_source = browser.Script("return document.documentElement.outerHTML;");
  for (const std::string& id : ids) EXPECT_EQ(page_source.dump().find(id), std::string::npos) << id;

  // A wrong token: refused, and still nothing shown.
  browser.Type("#token", "not-the-token");
  browser.Click("#login-button");
  ASSERT_TRUE(WaitUntil([&] { return browser.Text("#login-error").find("refused") != std::string::npos; }, 20s))
      << browser.Text("body");
  EXPECT_EQ(browser.Text("#dashboard"), "");
  EXPECT_TRUE(browser.Script("return sessionStorage.length;") == 0);

  // The right one: the page shows what the API says.
  browser.Type("#token", token_);
  browser.Click("#login-button");
  std::string shown;
  const bool same = WaitUntil(
      [&] {
        const json g = Group();
        if (g.is_null()) return false;
        const std::string row = "#groups tr[data-group=web] ";
        std::set<std::string> page_ids;
        for (const std::string& id : browser.Texts("#instances tr[data-id] td.id")) page_ids.insert(id);
        shown = browser.Text(row + "td.desired") + "/" + browser.Text(row + "td.in-service") + " " +
                std::to_string(page_ids.size()) + " instances";
        return browser.Text(row + "td.desired") == std::to_string(g["desired"].get<int>()) &&
               browser.Text(row + "td.in-service") == std::to_string(g["in_service"].get<int>()) &&
               page_ids == ApiInstanceIds();
      },
      30s);
  ASSERT_TRUE(same) << "the page shows " << shown << "\n" << browser.Text("body");
  EXPECT_EQ(browser.Url().find(token_), std::string::npos);  // never in the URL

  // Log search: the page lists what /v1/logs answers, one row per line.
  std::set<std::string> probed;  // instances whose probe line the API has
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto logs = Api("GET", std::string("/v1/logs?grep=") + kProbe);
        probed.clear();
        if (!logs || logs->status != 200) return false;
        const json answer = json::parse(logs->body);
        for (const json& l : answer["lines"]) probed.insert(l["instance"].get<std::string>());
        return probed == ApiInstanceIds();
      },
      30s))
      << "the API's log store never had both probe lines";
  browser.Type("#log-grep", kProbe);
  browser.Type("#log-target", "web");
  browser.Click("#log-search-button");
  ASSERT_TRUE(WaitUntil([&] { return browser.Texts("#logs tr[data-seq]").size() == probed.size(); }, 20s))
      << browser.Text("#log-search");
  std::set<std::string> page_probed;
  for (const std::string& row : browser.Texts("#logs tr[data-seq]")) {
    EXPECT_NE(row.find(kProbe), std::string::npos) << row;
    for (const std::string& id : probed) {
      if (row.find(id) != std::string::npos) page_probed.insert(id);
    }
  }
  EXPECT_EQ(page_probed, probed);
  // A parameter the daemon refuses: its message, and no rows.
  browser.Type("#log-since", "last tuesday");
  browser.Click("#log-search-button");
  ASSERT_TRUE(WaitUntil([&] { return browser.Text("#log-status").find("since") != std::string::npos; }, 20s))
      << browser.Text("#log-search");
  EXPECT_TRUE(browser.Texts("#logs tr[data-seq]").empty());

  // An operator change reaches the page on its next refresh: scale to 3,
  // then interrupt a spot instance (the interruptions panel shows it).
  auto scaled = Api("POST", "/v1/groups/web/scale", R"({"desired": 3})");
  ASSERT_TRUE(scaled);
  ASSERT_EQ(scaled->status, 200) << scaled->body;
  ASSERT_TRUE(WaitUntil([&] { return InService() == 3; }, 60s)) << Log();
  const std::string victim = *ApiInstanceIds().begin();
  auto interrupted = Api("POST", "/v1/spot/interrupt", json{{"instance", victim}}.dump());
  ASSERT_TRUE(interrupted);
  ASSERT_EQ(interrupted->status, 200) << interrupted->body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return browser.Text("#groups tr[data-group=web] td.desired") == "3" &&
               browser.Text("#interruptions").find(victim) != std::string::npos;
      },
      30s))
      << browser.Text("body");
  EXPECT_NE(browser.Text("#activities").find("operator: shoal scale --desired 3"), std::string::npos);
  EXPECT_TRUE(browser.Script("return document.querySelectorAll('#charts svg path[data-series=in-service]').length;") ==
              1);

  const std::string png = browser.Screenshot();
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const char* keep = std::getenv("SHOAL_DASHBOARD_SCREENSHOT");
  std::ofstream(keep != nullptr && *keep != '\0' ? std::string(keep) : std::string(SHOAL_BUILD_DIR) + "/dashboard.png",
                std::ios::binary)
      << png;

  // Logging out leaves nothing behind.
  browser.Click("#logout");
  ASSERT_TRUE(WaitUntil([&] { return browser.Displayed("#login"); }, 10s));
  EXPECT_EQ(browser.Text("#dashboard"), "");
  EXPECT_TRUE(browser.Script("return sessionStorage.length;") == 0);
  EXPECT_EQ(browser.Script("return document.querySelectorAll('#instances tr[data-id]').length;"), 0);
  EXPECT_EQ(browser.Script("return document.querySelectorAll('#logs tr[data-seq]').length;"), 0);
}

}  // namespace
}  // namespace shoal
