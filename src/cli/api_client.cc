#include "cli/api_client.h"

#include <iostream>

#include <httplib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "api/api_token.h"

namespace shoal {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

Result<std::string> Token(const ApiTarget& t) {
  if (!t.token.empty()) return t.token;
  return ReadToken(t.data_dir + "/api-token");
}

Result<std::string> Finish(const httplib::Result& res, const ApiTarget& t) {
  if (!res) {
    return Status::IoError("cannot reach the daemon at " + t.api + " (" + httplib::to_string(res.error()) +
                           "): is `shoal serve` running? Pass --api or set SHOAL_API");
  }
  if (res->status >= 200 && res->status < 300) return res->body;
  const auto body = nlohmann::json::parse(res->body, nullptr, false);
  const std::string message = !body.is_discarded() && body.contains("error") ? body["error"].get<std::string>()
                                                                              : res->body;
  if (res->status == 401) return Status::InvalidArgument("the daemon refused the token: " + message);
  if (res->status == 404) return Status::NotFound(message);
  return Status::InvalidArgument(message);
}

}  // namespace

void AddApiOptions(CLI::App* cmd, ApiTarget* target) {
  target->api = Env("SHOAL_API", "http://127.0.0.1:7400");
  target->token = Env("SHOAL_TOKEN", "");
  target->data_dir = Env("SHOAL_DATA_DIR", "shoal-data");
  cmd->add_option("--api", target->api, "daemon API base URL ($SHOAL_API)");
  cmd->add_option("--token", target->token, "API token ($SHOAL_TOKEN; default: DATA_DIR/api-token)");
  cmd->add_option("--data-dir", target->data_dir, "the daemon's data directory ($SHOAL_DATA_DIR)");
}

Result<std::string> ApiGet(const ApiTarget& target, const std::string& path) {
  Result<std::string> token = Token(target);
  if (!token.ok()) return token.status();
  httplib::Client client(target.api);
  client.set_connection_timeout(3);
  client.set_read_timeout(30);
  return Finish(client.Get(path.c_str(), {{"Authorization", "Bearer " + *token}}), target);
}

Result<std::string> ApiPost(const ApiTarget& target, const std::string& path, const std::string& json_body) {
  Result<std::string> token = Token(target);
  if (!token.ok()) return token.status();
  httplib::Client client(target.api);
  client.set_connection_timeout(3);
  client.set_read_timeout(30);
  return Finish(client.Post(path.c_str(), {{"Authorization", "Bearer " + *token}}, json_body, "application/json"),
                target);
}

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 1;
}

}  // namespace shoal
