#include "adapters/sqlite/group_state_codec.h"

#include "adapters/sqlite/deploy_codec.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "adapters/sqlite/json_fields.h"
#include "adapters/sqlite/json_writer.h"

namespace shoal {
namespace {

using json_fields::Index;
using json_fields::Join;
using json_fields::Json;
using json_fields::ReadMember;
using json_fields::ReadObject;
using json_fields::ReadOptionalId;

constexpr std::array kAlarmStates = {AlarmState::kInsufficientData, AlarmState::kOk, AlarmState::kAlarm};
constexpr std::array kMarkets = {Market::kOnDemand, Market::kSpot};
constexpr std::array kInstanceStates = {
    InstanceState::kPending,   InstanceState::kProvisioning, InstanceState::kInService,
    InstanceState::kDraining,  InstanceState::kTerminated,   InstanceState::kUnhealthy,
    InstanceState::kInterrupted, InstanceState::kTerminating,  InstanceState::kWarming,
    InstanceState::kStopped,   InstanceState::kStarting,
};
constexpr std::array kStatusCodes = {
    StatusCode::kOk,          StatusCode::kInvalidArgument,  StatusCode::kNotFound,
    StatusCode::kInsufficientCapacity, StatusCode::kIllegalTransition, StatusCode::kIoError,
    StatusCode::kInternal,    StatusCode::kUnavailable,      StatusCode::kThrottled,
    StatusCode::kPermissionDenied, StatusCode::kLimitExceeded, StatusCode::kConflict,
};

// ---- Encoding -----------------------------------------------------------------

void PoolName(JsonWriter& w, const GroupSpec& spec, int pool) {
  if (pool < 0 || pool >= static_cast<int>(spec.capacity.spot_pools.size())) {
    w.Null();
  } else {
    w.String(spec.capacity.spot_pools[pool].name);
  }
}

void OptionalId(JsonWriter& w, InstanceId id) {
  if (id.empty()) {
    w.Null();
  } else {
    w.String(id.str());
  }
}

void EncodeRetry(JsonWriter& w, const Retry& r) {
  w.BeginObject().Key("attempts").Int(r.attempts).Key("next_at").Int(r.next_at).EndObject();
}

void EncodeInstance(JsonWriter& w, const GroupSpec& spec, const Instance& in) {
  w.BeginObject();
  w.Key("id").String(in.id.str());
  w.Key("group").Int(in.group);
  w.Key("market").String(ToString(in.market));
  w.Key("pool");
  PoolName(w, spec, in.pool);
  w.Key("weight").Double(in.weight);
  w.Key("state").String(ToString(in.state));
  w.Key("launched_at").Int(in.launched_at);
  w.Key("state_since").Int(in.state_since);
  w.Key("in_service_at").Int(in.in_service_at);
  w.Key("notice_deadline").Int(in.notice_deadline);
  if (in.notice_bumped) w.Key("notice_bumped").Bool(true);
  w.Key("rebalance_recommended_at").Int(in.rebalance_recommended_at);
  w.Key("version").Int(in.version);
  w.Key("scale_in_protected").Bool(in.scale_in_protected);
  w.Key("replaces");
  OptionalId(w, in.replaces);
  w.Key("simple_activity").Bool(in.simple_activity);
  w.Key("drained").Bool(in.drained);
  w.Key("launch_token").String(in.launch_token);
  w.Key("address");
  if (in.address.empty()) {
    w.Null();
  } else {
    w.BeginObject().Key("host").String(in.address.host).Key("port").Int(in.address.port).EndObject();
  }
  w.Key("registered").Bool(in.registered);
  w.Key("drain_requested").Bool(in.drain_requested);
  w.Key("terminate_requested").Bool(in.terminate_requested);
  // The warm pool's, written only when set (older state has none).
  if (in.warm) w.Key("warm").Bool(true);
  if (in.stop_requested) w.Key("stop_requested").Bool(true);
  if (in.start_requested) w.Key("start_requested").Bool(true);
  // Blue/green's, likewise.
  if (in.held) w.Key("held").Bool(true);
  if (!in.serving_synced) w.Key("serving_synced").Bool(false);
  w.Key("retry");
  EncodeRetry(w, in.retry);
  w.EndObject();
}

void EncodeLaunch(JsonWriter& w, const GroupSpec& spec, const PendingLaunch& p) {
  w.BeginObject();
  w.Key("token").String(p.token);
  w.Key("market").String(ToString(p.market));
  w.Key("pool");
  PoolName(w, spec, p.pool);
  w.Key("weight").Double(p.weight);
  w.Key("replaces");
  OptionalId(w, p.replaces);
  w.Key("release").String(p.release);
  w.Key("simple_activity").Bool(p.simple_activity);
  if (p.warm) w.Key("warm").Bool(true);
  if (p.held) w.Key("held").Bool(true);
  w.Key("planned_at").Int(p.planned_at);
  w.Key("retry");
  EncodeRetry(w, p.retry);
  w.Key("last_error").String(ToString(p.last_error));
  w.EndObject();
}

void EncodeNamedParts(JsonWriter& w, const GroupSpec& spec, const GroupState& s) {
  w.Key("alarms").BeginObject();
  for (std::size_t a = 0; a < spec.alarms.size() && a < s.alarm_states.size(); ++a) {
    w.Key(spec.alarms[a].name).String(ToString(s.alarm_states[a]));
  }
  w.EndObject();
  w.Key("policies").BeginObject();
  for (std::size_t p = 0; p < spec.policies.size() && p < s.tt_high_states.size(); ++p) {
    w.Key(spec.policies[p].name).BeginObject();
    w.Key("tt_high").String(ToString(s.tt_high_states[p]));
    w.Key("tt_low").String(ToString(s.tt_low_states[p]));
    w.Key("tt_last_scale_in").Int(s.tt_last_scale_in[p]);
    w.EndObject();
  }
  w.EndObject();
  w.Key("pools").BeginObject();
  for (std::size_t p = 0; p < spec.capacity.spot_pools.size() && p < s.pool_avoid_until.size(); ++p) {
    w.Key(spec.capacity.spot_pools[p].name).BeginObject().Key("avoid_until").Int(s.pool_avoid_until[p]).EndObject();
  }
  w.EndObject();
}

// ---- Decoding helpers ---------------------------------------------------------

// Reads an array member element by element (format 1's per-spec vectors).
// Each element is validated even when the array is then dropped for having
// the wrong length: indexes no longer mean the same alarm or pool.
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

Status ReadMarket(const Json& v, const std::string& path, Market* out) {
  return json_fields::ReadEnum<Market>(v, path, kMarkets, out);
}


// null: not known (yet).
Status ReadAddress(const Json& v, const std::string& path, InstanceAddress* out) {
  *out = {};
  if (v.is_null()) return Status::Ok();
  SHOAL_RETURN_IF_ERROR(ReadObject(v, path));
  InstanceAddress a;
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "host", json_fields::ReadString, &a.host));
  constexpr std::size_t kMaxHost = 255;
  const bool printable = std::all_of(a.host.begin(), a.host.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (a.host.empty() || a.host.size() > kMaxHost || !printable) {
    return Status::InvalidArgument(Join(path, "host") + ": not a host address");
  }
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "port", json_fields::ReadInt, &a.port));
  if (a.port < 1 || a.port > 65535) return Status::InvalidArgument(Join(path, "port") + ": not in 1..65535");
  *out = std::move(a);
  return Status::Ok();
}

// A forecast's raise under way (GroupState::forecast_raise).
Status ReadForecastRaise(const Json& v, const std::string& path, ForecastRaise* out) {
  SHOAL_RETURN_IF_ERROR(ReadObject(v, path));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "from", json_fields::ReadInt, &out->from));
  if (out->from < 0) return Status::InvalidArgument(Join(path, "from") + ": negative");
  return ReadMember(v, path, "minute", json_fields::ReadInt64, &out->minute);
}

Status ReadRetry(const Json& v, const std::string& path, Retry* out) {
  SHOAL_RETURN_IF_ERROR(ReadObject(v, path));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "attempts", json_fields::ReadInt, &out->attempts));
  if (out->attempts < 0) return Status::InvalidArgument(Join(path, "attempts") + ": negative");
  return ReadMember(v, path, "next_at", json_fields::ReadInt64, &out->next_at);
}

// The index of the spot pool named by `v` (a name, or null for none):
// kOnDemandPool when the spec no longer has it (see the header).
Status ReadPoolName(const GroupSpec& spec, const Json& v, const std::string& path, int* out) {
  *out = kOnDemandPool;
  if (v.is_null()) return Status::Ok();
  std::string name;
  SHOAL_RETURN_IF_ERROR(json_fields::ReadString(v, path, &name));
  for (std::size_t p = 0; p < spec.capacity.spot_pools.size(); ++p) {
    if (spec.capacity.spot_pools[p].name == name) *out = static_cast<int>(p);
  }
  return Status::Ok();
}

// Format 1: a pool index that must agree with the market.
Status ReadPoolIndex(const GroupSpec& spec, const Json& v, const std::string& path, Market market, int* out) {
  SHOAL_RETURN_IF_ERROR(json_fields::ReadInt(v, path, out));
  if (*out < kOnDemandPool) return Status::InvalidArgument(path + ": negative pool index");
  if (market == Market::kOnDemand && *out != kOnDemandPool) {
    return Status::InvalidArgument(path + ": an on-demand instance has no spot pool");
  }
  if (*out >= static_cast<int>(spec.capacity.spot_pools.size())) *out = kOnDemandPool;
  return Status::Ok();
}

class Decoder {
 public:
  Decoder(const Json& root, const GroupSpec& spec, int format) : root_(root), spec_(spec), format_(format) {}

  Status Overlay(GroupState* s) {
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "desired", json_fields::ReadInt, &s->desired));
    s->desired = std::clamp(s->desired, spec_.min, std::max(spec_.min, spec_.max));
    SHOAL_RETURN_IF_ERROR(ReadInstances(&s->instances));
    SHOAL_RETURN_IF_ERROR(format_ == 1 ? ReadPerSpecVectors(s) : ReadNamedParts(s));
    SHOAL_RETURN_IF_ERROR(ReadSimpleScaling(s));
    SHOAL_RETURN_IF_ERROR(
        ReadMember(root_, "", "last_evaluated_minute", json_fields::ReadInt64, &s->last_evaluated_minute));
    if (root_.contains("forecast_raise")) {  // written only while one is under way
      SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "forecast_raise", ReadForecastRaise, &s->forecast_raise));
    }
    SHOAL_RETURN_IF_ERROR(ReadStrings("replace_causes", &s->replace_causes));
    return format_ == 1 ? Status::Ok() : ReadLaunchState(s);
  }

 private:
  Status ReadInstanceTimes(const Json& j, const std::string& path, Instance* in) {
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "launched_at", json_fields::ReadInt64, &in->launched_at));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "state_since", json_fields::ReadInt64, &in->state_since));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "in_service_at", json_fields::ReadInt64, &in->in_service_at));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "notice_deadline", json_fields::ReadInt64, &in->notice_deadline));
    // Written only when set (spot.on_notice bump-group-only).
    in->notice_bumped = false;
    if (j.contains("notice_bumped")) {
      SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "notice_bumped", json_fields::ReadBool, &in->notice_bumped));
    }
    // State written before rebalance recommendations were handled has no
    // such key: the instance is not at risk.
    in->rebalance_recommended_at = kNever;
    if (!j.contains("rebalance_recommended_at")) return Status::Ok();
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "rebalance_recommended_at", json_fields::ReadInt64,
                                     &in->rebalance_recommended_at));
    if (in->rebalance_recommended_at < kNever) {
      return Status::InvalidArgument(Join(path, "rebalance_recommended_at") + ": negative (-1 means none)");
    }
    return Status::Ok();
  }

  Status ReadInstanceFlags(const Json& j, const std::string& path, Instance* in) {
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "version", json_fields::ReadInt, &in->version));
    SHOAL_RETURN_IF_ERROR(
        ReadMember(j, path, "scale_in_protected", json_fields::ReadBool, &in->scale_in_protected));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "replaces", ReadOptionalId, &in->replaces));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "simple_activity", json_fields::ReadBool, &in->simple_activity));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "drained", json_fields::ReadBool, &in->drained));
    if (format_ == 1) {
      // Format 1 knew no pending calls: a live instance is registered again
      // by Restore, a terminating one did not exist.
      in->registered = true;
      return Status::Ok();
    }
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "launch_token", json_fields::ReadString, &in->launch_token));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "registered", json_fields::ReadBool, &in->registered));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "drain_requested", json_fields::ReadBool, &in->drain_requested));
    SHOAL_RETURN_IF_ERROR(
        ReadMember(j, path, "terminate_requested", json_fields::ReadBool, &in->terminate_requested));
    for (auto [key, flag] : {std::pair<const char*, bool*>{"warm", &in->warm},
                             {"stop_requested", &in->stop_requested},
                             {"start_requested", &in->start_requested},
                             {"held", &in->held}}) {
      *flag = false;
      if (j.contains(key)) SHOAL_RETURN_IF_ERROR(ReadMember(j, path, key, json_fields::ReadBool, flag));
    }
    in->serving_synced = true;
    if (j.contains("serving_synced")) {
      SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "serving_synced", json_fields::ReadBool, &in->serving_synced));
    }
    return ReadMember(j, path, "retry", ReadRetry, &in->retry);
  }

  Status ReadPool(const Json& j, const std::string& path, Market market, int* pool) {
    Result<const Json*> v = json_fields::Member(j, path, "pool");
    if (!v.ok()) return v.status();
    const std::string where = Join(path, "pool");
    if (format_ == 1) return ReadPoolIndex(spec_, **v, where, market, pool);
    SHOAL_RETURN_IF_ERROR(ReadPoolName(spec_, **v, where, pool));
    if (market == Market::kOnDemand && !(*v)->is_null()) {
      return Status::InvalidArgument(where + ": an on-demand instance has no spot pool");
    }
    return Status::Ok();
  }

  Status ReadInstance(const Json& j, const std::string& path, Instance* in) {
    SHOAL_RETURN_IF_ERROR(ReadObject(j, path));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "id", json_fields::ReadInstanceId, &in->id));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "group", json_fields::ReadInt, &in->group));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "market", ReadMarket, &in->market));
    SHOAL_RETURN_IF_ERROR(ReadPool(j, path, in->market, &in->pool));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "weight", json_fields::ReadDouble, &in->weight));
    if (in->weight <= 0) return Status::InvalidArgument(Join(path, "weight") + ": must be positive");
    auto read_state = [](const Json& v, const std::string& p, InstanceState* out) {
      return json_fields::ReadEnum<InstanceState>(v, p, kInstanceStates, out);
    };
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "state", read_state, &in->state));
    // State written before instances had addresses has none: the inventory
    // pass fills it in from the cloud.
    if (j.contains("address")) SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "address", ReadAddress, &in->address));
    SHOAL_RETURN_IF_ERROR(ReadInstanceTimes(j, path, in));
    return ReadInstanceFlags(j, path, in);
  }

  Status ReadInstances(std::vector<Instance>* out) {
    Result<const Json*> v = json_fields::Member(root_, "", "instances");
    if (!v.ok()) return v.status();
    SHOAL_RETURN_IF_ERROR(json_fields::ReadArray(**v, "instances"));
    out->resize((*v)->size());
    for (std::size_t i = 0; i < out->size(); ++i) {
      SHOAL_RETURN_IF_ERROR(ReadInstance((**v)[i], Index("instances", i), &(*out)[i]));
    }
    // GroupState::Find binary-searches, so order by id and refuse duplicates.
    std::sort(out->begin(), out->end(), [](const Instance& a, const Instance& b) { return a.id < b.id; });
    const auto dup = std::adjacent_find(out->begin(), out->end(),
                                        [](const Instance& a, const Instance& b) { return a.id == b.id; });
    if (dup != out->end()) {
      return Status::InvalidArgument("instances: duplicate id " + dup->id.str());
    }
    return Status::Ok();
  }

  Status ReadLaunch(const Json& j, const std::string& path, PendingLaunch* p) {
    SHOAL_RETURN_IF_ERROR(ReadObject(j, path));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "token", json_fields::ReadString, &p->token));
    if (p->token.empty()) return Status::InvalidArgument(Join(path, "token") + ": empty");
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "market", ReadMarket, &p->market));
    SHOAL_RETURN_IF_ERROR(ReadPool(j, path, p->market, &p->pool));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "weight", json_fields::ReadDouble, &p->weight));
    if (p->weight <= 0) return Status::InvalidArgument(Join(path, "weight") + ": must be positive");
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "replaces", ReadOptionalId, &p->replaces));
    // Written before launches named their release: what the spec boots.
    p->release = spec_.launch.release;
    if (j.contains("release")) SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "release", json_fields::ReadString, &p->release));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "simple_activity", json_fields::ReadBool, &p->simple_activity));
    p->warm = false;
    if (j.contains("warm")) SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "warm", json_fields::ReadBool, &p->warm));
    p->held = false;
    if (j.contains("held")) SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "held", json_fields::ReadBool, &p->held));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "planned_at", json_fields::ReadInt64, &p->planned_at));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "retry", ReadRetry, &p->retry));
    auto read_code = [](const Json& v, const std::string& at, StatusCode* out) {
      return json_fields::ReadEnum<StatusCode>(v, at, kStatusCodes, out);
    };
    return ReadMember(j, path, "last_error", read_code, &p->last_error);
  }

  Status ReadCondition(const Json& j, const std::string& path, Condition* c) {
    SHOAL_RETURN_IF_ERROR(ReadObject(j, path));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "type", json_fields::ReadString, &c->type));
    auto read_code = [](const Json& v, const std::string& at, StatusCode* out) {
      return json_fields::ReadEnum<StatusCode>(v, at, kStatusCodes, out);
    };
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "code", read_code, &c->code));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "message", json_fields::ReadString, &c->message));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "since", json_fields::ReadInt64, &c->since));
    SHOAL_RETURN_IF_ERROR(ReadMember(j, path, "last_seen", json_fields::ReadInt64, &c->last_seen));
    return ReadMember(j, path, "count", json_fields::ReadInt, &c->count);
  }

  template <typename T, typename ReadFn>
  Status ReadList(std::string_view key, ReadFn read, std::vector<T>* out) {
    Result<const Json*> v = json_fields::Member(root_, "", key);
    if (!v.ok()) return v.status();
    const std::string path(key);
    SHOAL_RETURN_IF_ERROR(json_fields::ReadArray(**v, path));
    out->assign((*v)->size(), T{});
    for (std::size_t i = 0; i < out->size(); ++i) {
      SHOAL_RETURN_IF_ERROR(read((**v)[i], Index(path, i), &(*out)[i]));
    }
    return Status::Ok();
  }

  Status ReadLaunchState(GroupState* s) {
    SHOAL_RETURN_IF_ERROR(ReadList("launches", [this](const Json& v, const std::string& p, PendingLaunch* out) {
      return ReadLaunch(v, p, out);
    }, &s->launches));
    SHOAL_RETURN_IF_ERROR(ReadList("conditions", [this](const Json& v, const std::string& p, Condition* out) {
      return ReadCondition(v, p, out);
    }, &s->conditions));
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "failed_launches", json_fields::ReadInt, &s->failed_launches));
    SHOAL_RETURN_IF_ERROR(
        ReadMember(root_, "", "launch_backoff_until", json_fields::ReadInt64, &s->launch_backoff_until));
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "launch_decisions", json_fields::ReadInt64, &s->launch_decisions));
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "launch_retry", ReadRetry, &s->launch_retry));
    return ReadReleaseState(s);
  }

  // Written only once the group has had a deploy.
  Status ReadReleaseState(GroupState* s) {
    if (!root_.contains("release_version")) return Status::Ok();
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "release_version", json_fields::ReadInt, &s->release_version));
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "previous_release_version", json_fields::ReadInt,
                                     &s->previous_release_version));
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "deploys", json_fields::ReadInt64, &s->deploys));
    Result<const Json*> deploy = json_fields::Member(root_, "", "deploy");
    if (!deploy.ok()) return deploy.status();
    if ((*deploy)->is_null()) return Status::Ok();
    DeployState d;
    SHOAL_RETURN_IF_ERROR(DecodeDeploy(**deploy, "deploy", &d));
    s->deploy = std::move(d);
    return Status::Ok();
  }

  // Format 2: {"<name>": value}; names the spec does not have are dropped.
  template <typename ReadFn>
  Status ReadByName(std::string_view key, ReadFn read_one) {
    Result<const Json*> v = json_fields::Member(root_, "", key);
    if (!v.ok()) return v.status();
    const std::string path(key);
    SHOAL_RETURN_IF_ERROR(ReadObject(**v, path));
    for (const auto& [name, value] : (*v)->items()) SHOAL_RETURN_IF_ERROR(read_one(name, value, Join(path, name)));
    return Status::Ok();
  }

  Status ReadNamedParts(GroupState* s) {
    SHOAL_RETURN_IF_ERROR(ReadByName("alarms", [&](const std::string& name, const Json& v, const std::string& p) {
      AlarmState st{};
      SHOAL_RETURN_IF_ERROR(ReadAlarmState(v, p, &st));
      for (std::size_t a = 0; a < spec_.alarms.size(); ++a) {
        if (spec_.alarms[a].name == name) s->alarm_states[a] = st;
      }
      return Status::Ok();
    }));
    SHOAL_RETURN_IF_ERROR(ReadByName("policies", [&](const std::string& name, const Json& v, const std::string& p) {
      SHOAL_RETURN_IF_ERROR(ReadObject(v, p));
      AlarmState high{}, low{};
      Seconds last = kNever;
      SHOAL_RETURN_IF_ERROR(ReadMember(v, p, "tt_high", ReadAlarmState, &high));
      SHOAL_RETURN_IF_ERROR(ReadMember(v, p, "tt_low", ReadAlarmState, &low));
      SHOAL_RETURN_IF_ERROR(ReadMember(v, p, "tt_last_scale_in", json_fields::ReadInt64, &last));
      for (std::size_t i = 0; i < spec_.policies.size(); ++i) {
        if (spec_.policies[i].name != name) continue;
        s->tt_high_states[i] = high;
        s->tt_low_states[i] = low;
        s->tt_last_scale_in[i] = last;
      }
      return Status::Ok();
    }));
    return ReadByName("pools", [&](const std::string& name, const Json& v, const std::string& p) {
      SHOAL_RETURN_IF_ERROR(ReadObject(v, p));
      Seconds until = 0;
      SHOAL_RETURN_IF_ERROR(ReadMember(v, p, "avoid_until", json_fields::ReadInt64, &until));
      for (std::size_t i = 0; i < spec_.capacity.spot_pools.size(); ++i) {
        if (spec_.capacity.spot_pools[i].name == name) s->pool_avoid_until[i] = until;
      }
      return Status::Ok();
    });
  }

  Status ReadPerSpecVectors(GroupState* s) {
    SHOAL_RETURN_IF_ERROR(ReadPerItem(root_, "alarm_states", ReadAlarmState, &s->alarm_states));
    SHOAL_RETURN_IF_ERROR(ReadPerItem(root_, "tt_high_states", ReadAlarmState, &s->tt_high_states));
    SHOAL_RETURN_IF_ERROR(ReadPerItem(root_, "tt_low_states", ReadAlarmState, &s->tt_low_states));
    SHOAL_RETURN_IF_ERROR(ReadPerItem(root_, "tt_last_scale_in", json_fields::ReadInt64, &s->tt_last_scale_in));
    return ReadPerItem(root_, "pool_avoid_until", json_fields::ReadInt64, &s->pool_avoid_until);
  }

  Status ReadSimpleScaling(GroupState* s) {
    SHOAL_RETURN_IF_ERROR(
        ReadMember(root_, "", "simple_activity_open", json_fields::ReadBool, &s->simple_activity_open));
    SHOAL_RETURN_IF_ERROR(
        ReadMember(root_, "", "simple_activity_started", json_fields::ReadInt64, &s->simple_activity_started));
    SHOAL_RETURN_IF_ERROR(ReadMember(root_, "", "simple_cooldown", json_fields::ReadInt64, &s->simple_cooldown));
    return ReadMember(root_, "", "simple_cooldown_until", json_fields::ReadInt64, &s->simple_cooldown_until);
  }

  Status ReadStrings(std::string_view key, std::vector<std::string>* out) {
    return ReadList(key, json_fields::ReadString, out);
  }

  const Json& root_;
  const GroupSpec& spec_;
  int format_;
};

}  // namespace

std::string EncodeGroupState(const GroupSpec& spec, const GroupState& s) {
  constexpr std::size_t kBytesPerInstance = 420;  // what one instance takes, with room
  JsonWriter w(1024 + kBytesPerInstance * (s.instances.size() + s.launches.size()));
  w.BeginObject();
  w.Key("format").Int(kGroupStateFormat);
  w.Key("desired").Int(s.desired);
  w.Key("instances").BeginArray();
  for (const Instance& in : s.instances) EncodeInstance(w, spec, in);
  w.EndArray();
  w.Key("launches").BeginArray();
  for (const PendingLaunch& p : s.launches) EncodeLaunch(w, spec, p);
  w.EndArray();
  EncodeNamedParts(w, spec, s);
  w.Key("simple_activity_open").Bool(s.simple_activity_open);
  w.Key("simple_activity_started").Int(s.simple_activity_started);
  w.Key("simple_cooldown").Int(s.simple_cooldown);
  w.Key("simple_cooldown_until").Int(s.simple_cooldown_until);
  w.Key("last_evaluated_minute").Int(s.last_evaluated_minute);
  if (s.forecast_raise.from >= 0) {
    w.Key("forecast_raise").BeginObject();
    w.Key("from").Int(s.forecast_raise.from).Key("minute").Int(s.forecast_raise.minute);
    w.EndObject();
  }
  w.Key("replace_causes").BeginArray();
  for (const std::string& c : s.replace_causes) w.String(c);
  w.EndArray();
  w.Key("failed_launches").Int(s.failed_launches);
  w.Key("launch_backoff_until").Int(s.launch_backoff_until);
  w.Key("launch_decisions").Int(s.launch_decisions);
  w.Key("launch_retry");
  EncodeRetry(w, s.launch_retry);
  w.Key("conditions").BeginArray();
  for (const Condition& c : s.conditions) {
    w.BeginObject();
    w.Key("type").String(c.type);
    w.Key("code").String(ToString(c.code));
    w.Key("message").String(c.message);
    w.Key("since").Int(c.since);
    w.Key("last_seen").Int(c.last_seen);
    w.Key("count").Int(c.count);
    w.EndObject();
  }
  w.EndArray();
  if (s.deploys > 0 || s.release_version > 0) {
    w.Key("release_version").Int(s.release_version);
    w.Key("previous_release_version").Int(s.previous_release_version);
    w.Key("deploys").Int(s.deploys);
    w.Key("deploy");
    if (s.deploy) {
      EncodeDeploy(w, *s.deploy);
    } else {
      w.Null();
    }
  }
  w.EndObject();
  return w.Take();
}

Result<GroupState> DecodeGroupState(const std::string& json, const GroupSpec& spec) {
  const Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  const std::string where = "group state of '" + spec.name + "': ";
  if (root.is_discarded()) return Status::InvalidArgument(where + "not valid JSON");
  if (!root.is_object()) return Status::InvalidArgument(where + "not a JSON object");
  int format = 0;
  if (Status st = ReadMember(root, "", "format", json_fields::ReadInt, &format); !st.ok()) {
    return Status::InvalidArgument(where + st.message());
  }
  if (format != 1 && format != kGroupStateFormat) {
    return Status::InvalidArgument(where + "format: " + std::to_string(format) +
                                   " is not a known format (expected 1 or " + std::to_string(kGroupStateFormat) +
                                   ")");
  }
  GroupState s = InitialState(spec);
  if (Status st = Decoder(root, spec, format).Overlay(&s); !st.ok()) {
    return Status::InvalidArgument(where + st.message());
  }
  return s;
}

}  // namespace shoal
