#include "adapters/local/agent.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "adapters/local/imds_protocol.h"

namespace shoal {
namespace {

using imds::kTokenHeader;
using imds::kTokenPath;
using imds::kTtlHeader;
const std::string kInstanceIdPath = std::string(imds::kMetaDataPrefix) + imds::kInstanceId;
const std::string kInstanceActionPath = std::string(imds::kMetaDataPrefix) + imds::kInstanceAction;
const std::string kRebalancePath = std::string(imds::kMetaDataPrefix) + imds::kRebalance;
constexpr const char* kEventsPath = "/v1/agent/events";
constexpr int kTokenTtlSeconds = 6 * 3600;  // EC2's maximum
// Ask for a new token this long before the old one lapses, so no poll races
// the expiry.
constexpr auto kTokenRefreshMargin = std::chrono::minutes(5);
// After a refused or unanswered token PUT, stay on IMDSv1 this long before
// asking again: in a container behind EC2's hop limit of 1 the PUT's answer
// never arrives, and waiting out its timeout on every poll would slow polls.
constexpr auto kV1Backoff = std::chrono::minutes(5);
// Both endpoints are local (loopback or the link-local IMDS); a slow answer is
// a broken one, and the next poll retries.
constexpr time_t kConnectTimeoutSeconds = 2;
constexpr time_t kReadTimeoutSeconds = 5;

// The body's JSON object, or nullopt when the answer is not a 200 with one.
std::optional<nlohmann::json> JsonObjectOf(const ImdsAnswer& answer) {
  if (answer.status != 200) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

// A non-empty string member, or nullopt.
std::optional<std::string> StringMember(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
  return it->get<std::string>();
}

httplib::Client MakeClient(const std::string& base_url) {
  httplib::Client client(base_url);
  client.set_connection_timeout(kConnectTimeoutSeconds);
  client.set_read_timeout(kReadTimeoutSeconds);
  client.set_write_timeout(kReadTimeoutSeconds);
  return client;
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

std::string TrimWhitespace(const std::string& text) {
  const char* kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// Printable ASCII without spaces.
bool IsVisibleAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

const char* AgentEventName(AgentEvent event) {
  switch (event) {
    case AgentEvent::kSpotInterruption: return "spot-interruption";
    case AgentEvent::kRebalanceRecommendation: return "rebalance-recommendation";
    case AgentEvent::kProvisioned: return "provisioned";
  }
  return "unknown";
}

std::optional<std::string> ParseInstanceIdAnswer(const ImdsAnswer& answer) {
  if (answer.status != 200) return std::nullopt;
  std::string id = TrimToken(answer.body);
  if (id.empty() || id.size() > kMaxInstanceIdLength || !IsVisibleAscii(id)) return std::nullopt;
  return id;
}

std::optional<std::string> ParseImdsToken(const ImdsAnswer& answer) {
  if (answer.status != 200) return std::nullopt;
  std::string token = TrimWhitespace(answer.body);
  const bool has_control = std::any_of(token.begin(), token.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
  if (token.empty() || has_control) return std::nullopt;
  return token;
}

std::optional<std::string> ParseInstanceAction(const ImdsAnswer& answer) {
  auto j = JsonObjectOf(answer);
  if (!j) return std::nullopt;
  // EC2 also sends "stop" and "hibernate" for groups with those behaviours;
  // for the service every one of them means "this instance is going away".
  const auto action = StringMember(*j, "action");
  if (!action || (*action != "terminate" && *action != "stop" && *action != "hibernate")) return std::nullopt;
  return StringMember(*j, "time");
}

std::optional<std::string> ParseRebalance(const ImdsAnswer& answer) {
  auto j = JsonObjectOf(answer);
  if (!j) return std::nullopt;
  return StringMember(*j, "noticeTime");
}

std::vector<AgentReport> DecideReports(const AgentProgress& progress, const ImdsAnswer& instance_action,
                                       const ImdsAnswer& rebalance, const ImdsAnswer& ready) {
  std::vector<AgentReport> owed;
  if (!progress.interruption_reported) {
    if (auto time = ParseInstanceAction(instance_action)) owed.push_back({AgentEvent::kSpotInterruption, *time});
  }
  if (!progress.rebalance_reported) {
    if (auto time = ParseRebalance(rebalance)) owed.push_back({AgentEvent::kRebalanceRecommendation, *time});
  }
  if (!progress.provisioned_reported && IsSuccess(ready.status)) owed.push_back({AgentEvent::kProvisioned, ""});
  return owed;
}

std::string ReportJson(const std::string& instance, const AgentReport& report) {
  // Ordered so the body reads as documented: instance, event, time. A
  // report without a time (provisioned: the metadata gives none) leaves it
  // out, as the daemon reads an empty one as a mistake.
  nlohmann::ordered_json body{{"instance", instance}, {"event", AgentEventName(report.event)}};
  if (!report.time.empty()) body["time"] = report.time;
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string TrimToken(const std::string& file_text) {
  return TrimWhitespace(file_text.substr(0, file_text.find('\n')));
}

SpotAgent::SpotAgent(AgentOptions options) : options_(std::move(options)), instance_(options_.instance) {}

void SpotAgent::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

void SpotAgent::RefreshToken() {
  const auto now = std::chrono::steady_clock::now();
  if (!imds_token_.empty() && now + kTokenRefreshMargin < imds_token_expiry_) return;
  if (imds_token_.empty() && now < v1_until_) return;
  httplib::Client client = MakeClient(options_.imds_url);
  httplib::Headers headers = {{kTtlHeader, std::to_string(kTokenTtlSeconds)}};
  auto res = client.Put(kTokenPath, headers, "", "text/plain");
  std::optional<std::string> token = ParseImdsToken(res ? ImdsAnswer{res->status, res->body} : ImdsAnswer{});
  if (token) {
    imds_token_ = std::move(*token);
    imds_token_expiry_ = now + std::chrono::seconds(kTokenTtlSeconds);
    return;
  }
  // No token (an IMDSv1-only endpoint, or none at all yet): plain GETs.
  imds_token_.clear();
  v1_until_ = now + kV1Backoff;
}

ImdsAnswer SpotAgent::GetMetadata(const std::string& path) {
  httplib::Client client = MakeClient(options_.imds_url);
  httplib::Headers headers;
  if (!imds_token_.empty()) headers.emplace(kTokenHeader, imds_token_);
  auto res = client.Get(path.c_str(), headers);
  if (res && res->status == 401) {
    // The endpoint forgot our token (it restarted) or wants IMDSv2 after a
    // token PUT of ours failed: ask for a token now, then ask again.
    imds_token_.clear();
    v1_until_ = {};
    RefreshToken();
    headers.clear();
    if (!imds_token_.empty()) headers.emplace(kTokenHeader, imds_token_);
    res = client.Get(path.c_str(), headers);
  }
  if (!res) return ImdsAnswer{};
  return ImdsAnswer{res->status, res->body};
}

// The ready URL's answer (status 0 when it is malformed or nothing answers).
ImdsAnswer SpotAgent::GetReady() {
  const std::size_t scheme = options_.ready_url.find("://");
  if (scheme == std::string::npos) return ImdsAnswer{};
  const std::size_t path = options_.ready_url.find('/', scheme + 3);
  if (path == std::string::npos) return ImdsAnswer{};
  httplib::Client client = MakeClient(options_.ready_url.substr(0, path));
  // Only the status matters: the body is read and dropped, never kept.
  auto res = client.Get(options_.ready_url.substr(path), [](const char*, std::size_t) { return true; });
  if (!res) return ImdsAnswer{};
  return ImdsAnswer{res->status, ""};
}

// The bearer token, or nullopt when a token file is named but unreadable.
std::optional<std::string> SpotAgent::ReadApiToken() const {
  if (options_.token_file.empty()) return std::string();
  std::ifstream in(options_.token_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = TrimToken(text.str());
  if (!in || token.empty()) return std::nullopt;
  return token;
}

bool SpotAgent::Send(const AgentReport& report) {
  const std::string body = ReportJson(instance(), report);
  if (options_.report_url.empty()) {
    Log("no --report URL; seen " + body);  // nowhere to deliver: the log is the report
    return true;
  }
  const std::optional<std::string> token = ReadApiToken();
  if (!token) {
    // The daemon may not have written it yet; the next poll reads it again.
    Log("cannot read the API token from " + options_.token_file + "; will retry");
    return false;
  }
  httplib::Client client = MakeClient(options_.report_url);
  httplib::Headers headers;
  if (!token->empty()) headers.emplace("Authorization", "Bearer " + *token);
  auto res = client.Post(kEventsPath, headers, body, "application/json");
  if (res && IsSuccess(res->status)) {
    Log("reported " + body);
    return true;
  }
  Log(std::string("report of ") + AgentEventName(report.event) + " failed (" +
      (res ? "HTTP " + std::to_string(res->status) : httplib::to_string(res.error())) + "); will retry");
  return false;
}

void SpotAgent::PollOnce() {
  try {
    RefreshToken();
    if (instance().empty()) {
      const ImdsAnswer answer = GetMetadata(kInstanceIdPath);
      std::optional<std::string> id = ParseInstanceIdAnswer(answer);
      if (!id) {
        Log("no usable instance-id from " + options_.imds_url + " yet (HTTP " + std::to_string(answer.status) + ")");
        return;
      }
      std::lock_guard<std::mutex> lock(mu_);
      instance_ = std::move(*id);
    }
    const AgentProgress before = progress();
    // Only ask for what is still owed: after both reports there is nothing to do.
    const ImdsAnswer action = before.interruption_reported ? ImdsAnswer{} : GetMetadata(kInstanceActionPath);
    const ImdsAnswer rebalance = before.rebalance_reported ? ImdsAnswer{} : GetMetadata(kRebalancePath);
    const ImdsAnswer ready =
        before.provisioned_reported || options_.ready_url.empty() ? ImdsAnswer{} : GetReady();
    for (const AgentReport& report : DecideReports(before, action, rebalance, ready)) {
      if (!Send(report)) continue;
      std::lock_guard<std::mutex> lock(mu_);
      switch (report.event) {
        case AgentEvent::kSpotInterruption: progress_.interruption_reported = true; break;
        case AgentEvent::kRebalanceRecommendation: progress_.rebalance_reported = true; break;
        case AgentEvent::kProvisioned: progress_.provisioned_reported = true; break;
      }
    }
  } catch (const std::exception& e) {  // allocation, a misbehaving library: the next poll retries
    Log(std::string("poll failed: ") + e.what());
  }
}

void SpotAgent::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    PollOnce();
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

void SpotAgent::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
}

AgentProgress SpotAgent::progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_;
}

std::string SpotAgent::instance() const {
  std::lock_guard<std::mutex> lock(mu_);
  return instance_;
}

}  // namespace shoal
