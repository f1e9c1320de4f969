#include "adapters/sqlite/group_state_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sqlite_test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

using nlohmann::json;
using sqlite_testing::ExpectSameState;
using sqlite_testing::RichSpec;
using sqlite_testing::RichState;

std::string Encoded() {
  const GroupSpec spec = RichSpec();
  return EncodeGroupState(spec, RichState(spec));
}

TEST(GroupStateCodecTest, RoundTripKeepsEveryPersistedField) {
  const GroupSpec spec = RichSpec();
  const GroupState saved = RichState(spec);
  Result<GroupState> loaded = DecodeGroupState(EncodeGroupState(spec, saved), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectSameState(saved, *loaded);
}

TEST(GroupStateCodecTest, StateWrittenBeforeAddressesLoadsWithNone) {
  const GroupSpec spec = RichSpec();
  json j = json::parse(EncodeGroupState(spec, RichState(spec)));
  for (json& in : j["instances"]) in.erase("address");
  Result<GroupState> loaded = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  for (const Instance& in : loaded->instances) EXPECT_TRUE(in.address.empty()) << in.id;
}

TEST(GroupStateCodecTest, StateWrittenBeforeRebalanceRecommendationsLoadsNotAtRisk) {
  const GroupSpec spec = RichSpec();
  json j = json::parse(EncodeGroupState(spec, RichState(spec)));
  ASSERT_EQ(j["instances"][1]["rebalance_recommended_at"], 8'000'000'000) << "written when set";
  for (json& in : j["instances"]) in.erase("rebalance_recommended_at");
  Result<GroupState> loaded = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  for (const Instance& in : loaded->instances) EXPECT_FALSE(in.at_risk()) << in.id;
}

// The warm pool: a stopped instance is billed, so a restart must find it
// tracked, stopped, and with its calls where they were.
TEST(GroupStateCodecTest, WarmPoolInstancesAndLaunchesRoundTrip) {
  const GroupSpec spec = RichSpec();
  GroupState saved = RichState(spec);
  saved.instances[0].state = InstanceState::kStopped;
  saved.instances[0].warm = true;
  saved.instances[0].stop_requested = true;
  saved.instances[1].state = InstanceState::kStarting;
  saved.instances[1].warm = true;
  saved.instances[1].start_requested = true;
  saved.instances[2].state = InstanceState::kWarming;
  saved.instances[2].warm = true;
  saved.launches[0].warm = true;
  const std::string text = EncodeGroupState(spec, saved);
  const json j = json::parse(text);
  EXPECT_EQ(j["instances"][0]["state"], "stopped");
  EXPECT_EQ(j["instances"][1]["state"], "starting");
  EXPECT_EQ(j["instances"][2]["state"], "warming");
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->instances.size(), 3u);
  EXPECT_EQ(loaded->instances[0].state, InstanceState::kStopped);
  EXPECT_TRUE(loaded->instances[0].warm);
  EXPECT_TRUE(loaded->instances[0].stop_requested);
  EXPECT_FALSE(loaded->instances[0].start_requested);
  EXPECT_EQ(loaded->instances[1].state, InstanceState::kStarting);
  EXPECT_TRUE(loaded->instances[1].start_requested);
  EXPECT_EQ(loaded->instances[2].state, InstanceState::kWarming);
  EXPECT_TRUE(loaded->launches[0].warm);
}

TEST(GroupStateCodecTest, StateWrittenBeforeWarmPoolsLoadsWithoutOne) {
  const GroupSpec spec = RichSpec();
  const json j = json::parse(Encoded());
  for (const json& in : j["instances"]) {
    EXPECT_FALSE(in.contains("warm")) << "written only when set";
    EXPECT_FALSE(in.contains("stop_requested"));
  }
  Result<GroupState> loaded = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  for (const Instance& in : loaded->instances) EXPECT_FALSE(in.warm);
}

// A forecast's raise is written only while one is under way; a state
// without one (none under way, or written before it existed) has none.
TEST(GroupStateCodecTest, AForecastRaiseIsWrittenOnlyWhileUnderWay) {
  const GroupSpec spec = RichSpec();
  GroupState state = RichState(spec);
  state.forecast_raise = {};
  const json j = json::parse(EncodeGroupState(spec, state));
  EXPECT_FALSE(j.contains("forecast_raise"));
  Result<GroupState> loaded = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->forecast_raise.from, -1);
  EXPECT_EQ(json::parse(Encoded())["forecast_raise"], json::parse(R"({"from": 3, "minute": 70})"));
}

TEST(GroupStateCodecTest, WritesNamesForEveryPartOfTheSpec) {
  const json j = json::parse(Encoded());
  EXPECT_EQ(j["format"], kGroupStateFormat);
  EXPECT_EQ(j["desired"], 7);
  const json& first = j["instances"][0];
  EXPECT_EQ(first["id"], "i-0000000000000010");
  EXPECT_EQ(first["market"], "on-demand");
  EXPECT_TRUE(first["pool"].is_null());
  EXPECT_EQ(first["state"], "in-service");
  EXPECT_TRUE(first["replaces"].is_null());
  EXPECT_EQ(j["instances"][1]["pool"], "m4.large/us-east-1b");
  EXPECT_EQ(j["instances"][1]["replaces"], "i-abcdef0123456789");
  EXPECT_EQ(j["instances"][2]["id"], "i-ffffffffffffffff");
  EXPECT_EQ(j["alarms"], json({{"cpu-high", "ALARM"}, {"cpu-low", "OK"}}));
  EXPECT_EQ(j["policies"]["in"], json({{"tt_high", "ALARM"}, {"tt_low", "INSUFFICIENT_DATA"}, {"tt_last_scale_in", 1234}}));
  EXPECT_EQ(j["pools"]["m4.large/us-east-1b"]["avoid_until"], 4200);
  EXPECT_EQ(j["launches"][0]["token"], "web-41-1");
  EXPECT_EQ(j["launches"][0]["pool"], "m4.large/us-east-1b");
  EXPECT_EQ(j["launches"][0]["last_error"], "unavailable");
  EXPECT_EQ(j["conditions"][0]["code"], "permission-denied");
  EXPECT_FALSE(j.contains("cpu"));  // metric histories live in their own table
}

TEST(GroupStateCodecTest, InstancesComeBackSortedById) {
  json j = json::parse(Encoded());
  std::swap(j["instances"][0], j["instances"][2]);
  Result<GroupState> loaded = DecodeGroupState(j.dump(), RichSpec());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->instances.size(), 3u);
  EXPECT_EQ(loaded->instances[0].id, Id(0x10));
  EXPECT_EQ(loaded->instances[2].id, Id(0xFFFFFFFFFFFFFFFFULL));
  EXPECT_NE(loaded->Find(Id(0x22)), nullptr);
}

// The issue this format fixes: state was restored by position, so a config
// whose pools (or alarms, or policies) were reordered attributed instances
// and states to the wrong ones after a restart.
TEST(GroupStateCodecTest, ReorderedPoolsAlarmsAndPoliciesKeepTheirStateByName) {
  const GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(spec, RichState(spec));
  GroupSpec reordered = spec;
  std::reverse(reordered.capacity.spot_pools.begin(), reordered.capacity.spot_pools.end());
  std::reverse(reordered.alarms.begin(), reordered.alarms.end());
  std::reverse(reordered.policies.begin(), reordered.policies.end());
  Result<GroupState> loaded = DecodeGroupState(text, reordered);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  // Instance 0x22 ran in us-east-1b, now pool 0; 0xff.. in us-east-1a, now pool 1.
  EXPECT_EQ(loaded->Find(Id(0x22))->pool, 0);
  EXPECT_EQ(loaded->Find(Id(0xFFFFFFFFFFFFFFFF))->pool, 1);
  EXPECT_EQ(loaded->launches[0].pool, 0);
  EXPECT_EQ(loaded->pool_avoid_until, (std::vector<Seconds>{4200, 0}));
  EXPECT_EQ(loaded->alarm_states, (std::vector<AlarmState>{AlarmState::kOk, AlarmState::kAlarm}));
  EXPECT_EQ(loaded->tt_high_states, (std::vector<AlarmState>{AlarmState::kAlarm, AlarmState::kOk}));
  EXPECT_EQ(loaded->tt_last_scale_in, (std::vector<Seconds>{1234, kNever}));
}

TEST(GroupStateCodecTest, AnAddedAlarmStartsFreshAndTheOthersAreKept) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(spec, RichState(spec));
  AlarmSpec extra;
  extra.name = "requests-high";
  spec.alarms.insert(spec.alarms.begin(), extra);
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->alarm_states,
            (std::vector<AlarmState>{AlarmState::kInsufficientData, AlarmState::kAlarm, AlarmState::kOk}));
  EXPECT_EQ(loaded->tt_high_states, (std::vector<AlarmState>{AlarmState::kOk, AlarmState::kAlarm}));
  EXPECT_EQ(loaded->desired, 7);
}

TEST(GroupStateCodecTest, ARemovedPolicyIsDroppedAndTheOtherKept) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(spec, RichState(spec));
  spec.policies.erase(spec.policies.begin());  // "out" goes, "in" stays
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->tt_high_states, std::vector<AlarmState>{AlarmState::kAlarm});
  EXPECT_EQ(loaded->tt_last_scale_in, std::vector<Seconds>{1234});
}

TEST(GroupStateCodecTest, ADroppedPoolLeavesItsInstancesAndLaunchesUnattributed) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(spec, RichState(spec));
  spec.capacity.spot_pools.pop_back();  // us-east-1b is gone
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->pool_avoid_until, std::vector<Seconds>{0});
  const Instance* moved = loaded->Find(Id(0x22));
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->market, Market::kSpot);
  EXPECT_EQ(moved->pool, kOnDemandPool);
  EXPECT_EQ(loaded->launches[0].pool, kOnDemandPool);
  EXPECT_EQ(loaded->Find(Id(0xFFFFFFFFFFFFFFFF))->pool, 0);  // still-existing pool kept
}

TEST(GroupStateCodecTest, DesiredIsClampedToTheSpec) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(spec, RichState(spec));  // desired 7
  spec.max = 5;
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->desired, 5);
}

TEST(GroupStateCodecTest, EmptyStateRoundTrips) {
  GroupSpec spec = RichSpec();
  spec.alarms.clear();
  spec.policies.clear();
  spec.capacity.spot_pools.clear();
  const GroupState initial = InitialState(spec);
  Result<GroupState> loaded = DecodeGroupState(EncodeGroupState(spec, initial), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  sqlite_testing::ExpectSameState(initial, *loaded);
}

// A row written before format 2 (by position, pools as indexes) still loads.
TEST(GroupStateCodecTest, FormatOneIsStillReadByPosition) {
  const std::string v1 = R"({"format": 1, "desired": 4,
    "instances": [{"id": "i-0000000000000007", "group": 0, "market": "spot", "pool": 1, "weight": 1.0,
                   "state": "in-service", "launched_at": 5, "state_since": 6, "in_service_at": 7,
                   "notice_deadline": -1, "version": 0, "scale_in_protected": false, "replaces": null,
                   "simple_activity": false, "drained": false}],
    "alarm_states": ["ALARM", "OK"], "tt_high_states": ["OK", "OK"], "tt_low_states": ["OK", "ALARM"],
    "tt_last_scale_in": [-1, 60], "simple_activity_open": false, "simple_activity_started": 0,
    "simple_cooldown": 0, "simple_cooldown_until": 0, "pool_avoid_until": [0, 99],
    "last_evaluated_minute": 3, "replace_causes": []})";
  Result<GroupState> loaded = DecodeGroupState(v1, RichSpec());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->desired, 4);
  ASSERT_EQ(loaded->instances.size(), 1u);
  EXPECT_EQ(loaded->instances[0].pool, 1);
  EXPECT_TRUE(loaded->instances[0].registered);
  EXPECT_EQ(loaded->alarm_states, (std::vector<AlarmState>{AlarmState::kAlarm, AlarmState::kOk}));
  EXPECT_EQ(loaded->pool_avoid_until, (std::vector<Seconds>{0, 99}));
  EXPECT_TRUE(loaded->launches.empty());
}

struct BadCase {
  const char* name;
  std::string raw;     // used as is when not empty
  const char* path;    // else: JSON pointer into a valid encoding to replace
  json value;          // with this (discarded = remove the key)
  const char* expect;  // substring of the message
};

std::string Mutated(const char* pointer, const json& value) {
  json j = json::parse(Encoded());
  const json::json_pointer ptr(pointer);
  if (value.is_discarded()) {
    j[ptr.parent_pointer()].erase(ptr.back());
  } else {
    j[ptr] = value;
  }
  return j.dump();
}

TEST(GroupStateCodecTest, BadInputIsInvalidArgumentNamingTheField) {
  const json removed(json::value_t::discarded);
  const std::vector<BadCase> cases = {
      {"not json", "{\"desired\": ", "", {}, "not valid JSON"},
      {"not an object", "[1, 2]", "", {}, "not a JSON object"},
      {"missing desired", "", "/desired", removed, "desired: missing"},
      {"desired a string", "", "/desired", "7", "desired: not an integer"},
      {"desired fraction", "", "/desired", 7.5, "desired: not an integer"},
      {"unknown format", "", "/format", 3, "format: 3 is not a known format"},
      {"instances not array", "", "/instances", json::object(), "instances: not an array"},
      {"bad state name", "", "/instances/1/state", "sleeping", "instances[1].state: unknown value 'sleeping'"},
      {"bad market", "", "/instances/0/market", "reserved", "instances[0].market: unknown value"},
      {"bad id", "", "/instances/2/id", "i-x/y", "instances[2].id: 'i-x/y' is not an instance id"},
      {"id too long", "", "/instances/2/id", "i-" + std::string(62, '0'), "instances[2].id"},
      {"address port", "", "/instances/0/address/port", 70000, "instances[0].address.port: not in 1..65535"},
      {"address host", "", "/instances/0/address/host", "10.0.0.7\n", "instances[0].address.host: not a host address"},
      {"address not object", "", "/instances/0/address", "10.0.0.7:80", "instances[0].address: not an object"},
      {"id number", "", "/instances/2/id", 17, "instances[2].id: not a string"},
      {"duplicate id", "", "/instances/1/id", "i-0000000000000010", "duplicate id i-0000000000000010"},
      {"missing weight", "", "/instances/0/weight", removed, "instances[0].weight: missing"},
      {"zero weight", "", "/instances/0/weight", 0.0, "instances[0].weight: must be positive"},
      {"pool a number", "", "/instances/1/pool", 1, "instances[1].pool: not a string"},
      {"on-demand in a pool", "", "/instances/0/pool", "m4.large/us-east-1a",
       "instances[0].pool: an on-demand instance"},
      {"replaces bad", "", "/instances/1/replaces", true, "instances[1].replaces: not a string"},
      {"drained not bool", "", "/instances/1/drained", 1, "instances[1].drained: not true or false"},
      {"recommended not int", "", "/instances/1/rebalance_recommended_at", "now",
       "instances[1].rebalance_recommended_at: not an integer"},
      {"recommended negative", "", "/instances/1/rebalance_recommended_at", -2,
       "instances[1].rebalance_recommended_at: negative"},
      {"retry not object", "", "/instances/1/retry", 3, "instances[1].retry: not an object"},
      {"negative attempts", "", "/instances/1/retry/attempts", -1, "instances[1].retry.attempts: negative"},
      {"bad alarm state", "", "/alarms/cpu-low", "WARN", "alarms.cpu-low: unknown value 'WARN'"},
      {"alarms not object", "", "/alarms", json::array(), "alarms: not an object"},
      {"bad avoid time", "", "/pools/m4.large~1us-east-1b/avoid_until", "soon",
       "pools.m4.large/us-east-1b.avoid_until: not an integer"},
      {"policy missing field", "", "/policies/out/tt_low", removed, "policies.out.tt_low: missing"},
      {"huge minute", "", "/last_evaluated_minute", 18446744073709551615ULL, "last_evaluated_minute: out of range"},
      {"version too big", "", "/instances/0/version", 4294967296LL, "instances[0].version: out of range"},
      {"cause not string", "", "/replace_causes/0", 3, "replace_causes[0]: not a string"},
      {"missing cooldown", "", "/simple_cooldown_until", removed, "simple_cooldown_until: missing"},
      {"launch without token", "", "/launches/0/token", "", "launches[0].token: empty"},
      {"launch bad error", "", "/launches/0/last_error", "oops", "launches[0].last_error: unknown value 'oops'"},
      {"condition bad code", "", "/conditions/0/code", 5, "conditions[0].code: not a string"},
      {"missing launch retry", "", "/launch_retry", removed, "launch_retry: missing"},
      {"raise not object", "", "/forecast_raise", 3, "forecast_raise: not an object"},
      {"raise from negative", "", "/forecast_raise/from", -1, "forecast_raise.from: negative"},
      {"raise without minute", "", "/forecast_raise/minute", removed, "forecast_raise.minute: missing"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text = c.raw.empty() ? Mutated(c.path, c.value) : c.raw;
    Result<GroupState> r = DecodeGroupState(text, RichSpec());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("'web'"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

// A deploy resumes after a restart from what was stored: every field of it.
TEST(GroupStateCodecTest, ADeployUnderWayRoundTripsWholeAndOldStateHasNone) {
  const GroupSpec spec = sqlite_testing::RichSpec();
  GroupState saved = sqlite_testing::RichState(spec);
  saved.launches[0].release = "7";
  saved.release_version = 6;
  saved.previous_release_version = 5;
  saved.deploys = 3;
  DeployState d;
  d.id = 3;
  d.request.to_version = 7;
  d.request.ref = "latest";
  d.request.only = InstanceId::FromCounter(0xa3);
  d.request.cause = "shoal deploy";
  d.request.settings.batch_count = 2;
  d.request.settings.min_healthy_percent = 80;
  d.request.settings.analysis = 180;
  d.request.settings.max_error_increase = 0.5;
  d.from_version = 6;
  d.release_before = 6;
  d.phase = DeployPhase::kRollingBack;
  d.started_at = 100;
  d.phase_since = 200;
  d.batches = 2;
  d.batch_started_at = 150;
  d.batch_open = true;
  d.replaced = 4;
  d.analysis_until = 600;
  d.analysis_from_minute = 8;
  d.new_traffic = {7, 1000, 50, 20000};
  d.old_traffic = {6, 900, 1, 15000};
  d.result = "canary analysis of batch 2: worse";
  saved.deploy = d;
  Result<GroupState> loaded = DecodeGroupState(EncodeGroupState(spec, saved), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->launches[0].release, "7");
  EXPECT_EQ(loaded->release_version, 6);
  EXPECT_EQ(loaded->previous_release_version, 5);
  EXPECT_EQ(loaded->deploys, 3);
  ASSERT_TRUE(loaded->deploy);
  const DeployState& l = *loaded->deploy;
  EXPECT_EQ(l.request.to_version, 7);
  EXPECT_EQ(l.request.ref, "latest");
  EXPECT_EQ(l.request.only, d.request.only);
  EXPECT_EQ(l.request.settings.batch_count, 2);
  EXPECT_DOUBLE_EQ(l.request.settings.min_healthy_percent, 80);
  EXPECT_EQ(l.request.settings.analysis, 180);
  EXPECT_DOUBLE_EQ(l.request.settings.max_error_increase, 0.5);
  EXPECT_EQ(l.phase, DeployPhase::kRollingBack);
  EXPECT_EQ(l.batches, 2);
  EXPECT_TRUE(l.batch_open);
  EXPECT_EQ(l.analysis_until, 600);
  EXPECT_EQ(l.analysis_from_minute, 8);
  EXPECT_DOUBLE_EQ(l.new_traffic.errors, 50);
  EXPECT_DOUBLE_EQ(l.old_traffic.response_ms_sum, 15000);
  EXPECT_EQ(l.result, d.result);

  nlohmann::json j = nlohmann::json::parse(EncodeGroupState(spec, sqlite_testing::RichState(spec)));
  EXPECT_FALSE(j.contains("deploy")) << "nothing written for a group that never deployed";
  for (nlohmann::json& p : j["launches"]) p.erase("release");
  Result<GroupState> old = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_FALSE(old->deploy);
  for (const PendingLaunch& p : old->launches) EXPECT_EQ(p.release, spec.launch.release);
}

// A blue/green deploy resumes with its strategy, keep_old, and which
// instances and launches are held (and whether the load balancer knows).
TEST(GroupStateCodecTest, ABlueGreenDeployAndHeldInstancesRoundTrip) {
  const GroupSpec spec = sqlite_testing::RichSpec();
  GroupState saved = sqlite_testing::RichState(spec);
  saved.deploys = 1;
  DeployState d;
  d.id = 1;
  d.request.to_version = 3;
  d.request.settings.strategy = DeployStrategy::kBlueGreen;
  d.request.settings.keep_old = 900;
  d.phase = DeployPhase::kSwitched;
  saved.deploy = d;
  ASSERT_FALSE(saved.instances.empty());
  saved.instances[0].held = true;
  saved.instances[0].serving_synced = false;
  ASSERT_FALSE(saved.launches.empty());
  saved.launches[0].held = true;
  Result<GroupState> loaded = DecodeGroupState(EncodeGroupState(spec, saved), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_TRUE(loaded->deploy);
  EXPECT_EQ(loaded->deploy->request.settings.strategy, DeployStrategy::kBlueGreen);
  EXPECT_EQ(loaded->deploy->request.settings.keep_old, 900);
  EXPECT_EQ(loaded->deploy->phase, DeployPhase::kSwitched);
  EXPECT_TRUE(loaded->instances[0].held);
  EXPECT_FALSE(loaded->instances[0].serving_synced);
  EXPECT_TRUE(loaded->launches[0].held);
  for (std::size_t i = 1; i < loaded->instances.size(); ++i) {
    EXPECT_FALSE(loaded->instances[i].held);
    EXPECT_TRUE(loaded->instances[i].serving_synced);
  }
  // State written before blue/green: rolling, nothing held.
  nlohmann::json j = nlohmann::json::parse(EncodeGroupState(spec, saved));
  j["deploy"]["settings"].erase("strategy");
  j["deploy"]["settings"].erase("keep_old");
  j["deploy"]["phase"] = "rolling";
  for (nlohmann::json& in : j["instances"]) {
    in.erase("held");
    in.erase("serving_synced");
  }
  Result<GroupState> old = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(old->deploy->request.settings.strategy, DeployStrategy::kRolling);
  EXPECT_FALSE(old->instances[0].held);
  EXPECT_TRUE(old->instances[0].serving_synced);
}

TEST(GroupStateCodecTest, ADamagedDeployIsRefusedNamingTheField) {
  const GroupSpec spec = sqlite_testing::RichSpec();
  GroupState saved = sqlite_testing::RichState(spec);
  saved.deploys = 1;
  saved.deploy = DeployState{};
  saved.deploy->request.to_version = 2;
  nlohmann::json j = nlohmann::json::parse(EncodeGroupState(spec, saved));
  j["deploy"]["phase"] = "sideways";
  Result<GroupState> bad = DecodeGroupState(j.dump(), spec);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("deploy.phase"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace shoal
