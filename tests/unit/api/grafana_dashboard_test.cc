// deploy/grafana/shoal.json: valid JSON, and every metric it queries is one
// the daemon's /metrics exports.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "api/daemon_metrics.h"

namespace shoal {
namespace {

using nlohmann::json;

// Every series name /metrics can show: the families' names, with a
// histogram's _bucket, _sum and _count.
std::set<std::string> ExportedNames() {
  Config config;
  GroupSpec g;
  g.name = "web";
  g.capacity.spot_pools = {{"m4.large/us-east-1a", "m4.large", "us-east-1a", 1, 0}};
  config.groups.push_back(g);
  std::vector<GroupState> states = {InitialState(g)};
  std::vector<Observation> observations(1);
  DaemonMetrics m;
  FleetFacts f;
  f.config = &config;
  f.states = &states;
  f.observations = &observations;
  std::istringstream text(m.Render(f));
  std::set<std::string> names;
  for (std::string line; std::getline(text, line);) {
    std::istringstream words(line);
    std::string hash, kw, name, type;
    if (!(words >> hash >> kw >> name >> type) || hash != "#" || kw != "TYPE") continue;
    names.insert(name);
    if (type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
    }
  }
  return names;
}

void CollectStrings(const json& j, std::vector<std::string>* out) {
  if (j.is_string()) out->push_back(j.get<std::string>());
  if (j.is_structured()) {
    for (const json& v : j) CollectStrings(v, out);
  }
}

TEST(GrafanaDashboard, ParsesAndQueriesOnlyExportedMetrics) {
  std::ifstream in(std::string(SHOAL_SOURCE_DIR) + "/deploy/grafana/shoal.json");
  ASSERT_TRUE(in) << "deploy/grafana/shoal.json is missing";
  const json dashboard = json::parse(in, nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded()) << "not valid JSON";
  ASSERT_TRUE(dashboard.contains("panels"));
  const std::set<std::string> exported = ExportedNames();
  ASSERT_TRUE(exported.contains("shoal_group_desired_capacity"));
  ASSERT_TRUE(exported.contains("shoal_api_request_duration_seconds_bucket"));
  int queries = 0;
  std::set<std::string> used;
  for (const json& panel : dashboard["panels"]) {
    ASSERT_TRUE(panel.contains("targets")) << panel.value("title", "");
    for (const json& t : panel["targets"]) {
      ASSERT_TRUE(t.contains("expr")) << panel.value("title", "");
      ++queries;
    }
  }
  std::vector<std::string> strings;
  CollectStrings(dashboard, &strings);
  const std::regex metric(R"(\bshoal_[a-z0-9_]+)");
  for (const std::string& s : strings) {
    for (std::sregex_iterator it(s.begin(), s.end(), metric), end; it != end; ++it) {
      used.insert(it->str());
      EXPECT_TRUE(exported.contains(it->str())) << it->str() << " is queried but not exported, in: " << s;
    }
  }
  EXPECT_GE(queries, 10);
  // The headline families are all on the dashboard.
  for (const char* name : {"shoal_group_desired_capacity", "shoal_instances", "shoal_cost_usd_per_hour",
                           "shoal_spot_interruptions_total", "shoal_on_demand_fallbacks_total", "shoal_alarm_state",
                           "shoal_deploy_phase", "shoal_activities_total", "shoal_errors_total",
                           "shoal_reconcile_duration_seconds_bucket", "shoal_api_request_duration_seconds_bucket"}) {
    EXPECT_TRUE(used.contains(name)) << name << " is not on the dashboard";
  }
}

}  // namespace
}  // namespace shoal
