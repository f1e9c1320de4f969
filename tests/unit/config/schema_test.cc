// The schema table (adapters/config/schema.h) is the single source of the
// keys: these tests change every key of it in turn in a config that sets
// every key, and check that the plan (DiffConfigs) reports exactly that key;
// and that each reader accepts exactly the table's keys.
#include "adapters/config/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "adapters/config/config.h"
#include "adapters/config/config_json.h"

namespace shoal {
namespace {

using config_internal::KeyKind;
using config_internal::KeyShape;
using config_internal::MapShape;
using ::testing::HasSubstr;

// Sets every key of the schema at least once (the test below checks that),
// each to a value other than the table's example, and so that each example
// alone keeps the config valid where the key first appears.
constexpr const char* kEveryKey = R"(
tune: {groups.0.min: [0, 2]}
controller:
  inventory_period: 60
  orphan_grace: 60
  activity_retention: 90d
provider:
  type: local
  aws:
    region: us-east-1
    endpoint: http://127.0.0.1:5000
    profile: default
    owner: shoal
    image: ami-0123456789abcdef0
    subnets: [subnet-0aaaaaaaaaaaaaaaa]
    security_groups: [sg-0aaaaaaaaaaaaaaaa]
    instance_profile: shoal-web
    key_name: deploy-key
    tags: {team: ops}
    spot_queue: https://sqs.us-east-1.amazonaws.com/123456789012/other
    agent:
      report_url: http://10.0.0.9:7400
      binary: /opt/shoal/bin/shoal
      binary_url: https://artifacts.example.org/shoal
      binary_sha256: 0000000000000000000000000000000000000000000000000000000000000000
    metrics_delay: 3m
releases:
  store: file:///var/lib/shoal/releases
  env: prod
logs:
  retention: 14d
  max_size: 2GiB
  kafka_brokers: kafka-1.internal:9092,kafka-2.internal:9092
  kafka_topic: shoal-logs
inventory:
  dir: /var/lib/shoal/inventory
  nagios: true
  prometheus: true
  nagios_host_template: generic-host
  nagios_service_template: generic-service
  nagios_check_command: check_tcp!$_HOSTPORT$
groups:
  - name: web
    service: web
    min: 1
    max: 5
    desired: 2
    default_cooldown: 300
    drain_timeout: 30
    capacity:
      on_demand_base: 1
      on_demand_percent_above_base: 50
      on_demand_type: m5.large
      on_demand_weight: 1
      allocation_strategy: lowest-price
      spot_instance_pools: 2
      spot_pools:
        - {name: a, instance_type: m5.large, zone: us-east-1a, weight: 1, bid: 0.1}
        - {name: b, instance_type: m4.large, zone: us-east-1a}
    alarms:
      - name: cpu-spare
        metric: cpu_utilization
        statistic: Average
        period: 60
        evaluation_periods: 3
        datapoints_to_alarm: 2
        comparison: ">="
        threshold: 70
        missing_data: missing
      - {name: cpu-hot, threshold: 80}
      - {name: cpu-high, threshold: 90}
    policies:
      - {name: early, type: predictive, target: 60}
      - {name: out, type: simple, alarm: cpu-hot, adjustment_type: change, adjustment: 1, cooldown: 120}
      - name: steps
        type: step
        alarm: cpu-hot
        adjustment_type: percent
        min_adjustment_magnitude: 2
        steps: [{lower: 0, upper: 10, adjustment: 10}]
        warmup: 60
      - name: track
        type: target-tracking
        metric: cpu_utilization
        target: 50
        disable_scale_in: false
        cooldown: 300
        warmup: 60
        alarm_shape:
          scale_out: {evaluation_periods: 3, datapoints: 2}
          scale_in: {evaluation_periods: 15, datapoints: 10, ratio: 0.9}
      - {name: seasonal, type: predictive, target: 65, lags: [1, 7], horizon: 15m, lag_choice_window: 12h,
         level_window: 1h, level_ratio: 0.5, level_rise: 2, learn_periods: true,
         headroom_quantile: 0.99}
      - {name: periods, type: predictive, target: 70, learn_periods: true, max_period: 1d, repetitions: 3,
         short_period_repetitions: 2, min_correlation: 0.4}
    spot:
      on_notice: replace
      avoid_pool_after_interruption: 30m
      avoid_pool_after_capacity_error: 10m
      fallback_to_on_demand: true
      rebalance_to_spot: true
      rebalance_max_in_flight: 2
      capacity_rebalance: true
    warm_pool: {size: 1, pool: b}
    health_check: {path: /health, interval: 5, rise: 2, fall: 3, grace: 300}
    deploy:
      batch: "2"
      min_healthy: 90%
      batch_timeout: 10m
      analysis: 2m
      max_error_increase: 1
      max_latency_ratio: 1.5
      min_requests: 100
      strategy: blue-green
      keep_old: 5m
    launch:
      provision: [["/bin/true"]]
      command: ["/bin/sleep", "1000"]
      env: {A: "1"}
      cpu_share: 1
      release: "12"
      aws: {user_data: "#!/bin/sh\n", port: 8080, target_group: web-tg}
    listen_port: 18080
  - {name: api-spot, service: api, min: 0, max: 2, listen_port: 18081, spot: {on_notice: bump-group, bump_group: api-od}}
  - {name: api-od, service: api, min: 0, max: 2, listen_port: 18081}
  - {name: web-ondemand, service: api, min: 0, max: 2, listen_port: 18081}
)";

// How to reach a mapping from the root: keys and list indices.
using Step = std::variant<std::string, std::size_t>;

// Where a key of a mapping of the schema first appears in kEveryKey.
struct Occurrence {
  const MapShape* map = nullptr;
  std::vector<Step> steps;     // to the mapping that holds the key
  std::string yaml_path;       // the readers' spelling: "groups[0].capacity"
  std::string plan_path;       // the plan's: "group web.capacity"
  std::string item_list_path;  // the mapping is an item of a named list: that list's plan path
};

std::string Joined(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// An item of a named list in the plan: "group web" for groups, else "<list>.<name>".
std::string ItemPath(const std::string& list_path, const std::string& name) {
  return list_path == "groups" ? "group " + name : list_path + "." + name;
}

class SchemaWalk {
 public:
  // Every key of every mapping reachable from the top, in the document's order.
  void Walk(const YAML::Node& node, const MapShape& map, const Occurrence& here) {
    if (!first_map_.count(&map)) first_map_[&map] = here;
    for (const KeyShape& key : map.keys) {
      const YAML::Node value = node[std::string(key.name)];
      if (!value.IsDefined()) continue;
      const std::string id = std::string(map.name) + "." + std::string(key.name);
      if (!first_key_.count(id)) first_key_[id] = here;
      if (key.kind == KeyKind::kValue) continue;
      const std::string yaml_path = Joined(here.yaml_path, key.name);
      const std::string plan_path = Joined(here.plan_path, key.name);
      if (key.kind == KeyKind::kSection) {
        Occurrence inner{key.nested, Plus(here.steps, std::string(key.name)), yaml_path, plan_path, ""};
        Walk(value, *key.nested, inner);
        continue;
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        Occurrence item{key.nested, Plus(Plus(here.steps, std::string(key.name)), i),
                        yaml_path + "[" + std::to_string(i) + "]", "", ""};
        if (key.kind == KeyKind::kNamedList) {
          EXPECT_TRUE(value[i]["name"].IsDefined()) << "give every item of " << yaml_path << " a name";
          item.item_list_path = plan_path;
          item.plan_path = ItemPath(plan_path, value[i]["name"].as<std::string>(""));
        } else {
          item.plan_path = plan_path + "[" + std::to_string(i) + "]";
        }
        Walk(value[i], *key.nested, item);
      }
    }
  }

  const Occurrence* FirstOf(const MapShape& map, const KeyShape& key) const {
    auto it = first_key_.find(std::string(map.name) + "." + std::string(key.name));
    return it == first_key_.end() ? nullptr : &it->second;
  }
  const std::map<const MapShape*, Occurrence>& maps() const { return first_map_; }

 private:
  template <typename T>
  static std::vector<Step> Plus(std::vector<Step> steps, T step) {
    steps.emplace_back(std::move(step));
    return steps;
  }

  std::map<const MapShape*, Occurrence> first_map_;
  std::map<std::string, Occurrence> first_key_;
};

// Every mapping of the schema, from the top down.
void AllMaps(const MapShape& map, std::vector<const MapShape*>* out) {
  for (const MapShape* m : *out) {
    if (m == &map) return;
  }
  out->push_back(&map);
  for (const KeyShape& key : map.keys) {
    if (key.nested != nullptr) AllMaps(*key.nested, out);
  }
}

std::vector<const MapShape*> AllMaps() {
  std::vector<const MapShape*> maps;
  AllMaps(config_internal::TopMap().shape(), &maps);
  return maps;
}

YAML::Node MappingAt(YAML::Node root, const std::vector<Step>& steps) {
  YAML::Node node = root;
  for (const Step& s : steps) {
    // reset() rebinds; operator= would overwrite the node's contents.
    if (std::holds_alternative<std::string>(s)) {
      node.reset(node[std::get<std::string>(s)]);
    } else {
      node.reset(node[std::get<std::size_t>(s)]);
    }
  }
  return node;
}

Config Parse(const std::string& yaml) {
  Result<Config> r = ParseConfig(yaml, "every-key.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message() << "\n" << yaml;
  return r.ok() ? std::move(r).value() : Config{};
}

// kEveryKey with `edit` applied to a fresh copy.
std::string Edited(const std::function<void(YAML::Node)>& edit) {
  YAML::Node root = YAML::Load(kEveryKey);
  edit(root);
  return YAML::Dump(root);
}

SchemaWalk WalkEveryKey() {
  SchemaWalk walk;
  walk.Walk(YAML::Load(kEveryKey), config_internal::TopMap().shape(), Occurrence{});
  return walk;
}

TEST(ConfigSchemaTest, TheBaseConfigSetsEveryKeyOfTheSchemaAndParses) {
  const SchemaWalk walk = WalkEveryKey();
  for (const MapShape* map : AllMaps()) {
    for (const KeyShape& key : map->keys) {
      EXPECT_NE(walk.FirstOf(*map, key), nullptr) << map->name << "." << key.name << " is not set in kEveryKey";
      if (key.kind == KeyKind::kValue) {
        EXPECT_FALSE(key.example.empty()) << map->name << "." << key.name;
      }
    }
  }
  Config base = Parse(kEveryKey);
  EXPECT_TRUE(DiffConfigs(base, base).empty());
}

// Keys that cannot change alone, and what changing them shows.
struct Special {
  std::function<void(YAML::Node)> edit;
  std::function<void(const std::vector<std::string>&)> check;
};

std::map<std::string, Special> Specials() {
  std::map<std::string, Special> s;
  // bump_group is required with bump-group and refused without it.
  s["spot.on_notice"] = {
      [](YAML::Node root) {
        YAML::Node spot = root["groups"][1]["spot"];
        spot["on_notice"] = "replace";
        spot.remove("bump_group");
      },
      [](const std::vector<std::string>& lines) {
        EXPECT_THAT(lines, ::testing::ElementsAre(
                               ::testing::StartsWith("~ group api-spot.spot.on_notice: \"bump-group\" -> \"replace\""),
                               ::testing::StartsWith("~ group api-spot.spot.bump_group: \"api-od\" -> \"\"")));
      }};
  // A policy's type decides its other keys: they come and go with it.
  s["policy.type"] = {
      [](YAML::Node root) { root["groups"][0]["policies"][0]["type"] = "target-tracking"; },
      [](const std::vector<std::string>& lines) {
        EXPECT_THAT(lines, ::testing::Contains(::testing::StartsWith(
                               "~ group web.policies.early.type: \"predictive\" -> \"target-tracking\"")));
        EXPECT_THAT(lines, ::testing::Contains("- group web.policies.early.lags"));
        EXPECT_THAT(lines, ::testing::Contains(::testing::StartsWith("+ group web.policies.early.metric = ")));
        for (const std::string& l : lines) EXPECT_THAT(l, HasSubstr(" group web.policies.early."));
      }};
  return s;
}

// The heart of it: every key, changed alone, is what the plan reports.
TEST(ConfigSchemaTest, ChangingEachKeyAloneIsReportedByPlanAsExactlyThatKey) {
  const SchemaWalk walk = WalkEveryKey();
  const Config base = Parse(kEveryKey);
  const std::map<std::string, Special> specials = Specials();
  int values = 0;
  int checked = 0;
  for (const MapShape* map : AllMaps()) {
    for (const KeyShape& key : map->keys) {
      if (key.kind != KeyKind::kValue) continue;  // sections and lists: their keys are changed
      ++values;
      const Occurrence* at = walk.FirstOf(*map, key);
      if (at == nullptr) continue;  // reported by the test above
      const std::string id = std::string(map->name) + "." + std::string(key.name);
      SCOPED_TRACE(id + " at " + at->yaml_path + " -> " + std::string(key.example));
      ++checked;
      if (auto special = specials.find(id); special != specials.end()) {
        special->second.check(DiffConfigs(base, Parse(Edited(special->second.edit))));
        continue;
      }
      const std::string yaml = Edited([&](YAML::Node root) {
        MappingAt(root, at->steps)[std::string(key.name)] = YAML::Load(std::string(key.example));
      });
      const std::vector<std::string> lines = DiffConfigs(base, Parse(yaml));
      if (key.name == "name" && !at->item_list_path.empty()) {
        // A new name is another item: the old one goes, the new one comes.
        const std::string old_name = MappingAt(YAML::Load(kEveryKey), at->steps)["name"].as<std::string>();
        ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
        EXPECT_THAT(lines[0], ::testing::StartsWith("- " + ItemPath(at->item_list_path, old_name)));
        EXPECT_THAT(lines[1], ::testing::StartsWith("+ " + ItemPath(at->item_list_path, std::string(key.example)) + " "));
        continue;
      }
      ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
      EXPECT_THAT(lines[0], ::testing::StartsWith("~ " + Joined(at->plan_path, key.name) + ": "));
    }
  }
  EXPECT_EQ(checked, values);
  EXPECT_GE(values, 68) << "every value key of the schema as written today";
}

// The readers take their keys from the table: a key that is not in it is
// refused, and the keys the message allows are the table's, in each mapping.
TEST(ConfigSchemaTest, EachReaderAcceptsExactlyTheKeysOfTheTable) {
  const SchemaWalk walk = WalkEveryKey();
  for (const MapShape* map : AllMaps()) {
    auto at = walk.maps().find(map);
    ASSERT_NE(at, walk.maps().end()) << map->name << " does not appear in kEveryKey";
    SCOPED_TRACE(std::string(map->name) + " at " + at->second.yaml_path);
    const std::string yaml =
        Edited([&](YAML::Node root) { MappingAt(root, at->second.steps)["zz_not_a_key"] = 1; });
    Result<Config> r = ParseConfig(yaml, "every-key.yaml");
    ASSERT_FALSE(r.ok());
    std::string allowed;
    for (std::string_view k : config_internal::KeyNames(*map)) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
    EXPECT_THAT(r.status().message(),
                ::testing::EndsWith(Joined(at->second.yaml_path, "zz_not_a_key") + ": unknown key; allowed: " + allowed));
  }
}

// A policy takes the keys the table gives its type, and no other.
TEST(ConfigSchemaTest, APolicyRefusesTheKeysOfOtherTypesAsTheTableSays) {
  const std::map<std::string, std::string> own = {
      {"simple", "alarm, adjustment_type, adjustment, min_adjustment_magnitude, cooldown"},
      {"step", "alarm, adjustment_type, min_adjustment_magnitude, steps, warmup"},
      {"target-tracking", "cooldown, warmup, metric, target, disable_scale_in, alarm_shape"},
      {"predictive", "target, lags, horizon"},
  };
  for (const auto& [type, keys] : own) {
    Result<Config> r = ParseConfig(
        "groups:\n  - name: web\n    min: 1\n    max: 2\n    policies:\n      - {name: p, type: " + type +
            (type == "predictive" ? ", disable_scale_in: true}\n" : ", lags: [1]}\n"),
        "p.yaml");
    ASSERT_FALSE(r.ok()) << type;
    EXPECT_THAT(r.status().message(), HasSubstr("not used by a " + type + " policy; it takes: " + keys)) << type;
  }
}

// ---------------------------------------------------------------- the plan's lines

constexpr const char* kSmall = R"(
groups:
  - name: web
    min: 1
    max: 3
    capacity:
      on_demand_percent_above_base: 0
      spot_pools:
        - {instance_type: m5.large, zone: us-east-1a}
        - {instance_type: m5.large, zone: us-east-1b}
    alarms:
      - {name: hot, threshold: 80}
      - {name: cold, threshold: 20, comparison: "<"}
    policies:
      - {name: out, alarm: hot, adjustment: 1}
      - {name: in, alarm: cold, adjustment: -1}
      - {name: surge, type: step, alarm: hot, steps: [{lower: 0, adjustment: 2}]}
)";

std::vector<std::string> Plan(const std::string& from, const std::string& to) {
  return DiffConfigs(Parse(from), Parse(to));
}

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ConfigPlanTest, KeepsTheLineFormatsOfValuesAndGroups) {
  EXPECT_THAT(Plan(kSmall, Replaced(kSmall, "max: 3", "max: 6")), ::testing::ElementsAre("~ group web.max: 3 -> 6"));
  const std::string two = std::string(kSmall) + "  - {name: api, min: 0, max: 1}\n";
  EXPECT_THAT(Plan(kSmall, two), ::testing::ElementsAre("+ group api (min 0, max 1)"));
  EXPECT_THAT(Plan(two, kSmall), ::testing::ElementsAre("- group api (its instances will be terminated)"));
}

TEST(ConfigPlanTest, ReorderedPoolsAlarmsAndPoliciesAreNoChange) {
  std::string reordered = Replaced(kSmall, "        - {instance_type: m5.large, zone: us-east-1a}\n", "");
  reordered = Replaced(reordered, "zone: us-east-1b}\n", "zone: us-east-1b}\n        - {instance_type: m5.large, zone: us-east-1a}\n");
  reordered = Replaced(reordered, "      - {name: hot, threshold: 80}\n", "");
  reordered = Replaced(reordered, "\"<\"}\n", "\"<\"}\n      - {name: hot, threshold: 80}\n");
  reordered = Replaced(reordered, "      - {name: out, alarm: hot, adjustment: 1}\n", "");
  reordered += "      - {name: out, alarm: hot, adjustment: 1}\n";
  EXPECT_TRUE(Plan(kSmall, reordered).empty()) << ::testing::PrintToString(Plan(kSmall, reordered));
}

TEST(ConfigPlanTest, ItemsOfNamedListsAreAddedRemovedAndChangedByName) {
  const std::string fewer = Replaced(kSmall, "      - {name: in, alarm: cold, adjustment: -1}\n", "");
  EXPECT_THAT(Plan(kSmall, fewer), ::testing::ElementsAre("- group web.policies.in"));
  EXPECT_THAT(Plan(fewer, kSmall),
              ::testing::ElementsAre(::testing::StartsWith("+ group web.policies.in = {\"name\":\"in\"")));
  EXPECT_THAT(Plan(kSmall, Replaced(kSmall, "threshold: 20", "threshold: 25")),
              ::testing::ElementsAre("~ group web.alarms.cold.threshold: 20.0 -> 25.0"));
  EXPECT_THAT(Plan(kSmall, Replaced(kSmall, "zone: us-east-1b}", "zone: us-east-1b, weight: 2}")),
              ::testing::ElementsAre("~ group web.capacity.spot_pools.m5.large/us-east-1b.weight: 1.0 -> 2.0"));
}

TEST(ConfigPlanTest, StepsAreComparedByPositionAndWholeWhenTheirCountChanges) {
  EXPECT_THAT(Plan(kSmall, Replaced(kSmall, "adjustment: 2}", "adjustment: 3}")),
              ::testing::ElementsAre("~ group web.policies.surge.steps[0].adjustment: 2.0 -> 3.0"));
  const std::string two_steps =
      Replaced(kSmall, "{lower: 0, adjustment: 2}", "{lower: 0, upper: 10, adjustment: 2}, {lower: 10, adjustment: 4}");
  EXPECT_THAT(Plan(kSmall, two_steps),
              ::testing::ElementsAre(::testing::StartsWith("~ group web.policies.surge.steps: [")));
}

TEST(ConfigPlanTest, KeysWhoseApplyIsNotWhatTheLineSuggestsCarryANote) {
  EXPECT_THAT(Plan(kSmall, Replaced(kSmall, "max: 3", "max: 3\n    desired: 2")),
              ::testing::ElementsAre("~ group web.desired: 1 -> 2 (the capacity at start: apply keeps the running "
                                     "desired; `shoal scale` sets it)"));
  EXPECT_THAT(Plan(kSmall, Replaced(kSmall, "max: 3", "max: 3\n    launch: {cpu_share: 2}")),
              ::testing::ElementsAre(::testing::EndsWith("(instances launched from now on; running ones keep theirs)")));
}

TEST(ConfigPlanTest, TheControllerSectionIsComparedAndItsDefaultsEqualLeavingItOut) {
  const std::string defaults =
      std::string(kSmall) + "controller: {inventory_period: 1m, orphan_grace: 60, activity_retention: 90d}\n";
  EXPECT_TRUE(Plan(kSmall, defaults).empty()) << ::testing::PrintToString(Plan(kSmall, defaults));
  EXPECT_THAT(Plan(kSmall, std::string(kSmall) + "controller: {inventory_period: 30s}\n"),
              ::testing::ElementsAre("~ controller.inventory_period: 60 -> 30"));
}

}  // namespace
}  // namespace shoal
