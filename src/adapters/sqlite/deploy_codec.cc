#include "adapters/sqlite/deploy_codec.h"

#include <array>

namespace shoal {
namespace {

using json_fields::Json;
using json_fields::ReadObject;
using json_fields::ReadMember;
using json_fields::ReadOptionalId;

constexpr std::array kPhases = {DeployPhase::kRolling,    DeployPhase::kRollingBack,     DeployPhase::kSucceeded,
                                DeployPhase::kRolledBack, DeployPhase::kGreenLaunching, DeployPhase::kSwitched};
constexpr std::array kStrategies = {DeployStrategy::kRolling, DeployStrategy::kBlueGreen};

void EncodeTraffic(JsonWriter& w, const ReleaseTraffic& t) {
  w.BeginObject();
  w.Key("version").Int(t.version);
  w.Key("requests").Double(t.requests);
  w.Key("errors").Double(t.errors);
  w.Key("response_ms_sum").Double(t.response_ms_sum);
  w.EndObject();
}

Status ReadTraffic(const Json& v, const std::string& path, ReleaseTraffic* t) {
  SHOAL_RETURN_IF_ERROR(ReadObject(v, path));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "version", json_fields::ReadInt, &t->version));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "requests", json_fields::ReadDouble, &t->requests));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "errors", json_fields::ReadDouble, &t->errors));
  return ReadMember(v, path, "response_ms_sum", json_fields::ReadDouble, &t->response_ms_sum);
}

Status ReadSettings(const Json& v, const std::string& path, DeploySettings* s) {
  SHOAL_RETURN_IF_ERROR(ReadObject(v, path));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "batch_percent", json_fields::ReadDouble, &s->batch_percent));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "batch_count", json_fields::ReadInt, &s->batch_count));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "min_healthy_percent", json_fields::ReadDouble, &s->min_healthy_percent));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "batch_timeout", json_fields::ReadInt64, &s->batch_timeout));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "analysis", json_fields::ReadInt64, &s->analysis));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "max_error_increase", json_fields::ReadDouble, &s->max_error_increase));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "max_latency_ratio", json_fields::ReadDouble, &s->max_latency_ratio));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "min_requests", json_fields::ReadDouble, &s->min_requests));
  // Written since blue/green; older state was rolling.
  s->strategy = DeployStrategy::kRolling;
  if (v.contains("strategy")) {
    auto read_strategy = [](const Json& p, const std::string& at, DeployStrategy* out) {
      return json_fields::ReadEnum<DeployStrategy>(p, at, kStrategies, out);
    };
    SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "strategy", read_strategy, &s->strategy));
  }
  if (v.contains("keep_old")) SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "keep_old", json_fields::ReadInt64, &s->keep_old));
  if (s->batch_count < 0 || s->batch_percent <= 0 || s->batch_percent > 100) {
    return Status::InvalidArgument(path + ": batch out of range");
  }
  return Status::Ok();
}

}  // namespace

void EncodeDeploy(JsonWriter& w, const DeployState& d) {
  const DeploySettings& s = d.request.settings;
  w.BeginObject();
  w.Key("id").Int(d.id);
  w.Key("to_version").Int(d.request.to_version);
  w.Key("ref").String(d.request.ref);
  w.Key("only");
  if (d.request.only.empty()) {
    w.Null();
  } else {
    w.String(d.request.only.str());
  }
  w.Key("cause").String(d.request.cause);
  w.Key("settings").BeginObject();
  w.Key("batch_percent").Double(s.batch_percent);
  w.Key("batch_count").Int(s.batch_count);
  w.Key("min_healthy_percent").Double(s.min_healthy_percent);
  w.Key("batch_timeout").Int(s.batch_timeout);
  w.Key("analysis").Int(s.analysis);
  w.Key("max_error_increase").Double(s.max_error_increase);
  w.Key("max_latency_ratio").Double(s.max_latency_ratio);
  w.Key("min_requests").Double(s.min_requests);
  w.Key("strategy").String(ToString(s.strategy));
  w.Key("keep_old").Int(s.keep_old);
  w.EndObject();
  w.Key("from_version").Int(d.from_version);
  w.Key("release_before").Int(d.release_before);
  w.Key("phase").String(ToString(d.phase));
  w.Key("started_at").Int(d.started_at);
  w.Key("phase_since").Int(d.phase_since);
  w.Key("ended_at").Int(d.ended_at);
  w.Key("batches").Int(d.batches);
  w.Key("batch_started_at").Int(d.batch_started_at);
  w.Key("batch_open").Bool(d.batch_open);
  w.Key("replaced").Int(d.replaced);
  w.Key("analysis_until").Int(d.analysis_until);
  w.Key("analysis_from_minute").Int(d.analysis_from_minute);
  w.Key("new_traffic");
  EncodeTraffic(w, d.new_traffic);
  w.Key("old_traffic");
  EncodeTraffic(w, d.old_traffic);
  w.Key("result").String(d.result);
  w.EndObject();
}

Status DecodeDeploy(const Json& v, const std::string& path, DeployState* d) {
  SHOAL_RETURN_IF_ERROR(ReadObject(v, path));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "id", json_fields::ReadInt64, &d->id));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "to_version", json_fields::ReadInt, &d->request.to_version));
  if (d->request.to_version <= 0) return Status::InvalidArgument(json_fields::Join(path, "to_version") + ": not a release");
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "ref", json_fields::ReadString, &d->request.ref));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "only", ReadOptionalId, &d->request.only));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "cause", json_fields::ReadString, &d->request.cause));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "settings", ReadSettings, &d->request.settings));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "from_version", json_fields::ReadInt, &d->from_version));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "release_before", json_fields::ReadInt, &d->release_before));
  auto read_phase = [](const Json& p, const std::string& at, DeployPhase* out) {
    return json_fields::ReadEnum<DeployPhase>(p, at, kPhases, out);
  };
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "phase", read_phase, &d->phase));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "started_at", json_fields::ReadInt64, &d->started_at));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "phase_since", json_fields::ReadInt64, &d->phase_since));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "ended_at", json_fields::ReadInt64, &d->ended_at));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "batches", json_fields::ReadInt, &d->batches));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "batch_started_at", json_fields::ReadInt64, &d->batch_started_at));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "batch_open", json_fields::ReadBool, &d->batch_open));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "replaced", json_fields::ReadInt, &d->replaced));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "analysis_until", json_fields::ReadInt64, &d->analysis_until));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "analysis_from_minute", json_fields::ReadInt64, &d->analysis_from_minute));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "new_traffic", ReadTraffic, &d->new_traffic));
  SHOAL_RETURN_IF_ERROR(ReadMember(v, path, "old_traffic", ReadTraffic, &d->old_traffic));
  return ReadMember(v, path, "result", json_fields::ReadString, &d->result);
}

}  // namespace shoal
