// A `shoal serve` daemon whose group boots releases from a local store:
// the fixture's group with `launch.release: latest-stable`, serving from the
// unpacked release folder (the example service is healthy only when the
// release holds its `health` file). Shared by the release and deploy tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/aws_support.h"
#include "daemon_fixture.h"

namespace shoal::testing {

class ReleaseDaemonTest : public DaemonTest {
 protected:
  std::string Store() const { return "file://" + dir_ + "/store"; }

  // Publishes a release whose folder holds `files` (name -> text).
  void Publish(const std::map<std::string, std::string>& files) {
    const std::string src = dir_ + "/src-" + std::to_string(published_++);
    std::filesystem::create_directories(src, ec_);
    for (const auto& [name, text] : files) std::ofstream(src + "/" + name) << text;
    Run({"release", "publish", "web", "--from", src, "--store", Store()});
  }
  // A release the example service is healthy with.
  void Good() { Publish({{"health", "ok\n"}}); }

  // Runs `shoal ARGS...`; its exit code (stdout in *out), stderr shown on failure.
  int Run(const std::vector<std::string>& args, std::string* out = nullptr) {
    std::vector<std::string> argv = {SHOAL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string o, err;
    const int rc = aws::testing::RunCapture(argv, &o, &err);
    if (out != nullptr) *out = o;
    if (rc != 0) std::cerr << "shoal " << args[0] << " exited " << rc << ": " << err << o << "\n";
    return rc;
  }
  // The daemon's --api and --token, as a command against it takes them.
  std::vector<std::string> ApiArgs() const {
    return {"--api", "http://127.0.0.1:" + std::to_string(api_port_), "--token", token_};
  }
  // `shoal ARGS... --api ... --token ...`.
  int Cli(std::vector<std::string> args, std::string* out = nullptr) {
    const std::vector<std::string> api = ApiArgs();
    args.insert(args.end(), api.begin(), api.end());
    return Run(args, out);
  }

  // The fixture's group at `desired`, booting latest-stable, with an
  // optional `deploy:` mapping (flow style).
  std::string ReleaseConfig(int desired, const std::string& deploy = "") const {
    std::string c = "releases:\n  store: " + Store() + "\n" + Config(desired);
    const std::string dir_arg = "\"--dir\", \"{dir}\"";
    c.replace(c.find(dir_arg), dir_arg.size(), "\"--dir\", \"{release}\"");
    c.replace(c.find("    launch:\n"), 12, "    launch:\n      release: latest-stable\n");
    return c + (deploy.empty() ? "" : "    deploy: " + deploy + "\n");
  }

  // The version of each instance of group web (only those in service when asked).
  std::multiset<int> Versions(bool in_service_only = false) {
    std::multiset<int> v;
    auto r = Api("GET", "/v1/instances?group=web");
    if (!r || r->status != 200) return v;
    for (const nlohmann::json& in : nlohmann::json::parse(r->body)) {
      if (!in_service_only || in["state"] == "in-service") v.insert(in["version"].get<int>());
    }
    return v;
  }

  int published_ = 0;
};

}  // namespace shoal::testing
