// A `shoal serve` daemon whose group boots releases from a local store:
// the fixture's group with `launch.release: latest-stable`, serving from the
// unpacked release folder (the example service is healthy only when the
// release holds its `health` file). Shared by the release and deploy tests.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "daemon_fixture.h"

namespace shoal::testing {

class ReleaseDaemonTest : public DaemonTest {
 protected:
  std::string Store() const { return "file://" + dir_ + "/store"; }

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
};

}  // namespace shoal::testing
