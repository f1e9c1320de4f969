#include "api/api_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/system/stream_logger.h"
#include "adapters/system/system_clock.h"
#include "api/api_requests.h"
#include "api/api_token.h"
#include "api/dashboard_assets.h"
#include "api/daemon.h"
#include "api/log_shipper.h"
#include "api/prometheus_text.h"

namespace shoal {
namespace {

using nlohmann::json;

void Reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body + "\n", "application/json");
}

void Error(httplib::Response& res, int status, const std::string& message) {
  Reply(res, status, json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

int HttpStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kIllegalTransition:
    case StatusCode::kConflict: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kThrottled:
    case StatusCode::kLimitExceeded: return 429;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

void ReplyResult(httplib::Response& res, const Result<std::string>& r) {
  if (r.ok()) {
    Reply(res, 200, *r);
  } else {
    Error(res, HttpStatus(r.status()), r.status().message());
  }
}

// The parsed request, or false after answering 400 with the parser's message.
template <typename T>
bool Parsed(const Result<T>& request, httplib::Response& res) {
  if (!request.ok()) Error(res, 400, request.status().message());
  return request.ok();
}

// RFC 1918 private ranges and loopback: the API is not for the open network.
bool IsLoopbackOrPrivate(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) return false;
  const std::uint32_t a = ntohl(addr.s_addr);
  return (a >> 24) == 127 || (a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1u) || (a >> 16) == ((192u << 8) | 168u);
}

// The dashboard's files hold no data: they are served without the token,
// and the page asks the token-protected API for everything it shows.
// Nothing but these files, no inline script or style, nothing from
// elsewhere; the page cannot be framed.
bool IsDashboardPath(const std::string& path) { return path == "/" || path == "/ui" || path.rfind("/ui/", 0) == 0; }

void ServeDashboard(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.path == "/" || req.path == "/ui" || req.path == "/ui/" ? "index.html" : req.path.substr(4);
  const DashboardAsset* asset = FindDashboardAsset(name);
  if (asset == nullptr) return Error(res, 404, "no dashboard file '" + name + "'; the dashboard is at /ui/");
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  const char* type = ends_with(".js")    ? "text/javascript; charset=utf-8"
                     : ends_with(".css") ? "text/css; charset=utf-8"
                                         : "text/html; charset=utf-8";
  res.status = 200;
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::string(asset->body), type);
}

const std::string kTokenHelp = "send Authorization: Bearer <token from DATA_DIR/api-token>";

}  // namespace

Result<ApiAddress> ParseApiAddress(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--api must be HOST:PORT (like 127.0.0.1:7400), got '" + text + "'");
  }
  ApiAddress a;
  a.host = text.substr(0, colon);
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || a.port < 1 || a.port > 65535) {
    return Status::InvalidArgument("--api port must be a number from 1 to 65535, got '" + port + "'");
  }
  if (!IsLoopbackOrPrivate(a.host)) {
    return Status::InvalidArgument("--api listens on loopback or private addresses only (127.x, 10.x, 172.16-31.x, "
                                   "192.168.x, localhost, ::1), not '" + a.host + "'");
  }
  return a;
}

struct ApiServer::Impl {
  explicit Impl(const ConnectionLimits& limits) : logger(&clock, &std::cerr), server(limits, &logger) {}
  SystemClock clock;
  StreamLogger logger;
  GuardedServer server;
  std::thread thread;
};

ApiServer::ApiServer(const ConnectionLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Bind(const std::string& host, int port) {
  Result<ApiAddress> address = ParseApiAddress(host + ":" + std::to_string(port));
  if (!address.ok()) return address.status();
  // httplib sets SO_REUSEPORT by default: a second daemon on the same port
  // would silently share it. Only SO_REUSEADDR, so a taken port fails.
  impl_->server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  if (impl_->server.Bind(address->host, address->port) < 0) {
    return Status::IoError("cannot listen on " + host + ":" + std::to_string(port) +
                           " (in use, or not an address of this machine? pass --api HOST:PORT)");
  }
  return Status::Ok();
}

void ApiServer::Serve(Daemon* d) {
  GuardedServer& s = impl_->server;
  Logger* log = &impl_->logger;
  s.set_pre_routing_handler([d](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/healthz") return httplib::Server::HandlerResponse::Unhandled;
    if (req.method == "GET" && IsDashboardPath(req.path)) return httplib::Server::HandlerResponse::Unhandled;
    // An agent's own credential is checked by its endpoint, which knows the
    // instance it reports for; everything else needs the admin token.
    if (req.path == "/v1/agent/events" && req.method == "POST") return httplib::Server::HandlerResponse::Unhandled;
    const std::string authorization = req.get_header_value("Authorization");
    const std::optional<std::string_view> token = BearerToken(authorization);  // a view into `authorization`
    if (!token || !TokenMatches(std::string(*token), d->token())) {
      Error(res, 401, "missing or wrong API token: " + kTokenHelp);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, R"({"status":"ok"})"); });
  s.Get("/metrics", [d](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(d->MetricsText(), kPrometheusContentType);
  });
  s.set_request_observer([d](const httplib::Request& req, const httplib::Response& res, double seconds) {
    d->RequestServed(req.method, req.path, res.status, seconds);
  });
  s.Get("/", ServeDashboard);
  s.Get(R"(/ui(/[a-z0-9.-]*)?)", ServeDashboard);
  s.Get("/v1/groups", [d](const httplib::Request&, httplib::Response& res) { Reply(res, 200, d->GroupsJson()); });
  s.Get(R"(/v1/groups/([a-z0-9-]+))", [d](const httplib::Request& req, httplib::Response& res) {
    ReplyResult(res, d->GroupJson(req.matches[1]));
  });
  s.Get(R"(/v1/groups/([a-z0-9-]+)/history)", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<HistoryQuery> q = ParseHistoryQuery(req.params);
    if (Parsed(q, res)) ReplyResult(res, d->GroupHistoryJson(req.matches[1], q->minutes));
  });
  s.Post(R"(/v1/groups/([a-z0-9-]+)/scale)", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<ScaleRequest> r = ParseScaleRequest(req.body);
    if (Parsed(r, res)) ReplyResult(res, d->Scale(req.matches[1], r->desired));
  });
  s.Post(R"(/v1/groups/([a-z0-9-]+)/deploy)", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<DeployApiRequest> r = ParseDeployRequest(req.body);
    if (Parsed(r, res)) ReplyResult(res, d->Deploy(req.matches[1], *r));
  });
  s.Post(R"(/v1/groups/([a-z0-9-]+)/revert)", [d](const httplib::Request& req, httplib::Response& res) {
    ReplyResult(res, d->Revert(req.matches[1]));
  });
  s.Get("/v1/instances", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<InstancesQuery> q = ParseInstancesQuery(req.params);
    if (Parsed(q, res)) Reply(res, 200, d->InstancesJson(q->group));
  });
  s.Get("/v1/inventory", [d](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(d->InventoryJson(), "application/json");
  });
  s.Get("/v1/activities", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<ActivitiesQuery> q = ParseActivitiesQuery(req.params);
    if (Parsed(q, res)) ReplyResult(res, d->ActivitiesJson(*q));
  });
  s.Get("/v1/logs", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<LogQuery> q = ParseLogsQuery(req.params, NowMicros());
    if (Parsed(q, res)) ReplyResult(res, d->LogsJson(*q));
  });
  s.Post("/v1/spot/interrupt", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<InterruptRequest> r = ParseInterruptRequest(req.body);
    if (!Parsed(r, res)) return;
    ReplyResult(res, r->instance.empty() ? d->InterruptPool(r->pool) : d->InterruptInstance(r->instance));
  });
  s.Post("/v1/spot/shortage", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<ShortageRequest> r = ParseShortageRequest(req.body);
    if (Parsed(r, res)) ReplyResult(res, d->Shortage(r->pool, r->seconds));
  });
  s.Post("/v1/agent/events", [d](const httplib::Request& req, httplib::Response& res) {
    const Result<AgentEventRequest> r = ParseAgentEventRequest(req.body);
    if (!Parsed(r, res)) return;
    const std::string authorization = req.get_header_value("Authorization");
    const std::string presented(BearerToken(authorization).value_or(std::string_view()));
    if (!TokenMatches(presented, d->token()) && !d->AgentMayReport(presented, r->instance)) {
      return Error(res, presented.empty() ? 401 : 403,
                   "this credential may not report events of " + r->instance +
                       ": an agent posts only its own instance's events (its DIR/agent-token)");
    }
    ReplyResult(res, d->AgentEvent(r->instance, r->event));
  });
  auto config_route = [d](bool apply) {
    return [d, apply](const httplib::Request& req, httplib::Response& res) {
      const Result<ConfigRequest> r = ParseConfigRequest(req.body);
      if (!Parsed(r, res)) return;
      ReplyResult(res, apply ? d->Apply(r->config, r->source) : d->Plan(r->config, r->source));
    };
  };
  s.Post("/v1/plan", config_route(false));
  s.Post("/v1/apply", config_route(true));
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) Error(res, res.status, "no such endpoint or method; see docs/API.md");
  });
  // A bug must not take the connection down without an answer.
  s.set_exception_handler([log](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    LogError(log, "api_handler_failed").With("method", req.method).With("path", req.path).With("error", what);
    Error(res, 500, "internal error: " + what);
  });
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // stop() is a no-op until listen runs; wait for it so Stop cannot hang.
  for (int i = 0; i < 5000 && !impl_->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void ApiServer::Stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->server.Shutdown();
}

}  // namespace shoal
