#include "cli/deploy_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace shoal {
namespace {

using nlohmann::json;

struct DeployArgs {
  ApiTarget target;
  std::string group;
  std::string release;
  std::string batch;
  std::string min_healthy;
  std::string instance;
  int analysis = -1;
  std::string strategy;
  int keep_old = -1;
  bool json = false;
  bool detach = false;
  int timeout = 3600;
};

// Exit codes: 0 the deploy succeeded; 1 it could not start or be followed;
// 3 it rolled back (the group runs the old release); 4 the wait timed out.
constexpr int kRolledBack = 3;
constexpr int kTimedOut = 4;


std::string Versions(const json& group) {
  std::string out;
  const auto it = group.find("in_service_by_version");
  if (it == group.end() || !it->is_object()) return "none in service";
  for (auto v = it->begin(); v != it->end(); ++v) {
    out += (out.empty() ? "" : ", ") + std::string("release ") + v.key() + ": " +
           std::to_string(v.value().is_number() ? v.value().get<int>() : 0);
  }
  return out.empty() ? "none in service" : out;
}

// What a person reads as one step of the deploy.
std::string ProgressLine(const json& group) {
  const json& d = group["deploy"];
  std::string line = "deploy " + std::to_string(d.value("id", 0)) + " " + d.value("phase", "?") + " (" +
                     std::to_string(d.value("from_version", 0)) + " -> " + std::to_string(d.value("to_version", 0)) +
                     "): batch " + std::to_string(d.value("batches", 0)) + ", " +
                     std::to_string(d.value("replaced", 0)) + " replaced; in service " + Versions(group);
  const json held = group.value("held_by_version", json::object());
  if (held.is_object() && !held.empty()) line += "; held (no traffic) " + held.dump();
  if (d.value("analysing_until", 0) > 0) line += "; analysing";
  if (!d.value("result", std::string()).empty()) line += "; " + d.value("result", std::string());
  return line;
}

json Event(const json& group) {
  const json& d = group["deploy"];
  return {{"group", group.value("name", "")},
          {"deploy", d.value("id", 0)},
          {"phase", d.value("phase", "")},
          {"from_version", d.value("from_version", 0)},
          {"to_version", d.value("to_version", 0)},
          {"batches", d.value("batches", 0)},
          {"replaced", d.value("replaced", 0)},
          {"analysing", d.value("analysing_until", 0) > 0},
          {"strategy", d.value("strategy", "rolling")},
          {"in_service_by_version", group.value("in_service_by_version", json::object())},
          {"held_by_version", group.value("held_by_version", json::object())},
          {"new_release", d.value("new_release", json())},
          {"old_releases", d.value("old_releases", json())},
          {"result", d.value("result", "")}};
}

// Follows the group's deploy until it ends; prints each change.
int Follow(const ApiTarget& target, const std::string& group, std::int64_t id, bool as_json, int timeout) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  std::string last;
  while (true) {
    Result<std::string> r = ApiGet(target, "/v1/groups/" + group);
    if (!r.ok()) return Fail(r.status().WithContext("following the deploy (it goes on in the daemon)"));
    const json g = json::parse(*r, nullptr, false);
    if (!g.is_object() || !g["deploy"].is_object() || g["deploy"].value("id", 0) != id) {
      return Fail(Status::Internal("the daemon's answer has no deploy " + std::to_string(id)));
    }
    const json event = Event(g);
    const std::string line = as_json ? event.dump() : ProgressLine(g);
    if (event.dump() != last) {
      std::cout << line << std::endl;
      last = event.dump();
    }
    const std::string phase = g["deploy"].value("phase", "");
    if (phase == "succeeded") return 0;
    if (phase == "rolled-back") {
      if (!as_json) std::cerr << "the deploy rolled back: " << g["deploy"].value("result", "") << "\n";
      return kRolledBack;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "still " << phase << " after " << timeout
                << "s; it goes on in the daemon (shoal describe group " << group << ")\n";
      return kTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int Started(const DeployArgs& a, const Result<std::string>& answer) {
  if (!answer.ok()) return Fail(answer.status());
  const json g = json::parse(*answer, nullptr, false);
  if (!g.is_object() || !g["deploy"].is_object()) return Fail(Status::Internal("the daemon's answer has no deploy"));
  const std::int64_t id = g["deploy"].value("id", 0);
  if (a.detach) {
    std::cout << (a.json ? Event(g).dump() : ProgressLine(g)) << "\n";
    if (!a.json) std::cout << "follow it: shoal describe group " << a.group << "\n";
    return 0;
  }
  return Follow(a.target, a.group, id, a.json, a.timeout);
}

}  // namespace

void AddDeployCommands(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<DeployArgs>();
  CLI::App* d = app.add_subcommand("deploy", "Roll a release through a group in batches, with canary analysis and automatic rollback");
  d->add_option("group", a->group, "the group's name")->required();
  d->add_option("--release", a->release, "latest, latest-stable or a version number")->required();
  d->add_option("--batch", a->batch, "instances per batch, or a percentage like 25% (default: the group's deploy.batch)");
  d->add_option("--min-healthy", a->min_healthy, "share of desired kept in service, like 90% (default: the group's)");
  d->add_option("--instance", a->instance, "deploy to this one instance only (a canary)");
  d->add_option("--analysis", a->analysis, "seconds of canary analysis after each batch (default: the group's)")
      ->check(CLI::Range(0, 86400));
  d->add_option("--strategy", a->strategy,
                "rolling (batches) or blue-green (a held second set, traffic switched at once; default: the group's)")
      ->check(CLI::IsMember({"rolling", "blue-green"}));
  d->add_option("--keep-old", a->keep_old, "blue/green: seconds the old set is kept held after the switch")
      ->check(CLI::Range(0, 7 * 86400));
  d->add_flag("--json", a->json, "one JSON event per line");
  d->add_flag("--detach", a->detach, "start it and return");
  d->add_option("--timeout", a->timeout, "seconds to follow it")->capture_default_str()->check(CLI::Range(1, 604800));
  AddApiOptions(d, &a->target);
  d->callback([a, exit_code] {
    json body = {{"release", a->release}};
    if (!a->batch.empty()) body["batch"] = a->batch;
    if (!a->min_healthy.empty()) body["min_healthy"] = a->min_healthy;
    if (!a->instance.empty()) body["instance"] = a->instance;
    if (a->analysis >= 0) body["analysis_seconds"] = a->analysis;
    if (!a->strategy.empty()) body["strategy"] = a->strategy;
    if (a->keep_old >= 0) body["keep_old_seconds"] = a->keep_old;
    *exit_code = Started(*a, ApiPost(a->target, "/v1/groups/" + a->group + "/deploy", body.dump()));
  });

  auto r = std::make_shared<DeployArgs>();
  CLI::App* rv = app.add_subcommand(
      "revert", "Roll back the deploy under way, or go back to the release before the last deploy, in one batch");
  rv->add_option("group", r->group, "the group's name")->required();
  rv->add_flag("--json", r->json, "one JSON event per line");
  rv->add_flag("--detach", r->detach, "start it and return");
  rv->add_option("--timeout", r->timeout, "seconds to follow it")->capture_default_str()->check(CLI::Range(1, 604800));
  AddApiOptions(rv, &r->target);
  rv->callback([r, exit_code] {
    Result<std::string> answer = ApiPost(r->target, "/v1/groups/" + r->group + "/revert", "{}");
    if (!answer.ok()) {
      *exit_code = Fail(answer.status());
      return;
    }
    const json g = json::parse(*answer, nullptr, false);
    const int code = Started(*r, answer);
    // A revert of a deploy under way ends rolled back: that is its success.
    const bool rollback = g.is_object() && g["deploy"].is_object() && g["deploy"].value("phase", "") == "rolling-back";
    *exit_code = rollback && code == kRolledBack ? 0 : code;
  });
}

}  // namespace shoal
