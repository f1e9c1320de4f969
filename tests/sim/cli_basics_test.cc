// The CLI as people expect it: --version / version, a bare `shoal` prints the
// help, `down` takes --api, the plot marks whole days or dates.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "run_shoal.h"

namespace shoal::testing {
namespace {

TEST(CliBasics, VersionPrintsTheReleaseAndCommit) {
  const auto flag = RunShoal({"--version"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_TRUE(std::regex_search(flag.out, std::regex(R"(^shoal \d+\.\d+\.\d+ \(commit ([0-9a-f]{4,}|unknown)\))")))
      << flag.out;
  const auto command = RunShoal({"version"});
  ASSERT_EQ(command.exit_code, 0) << command.err;
  EXPECT_EQ(command.out, flag.out);
}

TEST(CliBasics, BareShoalPrintsTheHelpAndSucceeds) {
  const auto r = RunShoal({});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("serve"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("simulate"), std::string::npos);
  EXPECT_NE(r.out.find("--version"), std::string::npos);
  EXPECT_EQ(r.err, "");
}

TEST(CliBasics, DownTakesApiLikeEveryCommand) {
  const auto help = RunShoal({"down", "--help"});
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--api"), std::string::npos) << help.out;
  // Nothing answers there: what the data dir's last run left is taken down.
  const std::string dir = std::filesystem::path(WriteTemp("down-a.keep", "")).parent_path() / "down-a";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/api-token") << "0123456789abcdef0123456789abcdef\n";
  const auto down = RunShoal({"down", "--data-dir", dir, "--api", "http://127.0.0.1:1"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("no daemon answers at http://127.0.0.1:1"), std::string::npos) << down.out;
}

TEST(CliBasics, DownRefusesWhenTheDaemonAtApiIsAnotherDataDirs) {
  httplib::Server other;  // a daemon that does not take this data dir's token
  other.Get("/v1/groups", [](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"error":"missing or wrong API token"})", "application/json");
  });
  const int port = other.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { other.listen_after_bind(); });
  const std::string dir = std::filesystem::path(WriteTemp("down-b.keep", "")).parent_path() / "down-b";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/api-token") << "0123456789abcdef0123456789abcdef\n";
  const auto down = RunShoal({"down", "--data-dir", dir, "--api", "http://127.0.0.1:" + std::to_string(port)});
  other.stop();
  serving.join();
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("nothing stopped"), std::string::npos) << down.err;
}

std::string ThreeDayTrace() {
  std::string csv = "minute,requests\n";
  for (int m = 0; m < 3 * 1440; ++m) csv += std::to_string(m) + "," + std::to_string(200 + (m % 1440) / 4) + "\n";
  return csv;
}

TEST(CliBasics, PlotMarksWholeDaysOrDates) {
  const std::string trace = WriteTemp("three_days.csv", ThreeDayTrace());
  const std::string plot = WriteTemp("days.svg", "");
  const auto r = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", trace, "--plot", plot});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string svg = ReadFile(plot);
  for (const char* day : {">day 0<", ">day 1<", ">day 2<", ">day 3<"}) EXPECT_NE(svg.find(day), std::string::npos) << day;
  EXPECT_FALSE(std::regex_search(svg, std::regex(R"(>day \d+\.\d)"))) << "fractional day label";

  const std::string dated = WriteTemp("dates.svg", "");
  const auto d = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", trace, "--plot", dated,
                          "--trace-start", "1995-07-01T04:00:00Z"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const std::string dsvg = ReadFile(dated);
  EXPECT_NE(dsvg.find(">1995-07-02<"), std::string::npos);
  EXPECT_NE(dsvg.find(">1995-07-03<"), std::string::npos);
  const auto bad = RunShoal({"simulate", "--config", "examples/default.yaml", "--trace", trace, "--trace-start", "July"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--trace-start"), std::string::npos);
}

}  // namespace
}  // namespace shoal::testing
