#include "adapters/sqlite/group_state_codec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sqlite_test_util.h"

namespace shoal {
namespace {

using nlohmann::json;
using sqlite_testing::ExpectSameState;
using sqlite_testing::RichSpec;
using sqlite_testing::RichState;

TEST(GroupStateCodecTest, RoundTripKeepsEveryPersistedField) {
  const GroupSpec spec = RichSpec();
  const GroupState saved = RichState(spec);
  Result<GroupState> loaded = DecodeGroupState(EncodeGroupState(saved), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectSameState(saved, *loaded);
}

TEST(GroupStateCodecTest, WritesEnumNamesAndHexIds) {
  const GroupSpec spec = RichSpec();
  const json j = json::parse(EncodeGroupState(RichState(spec)));
  EXPECT_EQ(j["format"], kGroupStateFormat);
  EXPECT_EQ(j["desired"], 7);
  const json& first = j["instances"][0];
  EXPECT_EQ(first["id"], "i-0000000000000010");
  EXPECT_EQ(first["market"], "on-demand");
  EXPECT_EQ(first["state"], "in-service");
  EXPECT_TRUE(first["replaces"].is_null());
  EXPECT_EQ(j["instances"][1]["replaces"], "i-abcdef0123456789");
  EXPECT_EQ(j["instances"][2]["id"], "i-ffffffffffffffff");
  EXPECT_EQ(j["alarm_states"], json({"ALARM", "OK"}));
  EXPECT_EQ(j["tt_low_states"], json({"ALARM", "INSUFFICIENT_DATA"}));
  EXPECT_EQ(j["tt_last_scale_in"], json({-1, 1234}));
  EXPECT_FALSE(j.contains("cpu"));  // histories are not persisted
}

TEST(GroupStateCodecTest, InstancesComeBackSortedById) {
  const GroupSpec spec = RichSpec();
  json j = json::parse(EncodeGroupState(RichState(spec)));
  std::swap(j["instances"][0], j["instances"][2]);
  Result<GroupState> loaded = DecodeGroupState(j.dump(), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->instances.size(), 3u);
  EXPECT_EQ(loaded->instances[0].id, 0x10u);
  EXPECT_EQ(loaded->instances[2].id, 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_NE(loaded->Find(0x22), nullptr);
}

TEST(GroupStateCodecTest, AlarmCountChangedResetsOnlyAlarmStates) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(RichState(spec));
  AlarmSpec extra;
  extra.name = "requests-high";
  spec.alarms.push_back(extra);
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->alarm_states, std::vector<AlarmState>(3, AlarmState::kInsufficientData));
  // Policies did not change, so their vectors are kept by index.
  EXPECT_EQ(loaded->tt_high_states, (std::vector<AlarmState>{AlarmState::kOk, AlarmState::kAlarm}));
  EXPECT_EQ(loaded->tt_last_scale_in, (std::vector<Seconds>{kNever, 1234}));
  EXPECT_EQ(loaded->desired, 7);
}

TEST(GroupStateCodecTest, PolicyCountChangedResetsPolicyVectors) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(RichState(spec));
  spec.policies.pop_back();
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->tt_high_states, std::vector<AlarmState>{AlarmState::kInsufficientData});
  EXPECT_EQ(loaded->tt_low_states, std::vector<AlarmState>{AlarmState::kInsufficientData});
  EXPECT_EQ(loaded->tt_last_scale_in, std::vector<Seconds>{kNever});
  EXPECT_EQ(loaded->alarm_states, (std::vector<AlarmState>{AlarmState::kAlarm, AlarmState::kOk}));
}

TEST(GroupStateCodecTest, DroppedPoolLeavesItsInstancesUnattributed) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(RichState(spec));
  spec.capacity.spot_pools.pop_back();  // pool 1 is gone
  Result<GroupState> loaded = DecodeGroupState(text, spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->pool_avoid_until, std::vector<Seconds>{0});
  const Instance* moved = loaded->Find(0x22);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->market, Market::kSpot);
  EXPECT_EQ(moved->pool, kOnDemandPool);
  EXPECT_EQ(loaded->Find(0xFFFFFFFFFFFFFFFFULL)->pool, 0);  // still-existing pool kept
}

TEST(GroupStateCodecTest, DesiredIsClampedToTheSpec) {
  GroupSpec spec = RichSpec();
  const std::string text = EncodeGroupState(RichState(spec));  // desired 7
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
  Result<GroupState> loaded = DecodeGroupState(EncodeGroupState(initial), spec);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  sqlite_testing::ExpectSameState(initial, *loaded);
}

struct BadCase {
  const char* name;
  std::string raw;     // used as is when not empty
  const char* path;    // else: JSON pointer into a valid encoding to replace
  json value;          // with this (discarded = remove the key)
  const char* expect;  // substring of the message
};

std::string Mutated(const char* pointer, const json& value) {
  json j = json::parse(EncodeGroupState(RichState(RichSpec())));
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
      {"unknown format", "", "/format", 2, "format: 2 is not a known format"},
      {"instances not array", "", "/instances", json::object(), "instances: not an array"},
      {"bad state name", "", "/instances/1/state", "sleeping",
       "instances[1].state: unknown value 'sleeping'"},
      {"bad market", "", "/instances/0/market", "reserved", "instances[0].market: unknown value"},
      {"bad id", "", "/instances/2/id", "i-xyz", "instances[2].id: 'i-xyz' is not an instance id"},
      {"id too long", "", "/instances/2/id", "i-00000000000000001", "instances[2].id"},
      {"id number", "", "/instances/2/id", 17, "instances[2].id: not a string"},
      {"duplicate id", "", "/instances/1/id", "i-10", "duplicate id i-0000000000000010"},
      {"missing weight", "", "/instances/0/weight", removed, "instances[0].weight: missing"},
      {"zero weight", "", "/instances/0/weight", 0.0, "instances[0].weight: must be positive"},
      {"pool below -1", "", "/instances/1/pool", -2, "instances[1].pool: negative"},
      {"on-demand in a pool", "", "/instances/0/pool", 1, "instances[0].pool: an on-demand instance"},
      {"replaces bad", "", "/instances/1/replaces", true, "instances[1].replaces: not a string"},
      {"drained not bool", "", "/instances/1/drained", 1, "instances[1].drained: not true or false"},
      {"bad alarm state", "", "/alarm_states/1", "WARN", "alarm_states[1]: unknown value 'WARN'"},
      {"alarm states not array", "", "/alarm_states", "OK", "alarm_states: not an array"},
      {"bad avoid time", "", "/pool_avoid_until/0", "soon", "pool_avoid_until[0]: not an integer"},
      {"huge minute", "", "/last_evaluated_minute", 18446744073709551615ULL,
       "last_evaluated_minute: out of range"},
      {"version too big", "", "/instances/0/version", 4294967296LL, "instances[0].version: out of range"},
      {"cause not string", "", "/replace_causes/0", 3, "replace_causes[0]: not a string"},
      {"missing cooldown", "", "/simple_cooldown_until", removed, "simple_cooldown_until: missing"},
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
