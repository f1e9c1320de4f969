#include "api/api_requests.h"

#include "adapters/config/duration.h"
#include "core/syslog_line.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>

#include <nlohmann/json.hpp>

namespace shoal {
namespace {

using nlohmann::json;

// At most `n` characters of a client's text in a message, so an error never
// echoes a megabyte back.
std::string Clip(std::string_view text, std::size_t n = 60) {
  return text.size() <= n ? std::string(text) : std::string(text.substr(0, n)) + "…";
}

std::string Quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

// What a JSON value is, for "must be X, got Y" messages.
std::string Describe(const json& v) {
  std::string what;
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: what = "a boolean"; break;
    case json::value_t::string: what = "a string"; break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: what = "an integer"; break;
    case json::value_t::number_float: what = "a number with a fraction"; break;
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    default: return "an unreadable value";
  }
  // Parsed text is valid UTF-8, but replace rather than throw if it were not.
  return what + " (" + Clip(v.dump(-1, ' ', false, json::error_handler_t::replace)) + ")";
}

std::string FieldList(std::initializer_list<std::string_view> fields) {
  std::string out;
  for (std::string_view f : fields) out += (out.empty() ? "" : ", ") + Quoted(f);
  return out;
}

// A body that must be a JSON object holding only `known` fields.
Result<json> ObjectBody(std::string_view body, std::initializer_list<std::string_view> known) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::InvalidArgument("the request body is not JSON; send an object with " + FieldList(known));
  }
  if (!j.is_object()) return Status::InvalidArgument("the request body must be a JSON object, not " + Describe(j));
  for (const auto& item : j.items()) {
    if (std::find(known.begin(), known.end(), item.key()) == known.end()) {
      return Status::InvalidArgument("unknown field " + Quoted(Clip(item.key())) + "; the fields are " +
                                     FieldList(known));
    }
  }
  return j;
}

// obj[name] as an integer in [lo, hi]; nullopt when absent.
Result<std::optional<std::int64_t>> OptionalInteger(const json& obj, std::string_view name, std::int64_t lo,
                                                    std::int64_t hi) {
  const auto it = obj.find(name);
  if (it == obj.end()) return std::optional<std::int64_t>();
  const std::string must =
      Quoted(name) + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (it->is_number_unsigned()) {
    const std::uint64_t u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(hi) || static_cast<std::int64_t>(u) < lo) {
      return Status::InvalidArgument(must + ", got " + std::to_string(u));
    }
    return std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  if (it->is_number_integer()) {
    const std::int64_t i = it->get<std::int64_t>();
    if (i < lo || i > hi) return Status::InvalidArgument(must + ", got " + std::to_string(i));
    return std::optional<std::int64_t>(i);
  }
  return Status::InvalidArgument(must + ", got " + Describe(*it));
}

Result<std::int64_t> RequiredInteger(const json& obj, std::string_view name, std::int64_t lo, std::int64_t hi) {
  Result<std::optional<std::int64_t>> v = OptionalInteger(obj, name, lo, hi);
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return Status::InvalidArgument("the body needs " + Quoted(name) + ": an integer from " + std::to_string(lo) +
                                   " to " + std::to_string(hi));
  }
  return **v;
}

// obj[name] as a non-empty string of at most `max_length` bytes; nullopt when absent.
Result<std::optional<std::string>> OptionalString(const json& obj, std::string_view name, std::size_t max_length) {
  const auto it = obj.find(name);
  if (it == obj.end()) return std::optional<std::string>();
  if (!it->is_string()) return Status::InvalidArgument(Quoted(name) + " must be a string, got " + Describe(*it));
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty()) return Status::InvalidArgument(Quoted(name) + " must not be empty");
  if (s.size() > max_length) {
    return Status::InvalidArgument(Quoted(name) + " is " + std::to_string(s.size()) + " bytes long; at most " +
                                   std::to_string(max_length) + " are accepted");
  }
  return std::optional<std::string>(s);
}

Result<std::string> RequiredString(const json& obj, std::string_view name, std::size_t max_length,
                                   std::string_view what) {
  Result<std::optional<std::string>> v = OptionalString(obj, name, max_length);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return Status::InvalidArgument("the body needs " + Quoted(name) + ": " + std::string(what));
  return std::move(**v);
}

// A query value as a whole decimal integer in [lo, hi]: no sign, spaces or
// trailing text ("12abc" and " 12" are refused, unlike std::stoll).
Result<std::int64_t> QueryInteger(std::string_view name, const std::string& text, std::int64_t lo,
                                  std::int64_t hi) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const std::string must = std::string(name) + " must be " + (name == "since" ? "Unix seconds" : "an integer") +
                           " from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (text.empty() || ec != std::errc() || ptr != end || value < lo || value > hi) {
    return Status::InvalidArgument(must + ", got '" + Clip(text) + "'");
  }
  return value;
}

// The one value of each known parameter; unknown or repeated ones are refused.
Result<std::map<std::string, std::string>> SingleParams(const QueryParams& params,
                                                        std::initializer_list<std::string_view> known,
                                                        std::string_view endpoint) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return Status::InvalidArgument("unknown query parameter '" + Clip(name) + "'; " + std::string(endpoint) +
                                     " takes " + list);
    }
    if (!out.emplace(name, value).second) {
      return Status::InvalidArgument("query parameter '" + name + "' is given more than once");
    }
  }
  return out;
}

Result<std::string> GroupParam(const std::map<std::string, std::string>& params) {
  const auto it = params.find("group");
  if (it == params.end()) return std::string();
  if (it->second.empty()) return Status::InvalidArgument("group is empty; leave it out to list every group");
  if (it->second.size() > kMaxNameLength) {
    return Status::InvalidArgument("group is longer than " + std::to_string(kMaxNameLength) + " bytes");
  }
  return it->second;
}

}  // namespace

Result<ScaleRequest> ParseScaleRequest(std::string_view body) {
  Result<json> j = ObjectBody(body, {"desired"});
  if (!j.ok()) return j.status();
  Result<std::int64_t> desired = RequiredInteger(*j, "desired", 0, kMaxDesired);
  if (!desired.ok()) return desired.status();
  return ScaleRequest{static_cast<int>(*desired)};
}

Result<DeployApiRequest> ParseDeployRequest(std::string_view body) {
  Result<json> j =
      ObjectBody(body, {"release", "batch", "min_healthy", "instance", "analysis_seconds", "strategy", "keep_old_seconds"});
  if (!j.ok()) return j.status();
  DeployApiRequest r;
  Result<std::string> release = RequiredString(*j, "release", kMaxNameLength, "latest, latest-stable or a version");
  if (!release.ok()) return release.status();
  r.release = *release;
  if (j->contains("batch")) {
    const json& b = (*j)["batch"];
    if (b.is_number_integer()) {
      r.batch = std::to_string(b.get<std::int64_t>());
    } else if (b.is_string() && b.get<std::string>().size() <= 16) {
      r.batch = b.get<std::string>();
    } else {
      return Status::InvalidArgument("\"batch\" must be a number of instances or a percentage like \"25%\", not " +
                                     Describe(b));
    }
  }
  Result<std::optional<std::string>> healthy = OptionalString(*j, "min_healthy", 16);
  if (!healthy.ok()) return healthy.status();
  r.min_healthy = *healthy;
  Result<std::optional<std::string>> instance = OptionalString(*j, "instance", kMaxNameLength);
  if (!instance.ok()) return instance.status();
  r.instance = instance->value_or("");
  Result<std::optional<std::int64_t>> analysis = OptionalInteger(*j, "analysis_seconds", 0, 86400);
  if (!analysis.ok()) return analysis.status();
  r.analysis_seconds = *analysis;
  Result<std::optional<std::string>> strategy = OptionalString(*j, "strategy", 16);
  if (!strategy.ok()) return strategy.status();
  if (*strategy) {
    DeployStrategy s{};
    if (!ParseDeployStrategy(**strategy, &s)) {
      return Status::InvalidArgument("\"strategy\" must be \"rolling\" or \"blue-green\", not \"" + **strategy + "\"");
    }
    r.strategy = s;
  }
  Result<std::optional<std::int64_t>> keep_old = OptionalInteger(*j, "keep_old_seconds", 0, 7 * 86400);
  if (!keep_old.ok()) return keep_old.status();
  r.keep_old_seconds = *keep_old;
  return r;
}

Result<InterruptRequest> ParseInterruptRequest(std::string_view body) {
  Result<json> j = ObjectBody(body, {"instance", "pool"});
  if (!j.ok()) return j.status();
  Result<std::optional<std::string>> instance = OptionalString(*j, "instance", kMaxNameLength);
  if (!instance.ok()) return instance.status();
  Result<std::optional<std::string>> pool = OptionalString(*j, "pool", kMaxNameLength);
  if (!pool.ok()) return pool.status();
  if (instance->has_value() == pool->has_value()) {
    return Status::InvalidArgument(
        "the body needs one of \"instance\": \"i-…\" (one instance) or \"pool\": \"type/zone\" (every instance "
        "of the pool)");
  }
  return InterruptRequest{instance->value_or(""), pool->value_or("")};
}

Result<ShortageRequest> ParseShortageRequest(std::string_view body) {
  Result<json> j = ObjectBody(body, {"pool", "seconds"});
  if (!j.ok()) return j.status();
  Result<std::string> pool = RequiredString(*j, "pool", kMaxNameLength, "the pool, \"type/zone\"");
  if (!pool.ok()) return pool.status();
  Result<std::int64_t> seconds = RequiredInteger(*j, "seconds", 1, kMaxShortageSeconds);
  if (!seconds.ok()) return seconds.status();
  return ShortageRequest{std::move(*pool), *seconds};
}

Result<ConfigRequest> ParseConfigRequest(std::string_view body) {
  Result<json> j = ObjectBody(body, {"config", "source"});
  if (!j.ok()) return j.status();
  Result<std::string> config = RequiredString(*j, "config", kMaxConfigLength, "the YAML text of the config");
  if (!config.ok()) return config.status();
  Result<std::optional<std::string>> source = OptionalString(*j, "source", kMaxNameLength);
  if (!source.ok()) return source.status();
  ConfigRequest r;
  r.config = std::move(*config);
  if (source->has_value()) r.source = std::move(**source);
  return r;
}

Result<AgentEventRequest> ParseAgentEventRequest(std::string_view body) {
  Result<json> j = ObjectBody(body, {"instance", "event", "time"});
  if (!j.ok()) return j.status();
  Result<std::string> instance = RequiredString(*j, "instance", kMaxNameLength, "the instance id, \"i-…\"");
  if (!instance.ok()) return instance.status();
  Result<std::string> event =
      RequiredString(*j, "event", kMaxNameLength, "\"spot-interruption\" or \"rebalance-recommendation\"");
  if (!event.ok()) return event.status();
  Result<std::optional<std::string>> time = OptionalString(*j, "time", kMaxNameLength);
  if (!time.ok()) return time.status();
  return AgentEventRequest{std::move(*instance), std::move(*event), time->value_or("")};
}

Result<InstanceEvent> AgentEventKind(std::string_view event) {
  if (event == "spot-interruption") return InstanceEvent::kNotice;
  if (event == "rebalance-recommendation") return InstanceEvent::kRebalanceRecommended;
  if (event == "provisioned") return InstanceEvent::kProvisioned;
  return Status::InvalidArgument("event must be spot-interruption, rebalance-recommendation or provisioned, got '" +
                                 std::string(event) + "'");
}

Result<ActivitiesQuery> ParseActivitiesQuery(const QueryParams& params) {
  Result<std::map<std::string, std::string>> p =
      SingleParams(params, {"group", "after", "before", "since", "limit"}, "/v1/activities");
  if (!p.ok()) return p.status();
  ActivitiesQuery q;
  Result<std::string> group = GroupParam(*p);
  if (!group.ok()) return group.status();
  q.group = std::move(*group);
  constexpr std::int64_t kMaxSeq = std::numeric_limits<std::int64_t>::max();
  struct Bound {
    const char* name;
    std::int64_t lo;
    std::int64_t hi;
    std::optional<std::int64_t>* out;
  };
  for (const Bound& b : {Bound{"after", 0, kMaxSeq, &q.after}, Bound{"before", 1, kMaxSeq, &q.before},
                         Bound{"since", 0, kMaxSeq, &q.since}}) {
    const auto it = p->find(b.name);
    if (it == p->end()) continue;
    Result<std::int64_t> v = QueryInteger(b.name, it->second, b.lo, b.hi);
    if (!v.ok()) return v.status();
    *b.out = *v;
  }
  if (q.after && (q.before || q.since)) {
    return Status::InvalidArgument(
        "after (follow from a seq) cannot be combined with before or since (page back from the newest)");
  }
  if (const auto it = p->find("limit"); it != p->end()) {
    Result<std::int64_t> limit = QueryInteger("limit", it->second, 1, kMaxActivityLimit);
    if (!limit.ok()) return limit.status();
    q.limit = static_cast<int>(*limit);
  }
  return q;
}

Result<LogQuery> ParseLogsQuery(const QueryParams& params, std::int64_t now_us) {
  Result<std::map<std::string, std::string>> p =
      SingleParams(params, {"target", "since", "grep", "after", "limit"}, "/v1/logs");
  if (!p.ok()) return p.status();
  LogQuery q;
  q.limit = kDefaultLogLimit;
  if (const auto it = p->find("target"); it != p->end()) {
    if (it->second.empty()) return Status::InvalidArgument("target is empty; leave it out for every group");
    if (it->second.size() > kMaxNameLength) {
      return Status::InvalidArgument("target is longer than " + std::to_string(kMaxNameLength) + " bytes");
    }
    q.target = it->second;
  }
  if (const auto it = p->find("grep"); it != p->end()) {
    if (it->second.empty()) return Status::InvalidArgument("grep is empty; leave it out for every line");
    if (it->second.size() > kMaxGrepLength) {
      return Status::InvalidArgument("grep is longer than " + std::to_string(kMaxGrepLength) + " bytes");
    }
    q.grep = it->second;
  }
  if (const auto it = p->find("since"); it != p->end()) {
    const std::string& t = it->second;
    const bool digits = !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      Result<std::int64_t> secs = QueryInteger("since", t, 0, std::int64_t{1} << 40);
      if (!secs.ok()) return secs.status();
      q.since_us = *secs * 1000000;
    } else if (std::optional<std::int64_t> at = ParseRfc3339Micros(t)) {
      q.since_us = *at;
    } else if (std::optional<Seconds> back = config_internal::ParseDuration(t)) {
      q.since_us = now_us - *back * 1000000;
    } else {
      return Status::InvalidArgument("since must be Unix seconds, an RFC 3339 time (2026-12-03T09:00:00Z) or a "
                                     "duration back from now (10m, 2h, 7d), got '" + Clip(t) + "'");
    }
  }
  if (const auto it = p->find("after"); it != p->end()) {
    Result<std::int64_t> after = QueryInteger("after", it->second, 0, std::numeric_limits<std::int64_t>::max());
    if (!after.ok()) return after.status();
    q.after_seq = *after;
  }
  if (const auto it = p->find("limit"); it != p->end()) {
    Result<std::int64_t> limit = QueryInteger("limit", it->second, 1, kMaxLogLimit);
    if (!limit.ok()) return limit.status();
    q.limit = static_cast<int>(*limit);
  }
  return q;
}

Result<InstancesQuery> ParseInstancesQuery(const QueryParams& params) {
  Result<std::map<std::string, std::string>> p = SingleParams(params, {"group"}, "/v1/instances");
  if (!p.ok()) return p.status();
  Result<std::string> group = GroupParam(*p);
  if (!group.ok()) return group.status();
  return InstancesQuery{std::move(*group)};
}

Result<HistoryQuery> ParseHistoryQuery(const QueryParams& params) {
  Result<std::map<std::string, std::string>> p = SingleParams(params, {"minutes"}, "/v1/groups/{name}/history");
  if (!p.ok()) return p.status();
  HistoryQuery q;
  if (const auto it = p->find("minutes"); it != p->end()) {
    Result<std::int64_t> minutes = QueryInteger("minutes", it->second, 1, kMaxHistoryMinutes);
    if (!minutes.ok()) return minutes.status();
    q.minutes = static_cast<int>(*minutes);
  }
  return q;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = authorization.substr(kScheme.size());
  if (rest.front() != ' ') return std::nullopt;  // "Bearerabc" is another scheme
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return rest;
}

}  // namespace shoal
