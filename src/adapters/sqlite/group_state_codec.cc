#include "adapters/sqlite/group_state_codec.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "adapters/sqlite/json_fields.h"

namespace shoal {
namespace {

using json_fields::Index;
using json_fields::Join;
using json_fields::Json;
// Keys in a fixed order keep the stored text stable and diffable.
using OrderedJson = nlohmann::ordered_json;

constexpr std::array kAlarmStates = {AlarmState::kInsufficientData, AlarmState::kOk, AlarmState::kAlarm};
constexpr std::array kMarkets = {Market::kOnDemand, Market::kSpot};
constexpr std::array kInstanceStates = {
    InstanceState::kPending,     InstanceState::kProvisioning, InstanceState::kInService,
    InstanceState::kDraining,    InstanceState::kTerminated,   InstanceState::kUnhealthy,
    InstanceState::kInterrupted,
};

OrderedJson EncodeInstance(const Instance& in) {
  OrderedJson j;
  j["id"] = FormatInstanceId(in.id);
  j["group"] = in.group;
  j["market"] = ToString(in.market);
  j["pool"] = in.pool;
  j["weight"] = in.weight;
  j["state"] = ToString(in.state);
  j["launched_at"] = in.launched_at;
  j["state_since"] = in.state_since;
  j["in_service_at"] = in.in_service_at;
  j["notice_deadline"] = in.notice_deadline;
  j["version"] = in.version;
  j["scale_in_protected"] = in.scale_in_protected;
  j["replaces"] = in.replaces == 0 ? OrderedJson(nullptr) : OrderedJson(FormatInstanceId(in.replaces));
  j["simple_activity"] = in.simple_activity;
  j["drained"] = in.drained;
  return j;
}

OrderedJson EncodeAlarmStates(const std::vector<AlarmState>& states) {
  OrderedJson a = OrderedJson::array();
  for (AlarmState s : states) a.push_back(ToString(s));
  return a;
}

// Reads the member `key` of `obj` with `read(value, path, out)`.
template <typename T, typename ReadFn>
Status ReadMember(const Json& obj, const std::string& path, std::string_view key, ReadFn read, T* out) {
  Result<const Json*> v = json_fields::Member(obj, path, key);
  if (!v.ok()) return v.status();
  return read(**v, Join(path, key), out);
}

// Reads an array member element by element. Each element is validated even
// when the array is then dropped for having the wrong length (see header).
template <typename T, typename ReadFn>
Status ReadPerItem(const Json& root, std::string_view key, ReadFn read, std::vector<T>* inout) {
  Result<const Json*> v = json_fields::Member(root, "", key);
  if (!v.ok()) return v.status();
  const std::string path(key);
  SHOAL_RETURN_IF_ERROR(json_fields::ReadArray(**v, path));
  std::vector<T> saved((*v)->size());
  for (std::size_t i = 0; i < saved.size(); ++i) {
    T item{};
    SHOAL_RETURN_IF_ERROR(read((**v)[i], Index(path, i), &item));
    saved[i] = item;
  }
  if (saved.size() == inout->size()) *inout = std::move(saved);
  return Status::Ok();
}

Status ReadAlarmState(const Json& v, const std::string& path, AlarmState* out) {
  return json_fields::ReadEnum<AlarmState>(v, path, kAlarmStates, out);
}

Status ReadReplaces(const Json& v, const std::string& path, InstanceId* out) {
  if (v.is_null()) {
    *out = 0;
    return Status::Ok();
  }
  return json_fields::ReadInstanceId(v, path, out);
}

Status ReadInstanceTimes(const Json& j, const std::string& path, Instance* in) {
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "launched_at", json_fields::ReadInt64, &in->launched_at));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "state_since", json_fields::ReadInt64, &in->state_since));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "in_service_at", json_fields::ReadInt64, &in->in_service_at));
  return ReadMember(j, path, "notice_deadline", json_fields::ReadInt64, &in->notice_deadline);
}

Status ReadInstanceFlags(const Json& j, const std::string& path, Instance* in) {
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "version", json_fields::ReadInt, &in->version));
  SHOAL_RETURN_IF_ERROR(
      ReadMember(j, path, "scale_in_protected", json_fields::ReadBool, &in->scale_in_protected));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "replaces", ReadReplaces, &in->replaces));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "simple_activity", json_fields::ReadBool, &in->simple_activity));
  return ReadMember(j, path, "drained", json_fields::ReadBool, &in->drained);
}

// Market and pool must agree, and the pool must exist in `spec` (see header
// for what happens to a pool the config dropped).
Status CheckPool(const GroupSpec& spec, const std::string& path, Instance* in) {
  const std::string where = Join(path, "pool");
  if (in->pool < kOnDemandPool) return Status::InvalidArgument(where + ": negative pool index");
  if (in->market == Market::kOnDemand && in->pool != kOnDemandPool) {
    return Status::InvalidArgument(where + ": an on-demand instance has no spot pool");
  }
  if (in->pool >= static_cast<int>(spec.capacity.spot_pools.size())) in->pool = kOnDemandPool;
  return Status::Ok();
}

Status ReadInstance(const Json& j, const std::string& path, const GroupSpec& spec, Instance* in) {
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "id", json_fields::ReadInstanceId, &in->id));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "group", json_fields::ReadInt, &in->group));
  auto read_market = [](const Json& v, const std::string& p, Market* out) {
    return json_fields::ReadEnum<Market>(v, p, kMarkets, out);
  };
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "market", read_market, &in->market));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "pool", json_fields::ReadInt, &in->pool));
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "weight", json_fields::ReadDouble, &in->weight));
  if (in->weight <= 0) return Status::InvalidArgument(Join(path, "weight") + ": must be positive");
  auto read_state = [](const Json& v, const std::string& p, InstanceState* out) {
    return json_fields::ReadEnum<InstanceState>(v, p, kInstanceStates, out);
  };
  SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "state", read_state, &in->state));
  SHOAL_RETURN_IF_ERROR(ReadInstanceTimes(j, path, in));
  SHOAL_RETURN_IF_ERROR(ReadInstanceFlags(j, path, in));
  return CheckPool(spec, path, in);
}

Status ReadInstances(const Json& root, const GroupSpec& spec, std::vector<Instance>* out) {
  Result<const Json*> v = json_fields::Member(root, "", "instances");
  if (!v.ok()) return v.status();
  SHOAL_RETURN_IF_ERROR(json_fields::ReadArray(**v, "instances"));
  out->resize((*v)->size());
  for (std::size_t i = 0; i < out->size(); ++i) {
    SHOAL_RETURN_IF_ERROR(ReadInstance((**v)[i], Index("instances", i), spec, &(*out)[i]));
  }
  // GroupState::Find binary-searches, so order by id and refuse duplicates.
  std::sort(out->begin(), out->end(), [](const Instance& a, const Instance& b) { return a.id < b.id; });
  const auto dup = std::adjacent_find(out->begin(), out->end(),
                                      [](const Instance& a, const Instance& b) { return a.id == b.id; });
  if (dup != out->end()) {
    return Status::InvalidArgument("instances: duplicate id " + FormatInstanceId(dup->id));
  }
  return Status::Ok();
}

Status ReadFormat(const Json& root) {
  int format = 0;
  SHOAL_RETURN_IF_ERROR(ReadMember(root, "", "format", json_fields::ReadInt, &format));
  if (format != kGroupStateFormat) {
    return Status::InvalidArgument("format: " + std::to_string(format) + " is not a known format (expected " +
                                   std::to_string(kGroupStateFormat) + ")");
  }
  return Status::Ok();
}

Status ReadSimpleScaling(const Json& root, GroupState* s) {
  SHOAL_RETURN_IF_ERROR(
      ReadMember(root, "", "simple_activity_open", json_fields::ReadBool, &s->simple_activity_open));
  SHOAL_RETURN_IF_ERROR(
      ReadMember(root, "", "simple_activity_started", json_fields::ReadInt64, &s->simple_activity_started));
  SHOAL_RETURN_IF_ERROR(ReadMember(root, "", "simple_cooldown", json_fields::ReadInt64, &s->simple_cooldown));
  return ReadMember(root, "", "simple_cooldown_until", json_fields::ReadInt64, &s->simple_cooldown_until);
}

Status ReadPerSpecVectors(const Json& root, GroupState* s) {
  SHOAL_RETURN_IF_ERROR(ReadPerItem(root, "alarm_states", ReadAlarmState, &s->alarm_states));
  SHOAL_RETURN_IF_ERROR(ReadPerItem(root, "tt_high_states", ReadAlarmState, &s->tt_high_states));
  SHOAL_RETURN_IF_ERROR(ReadPerItem(root, "tt_low_states", ReadAlarmState, &s->tt_low_states));
  SHOAL_RETURN_IF_ERROR(ReadPerItem(root, "tt_last_scale_in", json_fields::ReadInt64, &s->tt_last_scale_in));
  return ReadPerItem(root, "pool_avoid_until", json_fields::ReadInt64, &s->pool_avoid_until);
}

Status ReadReplaceCauses(const Json& root, std::vector<std::string>* out) {
  Result<const Json*> v = json_fields::Member(root, "", "replace_causes");
  if (!v.ok()) return v.status();
  SHOAL_RETURN_IF_ERROR(json_fields::ReadArray(**v, "replace_causes"));
  out->resize((*v)->size());
  for (std::size_t i = 0; i < out->size(); ++i) {
    SHOAL_RETURN_IF_ERROR(json_fields::ReadString((**v)[i], Index("replace_causes", i), &(*out)[i]));
  }
  return Status::Ok();
}

Status Overlay(const Json& root, const GroupSpec& spec, GroupState* s) {
  SHOAL_RETURN_IF_ERROR(ReadFormat(root));
  SHOAL_RETURN_IF_ERROR(ReadMember(root, "", "desired", json_fields::ReadInt, &s->desired));
  s->desired = std::clamp(s->desired, spec.min, std::max(spec.min, spec.max));
  SHOAL_RETURN_IF_ERROR(ReadInstances(root, spec, &s->instances));
  SHOAL_RETURN_IF_ERROR(ReadPerSpecVectors(root, s));
  SHOAL_RETURN_IF_ERROR(ReadSimpleScaling(root, s));
  SHOAL_RETURN_IF_ERROR(
      ReadMember(root, "", "last_evaluated_minute", json_fields::ReadInt64, &s->last_evaluated_minute));
  return ReadReplaceCauses(root, &s->replace_causes);
}

}  // namespace

std::string EncodeGroupState(const GroupState& s) {
  OrderedJson j;
  j["format"] = kGroupStateFormat;
  j["desired"] = s.desired;
  j["instances"] = OrderedJson::array();
  for (const Instance& in : s.instances) j["instances"].push_back(EncodeInstance(in));
  j["alarm_states"] = EncodeAlarmStates(s.alarm_states);
  j["tt_high_states"] = EncodeAlarmStates(s.tt_high_states);
  j["tt_low_states"] = EncodeAlarmStates(s.tt_low_states);
  j["tt_last_scale_in"] = s.tt_last_scale_in;
  j["simple_activity_open"] = s.simple_activity_open;
  j["simple_activity_started"] = s.simple_activity_started;
  j["simple_cooldown"] = s.simple_cooldown;
  j["simple_cooldown_until"] = s.simple_cooldown_until;
  j["pool_avoid_until"] = s.pool_avoid_until;
  j["last_evaluated_minute"] = s.last_evaluated_minute;
  j["replace_causes"] = s.replace_causes;
  // Replace invalid UTF-8 (a cause quoting odd input) rather than throw.
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

Result<GroupState> DecodeGroupState(const std::string& json, const GroupSpec& spec) {
  const Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  const std::string where = "group state of '" + spec.name + "': ";
  if (root.is_discarded()) return Status::InvalidArgument(where + "not valid JSON");
  if (!root.is_object()) return Status::InvalidArgument(where + "not a JSON object");
  GroupState s = InitialState(spec);
  if (Status st = Overlay(root, spec, &s); !st.ok()) return Status::InvalidArgument(where + st.message());
  return s;
}

}  // namespace shoal
