// The config's schema as one table: for every mapping of the YAML (the top
// level, `controller`, a group and its sections, a spot pool, an alarm, a
// policy and its parts) the keys it takes, each with how `shoal plan` renders
// its value from the parsed spec. The readers accept exactly these keys
// (MapReader::AllowOnly gets KeyNames) and DiffConfigs compares exactly these
// values, so no key can be read without plan showing its change and apply
// replacing it.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/config/config.h"

namespace shoal::config_internal {

using Json = nlohmann::ordered_json;

// Spellings of NoticeAction (only the config names it).
inline constexpr std::string_view kNoticeReplace = "replace";
inline constexpr std::string_view kNoticeBumpGroup = "bump-group";
inline constexpr std::string_view kNoticeBumpGroupOnly = "bump-group-only";
inline constexpr std::string_view kNoticeNone = "none";

enum class KeyKind : std::uint8_t {
  kValue,      // one value, compared whole
  kSection,    // a nested mapping
  kNamedList,  // a list of mappings, matched by their "name" (added, removed, changed)
  kList,       // a list of mappings, matched by position
};

// The policy types a key belongs to: a policy takes only its type's keys.
using PolicyTypes = std::uint8_t;
inline constexpr PolicyTypes kAllPolicyTypes = 0x0f;
PolicyTypes TypeBit(PolicyType type);

struct MapShape;

struct KeyShape {
  std::string_view name;
  KeyKind kind = KeyKind::kValue;
  const MapShape* nested = nullptr;  // sections and lists: the mapping of the section or of each item
  // Values: another valid value (YAML). The tests change every key to it in
  // turn and check that plan reports exactly that key.
  std::string_view example;
  PolicyTypes types = kAllPolicyTypes;
  // Said after the key's line in a plan, where what apply does is not what
  // the line suggests.
  std::string_view note;
};

struct MapShape {
  std::string_view name;  // "group", "capacity", ... (for messages and tests)
  std::vector<KeyShape> keys;
};

// The keys of `map` (those of `types` only, for a policy).
std::vector<std::string_view> KeyNames(const MapShape& map, PolicyTypes types = kAllPolicyTypes);

// A mapping of the schema together with the spec it is read into: each key
// is added with its renderer in one call, so shape and rendering cannot drift.
template <typename Spec>
class SpecMap {
 public:
  using Renderer = Json (*)(const Spec&);

  explicit SpecMap(std::string_view name) { shape_.name = name; }

  SpecMap& Value(std::string_view key, std::string_view example, Renderer render,
                 PolicyTypes types = kAllPolicyTypes, std::string_view note = {}) {
    return Add({key, KeyKind::kValue, nullptr, example, types, note}, render);
  }
  SpecMap& Nested(std::string_view key, KeyKind kind, const MapShape& nested, Renderer render,
                  PolicyTypes types = kAllPolicyTypes) {
    return Add({key, kind, &nested, {}, types, {}}, render);
  }

  const MapShape& shape() const { return shape_; }

  // Every key of `types` as a JSON object, keyed like the YAML: sections as
  // objects, named lists as objects keyed by name, lists as arrays.
  Json Render(const Spec& spec, PolicyTypes types = kAllPolicyTypes) const {
    Json out = Json::object();
    for (std::size_t i = 0; i < renderers_.size(); ++i) {
      if ((shape_.keys[i].types & types) != 0) out[std::string(shape_.keys[i].name)] = renderers_[i](spec);
    }
    return out;
  }

 private:
  SpecMap& Add(KeyShape key, Renderer render) {
    shape_.keys.push_back(key);
    renderers_.push_back(render);
    return *this;
  }

  MapShape shape_;
  std::vector<Renderer> renderers_;
};

// The mappings of the schema, from the top level down.
const SpecMap<Config>& TopMap();
const SpecMap<ControllerSpec>& ControllerMap();
const SpecMap<GroupSpec>& GroupMap();
const SpecMap<CapacitySpec>& CapacityMap();
const SpecMap<PoolSpec>& PoolMap();
const SpecMap<SpotHandlingSpec>& SpotMap();
const SpecMap<HealthCheckSpec>& HealthCheckMap();
const SpecMap<WarmPoolSpec>& WarmPoolMap();
const SpecMap<DeploySettings>& DeployMap();
const SpecMap<LaunchSpec>& LaunchMap();
const SpecMap<AwsLaunchSpec>& AwsLaunchMap();
const SpecMap<ProviderSpec>& ProviderMap();
const SpecMap<AwsProviderSpec>& AwsProviderMap();
const SpecMap<AwsAgentSpec>& AwsAgentMap();
const SpecMap<ReleasesSpec>& ReleasesMap();
const SpecMap<LogsSpec>& LogsMap();
const SpecMap<InventorySpec>& InventoryMap();
const SpecMap<AlarmSpec>& AlarmMap();
const SpecMap<PolicySpec>& PolicyMap();
const SpecMap<StepAdjustment>& StepMap();
const SpecMap<TargetTrackingShape>& AlarmShapeMap();
const SpecMap<TargetTrackingShape>& ScaleOutMap();
const SpecMap<TargetTrackingShape>& ScaleInMap();

}  // namespace shoal::config_internal
