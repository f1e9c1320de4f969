// What the API reads from a request: each body and query string parsed by a
// pure function, so every field is checked in one place — its JSON type, its
// range, unknown or repeated keys — and the parsing is tested and fuzzed
// without a server. An error is InvalidArgument naming the field and what it
// must be; the HTTP layer answers it with 400. Nothing here can throw.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/decide.h"
#include "core/status.h"
#include "ports/log_store.h"

namespace shoal {

// The bounds every parser applies (docs/API.md lists them).
inline constexpr int kMaxDesired = std::numeric_limits<int>::max();  // then the group's min..max applies
inline constexpr std::int64_t kMaxShortageSeconds = 7 * 86400;
inline constexpr int kDefaultActivityLimit = 100;
inline constexpr int kMaxActivityLimit = 10'000;
inline constexpr std::size_t kMaxNameLength = 256;         // group, pool, instance, event, source, time
inline constexpr std::size_t kMaxConfigLength = 1 << 20;   // the YAML text of plan/apply

// POST /v1/groups/{name}/scale  {"desired": N}
struct ScaleRequest {
  int desired = 0;
};

// POST /v1/groups/{name}/deploy  {"release": "latest"|"latest-stable"|"N", "batch": "25%"|N,
// "min_healthy": "90%", "instance": "i-…", "analysis_seconds": N, "strategy": "rolling"|"blue-green",
// "keep_old_seconds": N}: unset fields take the group's `deploy:`.
struct DeployApiRequest {
  std::string release;
  std::optional<std::string> batch;
  std::optional<std::string> min_healthy;
  std::string instance;  // "" = the whole group
  std::optional<std::int64_t> analysis_seconds;
  std::optional<DeployStrategy> strategy;           // "strategy": "rolling" | "blue-green"
  std::optional<std::int64_t> keep_old_seconds;     // blue/green: "keep_old_seconds": N
};

// POST /v1/spot/interrupt  {"instance": "i-…"} or {"pool": "type/zone"}: exactly one is set.
struct InterruptRequest {
  std::string instance;
  std::string pool;
};

// POST /v1/spot/shortage  {"pool": "type/zone", "seconds": N}
struct ShortageRequest {
  std::string pool;
  std::int64_t seconds = 0;
};

// POST /v1/plan and /v1/apply  {"config": "<yaml>", "source": "file.yaml"}
struct ConfigRequest {
  std::string config;
  std::string source = "request";
};

// POST /v1/agent/events  {"instance": "i-…", "event": "…", "time": "…"}
struct AgentEventRequest {
  std::string instance;
  std::string event;
  std::string time;  // as the agent read it from the metadata service; informational
};

// The instance fact an agent's event stands for: "spot-interruption" is a
// notice (kNotice), "rebalance-recommendation" puts the spot instance at
// risk (kRebalanceRecommended), "provisioned" says the instance's service
// answers (kProvisioned: a warm-pool instance is then stopped into the
// pool). Any other name is InvalidArgument.
Result<InstanceEvent> AgentEventKind(std::string_view event);

// GET /v1/activities?group=G&after=SEQ | before=SEQ&since=UNIX &limit=N
//   after:  the oldest `limit` activities with seq > after (following new ones);
//   else:   the newest `limit` activities with seq < before and time >= since
//           (paging back from the newest). Either way listed oldest first.
struct ActivitiesQuery {
  std::string group;  // empty: every group
  std::optional<std::int64_t> after;
  std::optional<std::int64_t> before;
  std::optional<std::int64_t> since;
  int limit = kDefaultActivityLimit;
};

// GET /v1/instances?group=G
struct InstancesQuery {
  std::string group;  // empty: every group
};

// GET /v1/groups/{g}/history[?minutes=N]: N from 1 to kMaxHistoryMinutes.
constexpr int kDefaultHistoryMinutes = 60;
constexpr int kMaxHistoryMinutes = 24 * 60;
struct HistoryQuery {
  int minutes = kDefaultHistoryMinutes;
};

// Query parameters as the HTTP layer decoded them (a name may repeat).
using QueryParams = std::multimap<std::string, std::string>;

// GET /v1/logs?target=GROUP|INSTANCE&since=T&grep=TEXT&after=SEQ&limit=N
//   since: Unix seconds, an RFC 3339 time (2026-12-03T09:00:00Z) or a
//          duration back from now (10m, 2h, 7d);
//   after: follow: the lines stored after this cursor (the last answer's
//          "cursor"), oldest first; without it the newest `limit` lines.
inline constexpr int kDefaultLogLimit = 100;
inline constexpr int kMaxLogLimit = 10'000;
inline constexpr std::size_t kMaxGrepLength = 1024;
Result<LogQuery> ParseLogsQuery(const QueryParams& params, std::int64_t now_us);

Result<ScaleRequest> ParseScaleRequest(std::string_view body);
Result<DeployApiRequest> ParseDeployRequest(std::string_view body);
Result<InterruptRequest> ParseInterruptRequest(std::string_view body);
Result<ShortageRequest> ParseShortageRequest(std::string_view body);
Result<ConfigRequest> ParseConfigRequest(std::string_view body);
Result<AgentEventRequest> ParseAgentEventRequest(std::string_view body);
Result<ActivitiesQuery> ParseActivitiesQuery(const QueryParams& params);
Result<InstancesQuery> ParseInstancesQuery(const QueryParams& params);
Result<HistoryQuery> ParseHistoryQuery(const QueryParams& params);

// The token of an `Authorization` header value "Bearer <token>"; the scheme
// is case-insensitive (RFC 7235), one or more spaces may follow it. nullopt
// for any other scheme or an empty token.
std::optional<std::string_view> BearerToken(std::string_view authorization);

}  // namespace shoal
