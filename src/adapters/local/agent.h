// The spot agent (`shoal agent`): a sidecar that polls an instance metadata
// endpoint (Shoal's ImdsServer, or EC2's own at http://169.254.169.254) for a
// spot interruption notice and a rebalance recommendation, and reports each
// once to the daemon:
//   POST <report_url>/v1/agent/events
//   Authorization: Bearer <token from the token file>
//   {"instance":"i-…","event":"spot-interruption"|"rebalance-recommendation","time":"<from IMDS>"}
// A failed report is retried on every poll until the daemon answers 2xx.
// With a ready URL (--ready, given to warm-pool launches on EC2) the agent
// also GETs it on every poll until it answers 2xx, then reports
// {"event":"provisioned"} once: the instance's service is up, so the daemon
// stops it into the warm pool (EC2 itself cannot tell when an instance's own
// user data has finished provisioning it).
// IMDSv2 first (PUT /latest/api/token, then the token on every GET); when the
// endpoint gives no token the agent falls back to plain IMDSv1 GETs.
//
// What to report is decided by pure functions of the IMDS answers (below),
// so the decisions are tested without sockets; SpotAgent does the I/O.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace shoal {

enum class AgentEvent { kSpotInterruption, kRebalanceRecommendation, kProvisioned };

// "spot-interruption" | "rebalance-recommendation" | "provisioned": the event names the daemon reads.
const char* AgentEventName(AgentEvent event);

// One IMDS answer: the HTTP status (0 when there was no answer) and body.
struct ImdsAnswer {
  int status = 0;
  std::string body;
};

// The instance's id in a meta-data/instance-id answer: the first line of a
// 200's body without surrounding whitespace; nullopt when the answer is not a
// 200 or that line is blank, longer than kMaxInstanceIdLength or not visible
// ASCII (EC2's ids are "i-" and hex): the id goes into every report's JSON
// and log line, and an id that cannot be written there would make every
// report fail.
inline constexpr std::size_t kMaxInstanceIdLength = 255;
std::optional<std::string> ParseInstanceIdAnswer(const ImdsAnswer& answer);
// The IMDSv2 session token in the answer to the token PUT: a 200's body
// without surrounding whitespace; nullopt when the answer is not a 200, the
// token is empty or it holds a control character (it is sent back in a
// header, where a CR or LF would end the header and break the request); the
// agent then falls back to IMDSv1.
std::optional<std::string> ParseImdsToken(const ImdsAnswer& answer);

// The time of a notice in spot/instance-action, when the answer is a 200 whose
// body is {"action":"terminate"|"stop"|"hibernate","time":"..."}; nullopt
// otherwise (404 = no notice yet; garbage is ignored, not reported).
std::optional<std::string> ParseInstanceAction(const ImdsAnswer& answer);
// The noticeTime of events/recommendations/rebalance, same rules.
std::optional<std::string> ParseRebalance(const ImdsAnswer& answer);

struct AgentReport {
  AgentEvent event = AgentEvent::kSpotInterruption;
  std::string time;
};

// What has been delivered so far (a 2xx from the daemon).
struct AgentProgress {
  bool interruption_reported = false;
  bool rebalance_reported = false;
  bool provisioned_reported = false;
};

// The reports still owed given this poll's answers: each event once, until
// the daemon has acknowledged it. `ready` is the ready URL's answer (status 0
// when there is none or it was not asked): any 2xx means provisioned.
std::vector<AgentReport> DecideReports(const AgentProgress& progress, const ImdsAnswer& instance_action,
                                       const ImdsAnswer& rebalance, const ImdsAnswer& ready = {});

// The POST body for one report. Never throws: bytes that are not UTF-8 (an
// --instance flag can hold any) are replaced, and the daemon then refuses the
// unknown id with an answer the agent logs.
std::string ReportJson(const std::string& instance, const AgentReport& report);

// First line of a token file, without surrounding whitespace.
std::string TrimToken(const std::string& file_text);

struct AgentOptions {
  std::string imds_url;    // e.g. http://127.0.0.1:7501 (no trailing path)
  std::string report_url;  // the daemon's API base, e.g. http://127.0.0.1:7400; empty: only log
  std::string instance;    // empty: read meta-data/instance-id from IMDS
  // Read on every report, so a token written or rotated later is picked up;
  // empty: no Authorization header.
  std::string token_file;
  // The instance's own service, e.g. http://127.0.0.1:8080/health: once it
  // answers 2xx, "provisioned" is reported (once). Empty: never asked.
  std::string ready_url;
  std::chrono::milliseconds interval{5000};
  std::function<void(const std::string&)> log;  // one line per call; may be empty
};

class SpotAgent {
 public:
  explicit SpotAgent(AgentOptions options);

  // One poll: read IMDS and send what is owed. Never throws.
  void PollOnce();
  // Polls every interval until Stop() (from any thread, e.g. a signal thread).
  void Run();
  void Stop();

  AgentProgress progress() const;
  // The instance id in use ("" until known).
  std::string instance() const;

 private:
  ImdsAnswer GetMetadata(const std::string& path);
  ImdsAnswer GetReady();
  void RefreshToken();
  std::optional<std::string> ReadApiToken() const;
  bool Send(const AgentReport& report);
  void Log(const std::string& line) const;

  const AgentOptions options_;
  mutable std::mutex mu_;  // guards progress_, instance_, stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  AgentProgress progress_;
  std::string instance_;
  // IMDSv2 session token; empty when the endpoint refused one (IMDSv1 then).
  std::string imds_token_;
  std::chrono::steady_clock::time_point imds_token_expiry_{};
  std::chrono::steady_clock::time_point v1_until_{};  // no token PUT before this
};

}  // namespace shoal
