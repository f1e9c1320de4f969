#include "api/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "api/api_token.h"
#include "api/daemon.h"

namespace shoal {
namespace {

using nlohmann::json;

void Reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body + "\n", "application/json");
}

void Error(httplib::Response& res, int status, const std::string& message) {
  Reply(res, status, json{{"error", message}}.dump());
}

int HttpStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kIllegalTransition: return 409;
    case StatusCode::kConflict: return 409;
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

// The body as a JSON object, or a 400 explaining why not.
std::optional<json> Body(const httplib::Request& req, httplib::Response& res) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    Error(res, 400, "the request body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

bool IsLoopbackOrPrivate(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host.rfind("127.", 0) == 0 || host.rfind("10.", 0) == 0 ||
         host.rfind("192.168.", 0) == 0 || host == "::1";
}

}  // namespace

struct ApiServer::Impl {
  Daemon* daemon;
  httplib::Server server;
  std::thread thread;
};

ApiServer::ApiServer(Daemon* daemon) : impl_(std::make_unique<Impl>()) { impl_->daemon = daemon; }
ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start(const std::string& host, int port) {
  if (!IsLoopbackOrPrivate(host)) {
    return Status::InvalidArgument("the API listens on loopback or private addresses only, not '" + host + "'");
  }
  Daemon* d = impl_->daemon;
  httplib::Server& s = impl_->server;
  // httplib sets SO_REUSEPORT by default: a second daemon on the same port
  // would silently share it. Only SO_REUSEADDR, so a taken port fails.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.set_pre_routing_handler([d](const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/healthz") return httplib::Server::HandlerResponse::Unhandled;
    // An agent's own credential is checked by its endpoint, which knows the
    // instance it reports for; everything else needs the admin token.
    if (req.path == "/v1/agent/events" && req.method == "POST") return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.rfind(prefix, 0) != 0 || !TokenMatches(auth.substr(prefix.size()), d->token())) {
      Error(res, 401, "missing or wrong API token: send Authorization: Bearer <token from DATA_DIR/api-token>");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { Reply(res, 200, R"({"status":"ok"})"); });
  s.Get("/v1/groups", [d](const httplib::Request&, httplib::Response& res) { Reply(res, 200, d->GroupsJson()); });
  s.Get(R"(/v1/groups/([a-z0-9-]+))", [d](const httplib::Request& req, httplib::Response& res) {
    ReplyResult(res, d->GroupJson(req.matches[1]));
  });
  s.Post(R"(/v1/groups/([a-z0-9-]+)/scale)", [d](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req, res);
    if (!body) return;
    if (!body->contains("desired") || !(*body)["desired"].is_number_integer()) {
      return Error(res, 400, "body needs \"desired\": an integer");
    }
    ReplyResult(res, d->Scale(req.matches[1], (*body)["desired"].get<int>()));
  });
  s.Get("/v1/instances", [d](const httplib::Request& req, httplib::Response& res) {
    Reply(res, 200, d->InstancesJson(req.get_param_value("group")));
  });
  s.Get("/v1/activities", [d](const httplib::Request& req, httplib::Response& res) {
    std::int64_t after = 0;
    int limit = 100;
    try {
      if (req.has_param("after")) after = std::stoll(req.get_param_value("after"));
      if (req.has_param("limit")) limit = std::stoi(req.get_param_value("limit"));
    } catch (const std::exception&) {
      return Error(res, 400, "after and limit must be integers");
    }
    if (limit < 1 || limit > 10000) return Error(res, 400, "limit must be between 1 and 10000");
    ReplyResult(res, d->ActivitiesJson(req.get_param_value("group"), after, limit));
  });
  s.Post("/v1/spot/interrupt", [d](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req, res);
    if (!body) return;
    if (body->contains("instance") && (*body)["instance"].is_string()) {
      return ReplyResult(res, d->InterruptInstance((*body)["instance"].get<std::string>()));
    }
    if (body->contains("pool") && (*body)["pool"].is_string()) {
      return ReplyResult(res, d->InterruptPool((*body)["pool"].get<std::string>()));
    }
    Error(res, 400, "body needs \"instance\": \"i-…\" or \"pool\": \"type/zone\"");
  });
  s.Post("/v1/spot/shortage", [d](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req, res);
    if (!body) return;
    if (!body->contains("pool") || !(*body)["pool"].is_string() || !body->contains("seconds") ||
        !(*body)["seconds"].is_number_integer()) {
      return Error(res, 400, "body needs \"pool\": \"type/zone\" and \"seconds\": an integer");
    }
    ReplyResult(res, d->Shortage((*body)["pool"].get<std::string>(), (*body)["seconds"].get<std::int64_t>()));
  });
  s.Post("/v1/agent/events", [d](const httplib::Request& req, httplib::Response& res) {
    auto body = Body(req, res);
    if (!body) return;
    if (!body->contains("instance") || !(*body)["instance"].is_string() || !body->contains("event") ||
        !(*body)["event"].is_string()) {
      return Error(res, 400, "body needs \"instance\" and \"event\" strings");
    }
    const std::string auth = req.get_header_value("Authorization");
    const std::string presented = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string();
    const std::string instance = (*body)["instance"].get<std::string>();
    if (!TokenMatches(presented, d->token()) && !d->AgentMayReport(presented, instance)) {
      return Error(res, presented.empty() ? 401 : 403,
                   "this credential may not report events of " + instance +
                       ": an agent posts only its own instance's events (its DIR/agent-token)");
    }
    ReplyResult(res, d->AgentEvent((*body)["instance"].get<std::string>(), (*body)["event"].get<std::string>()));
  });
  auto config_route = [d](bool apply) {
    return [d, apply](const httplib::Request& req, httplib::Response& res) {
      auto body = Body(req, res);
      if (!body) return;
      if (!body->contains("config") || !(*body)["config"].is_string()) {
        return Error(res, 400, "body needs \"config\": the YAML text (and optionally \"source\": its file name)");
      }
      const std::string source = body->value("source", std::string("request"));
      const std::string yaml = (*body)["config"].get<std::string>();
      ReplyResult(res, apply ? d->Apply(yaml, source) : d->Plan(yaml, source));
    };
  };
  s.Post("/v1/plan", config_route(false));
  s.Post("/v1/apply", config_route(true));
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) Error(res, res.status, "no such endpoint or method; see docs/API.md");
  });
  if (!s.bind_to_port(host.c_str(), port)) {
    return Status::IoError("cannot listen on " + host + ":" + std::to_string(port) +
                           " (in use? pass --api HOST:PORT)");
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  return Status::Ok();
}

void ApiServer::Stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace shoal
