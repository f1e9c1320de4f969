// get, describe, scale, spot: the CLI over the daemon's API. Tables for
// people, --json for scripts, errors that say what to do next.
#include "cli/cluster_commands.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "adapters/config/duration.h"
#include "adapters/data/iso_time.h"
#include "adapters/system/system_clock.h"
#include "cli/api_client.h"
#include "cli/table.h"

namespace shoal {
namespace {

using nlohmann::json;


void PrintTable(const json& rows, const std::vector<Column>& columns, const std::string& indent = "") {
  std::cout << RenderTable(rows, columns, SystemClock().Now(), indent);
}

struct GetArgs {
  ApiTarget target;
  std::string what;
  std::string group;
  bool json = false;
  bool watch = false;
  int interval = 2;
  int limit = 100;    // activities: the newest this many
  std::string since;  // activities: a duration back from now, or a UTC time
};

// --since: a duration back from now ("90s", "30m", "2h", "1h30m") or a UTC
// time ("2026-11-26T08:00:00Z").
Result<std::int64_t> SinceTime(const std::string& text, std::int64_t now) {
  if (const auto back = config_internal::ParseDuration(text)) return now - *back;
  if (Result<std::int64_t> t = ParseIsoUtc(text); t.ok()) return *t;
  return Status::InvalidArgument("--since must be a duration back from now (90s, 30m, 2h, 1h30m) or a UTC time "
                                 "(2026-11-26T08:00:00Z), got '" + text + "'");
}

// A row the daemon could not read shows why, in place of its cause.
void ShowUnreadable(json& rows) {
  for (json& row : rows) {
    if (row.contains("unreadable")) row["cause"] = "(unreadable row: " + row["unreadable"].get<std::string>() + ")";
  }
}

void PrintActivities(json rows, bool as_json) {
  if (as_json) {
    std::cout << rows.dump(2) << "\n";
    return;
  }
  ShowUnreadable(rows);
  PrintTable(rows, {{"SEQ", "seq"}, {"TIME", "time", Show::kUtc}, {"GROUP", "group"}, {"KIND", "kind"},
                    {"FROM", "from"}, {"TO", "to"}, {"CAUSE", "cause"}});
}

// The newest --limit activities (since --since), oldest first; with -w, then
// every new one as it comes.
int GetActivities(const GetArgs& a) {
  const std::string group = a.group.empty() ? "" : "&group=" + a.group;
  std::string path = "/v1/activities?limit=" + std::to_string(a.limit) + group;
  if (!a.since.empty()) {
    Result<std::int64_t> since = SinceTime(a.since, SystemClock().Now());
    if (!since.ok()) return Fail(since.status());
    path += "&since=" + std::to_string(*since);
  }
  Result<std::string> body = ApiGet(a.target, path);
  if (!body.ok()) return Fail(body.status());
  json rows = json::parse(*body);
  PrintActivities(rows, a.json);
  if (!a.watch) return 0;
  // Follow from the newest activity there is, shown or not.
  std::int64_t after = 0;
  Result<std::string> newest = ApiGet(a.target, "/v1/activities?limit=1" + group);
  if (!newest.ok()) return Fail(newest.status());
  if (const json last = json::parse(*newest); !last.empty()) after = last.back()["seq"].get<std::int64_t>();
  for (;;) {
    std::cout << std::flush;
    std::this_thread::sleep_for(std::chrono::seconds(a.interval));
    body = ApiGet(a.target, "/v1/activities?limit=1000&after=" + std::to_string(after) + group);
    if (!body.ok()) return Fail(body.status());
    rows = json::parse(*body);
    if (rows.empty()) continue;
    after = rows.back()["seq"].get<std::int64_t>();
    PrintActivities(rows, a.json);
  }
}

int Get(const GetArgs& a) {
  if (a.what == "activities") return GetActivities(a);
  do {
    const std::string path =
        a.what == "groups" ? "/v1/groups" : "/v1/instances" + (a.group.empty() ? "" : "?group=" + a.group);
    Result<std::string> body = ApiGet(a.target, path);
    if (!body.ok()) return Fail(body.status());
    const json rows = json::parse(*body);
    if (a.json) {
      std::cout << rows.dump(2) << "\n";
    } else if (a.what == "groups") {
      PrintTable(rows, {{"NAME", "name"}, {"SERVICE", "service"}, {"DESIRED", "desired"}, {"IN-SERVICE", "in_service"},
                        {"STARTING", "starting"}, {"LEAVING", "leaving"}, {"SPOT", "spot"}, {"ON-DEMAND", "on_demand"},
                        {"MIN", "min"}, {"MAX", "max"}, {"PORT", "listen_port"}});
    } else {
      PrintTable(rows, {{"ID", "id"}, {"GROUP", "group"}, {"STATE", "state"}, {"MARKET", "market"}, {"POOL", "pool"},
                        {"VERSION", "version"}, {"ADDRESS", "address"}, {"AGE", "launched_at", Show::kAge}});
    }
    if (a.watch) {
      std::cout << std::flush;
      std::this_thread::sleep_for(std::chrono::seconds(a.interval));
      if (!a.json) std::cout << "\n";
    }
  } while (a.watch);
  return 0;
}

int Describe(const ApiTarget& t, const std::string& group, bool as_json) {
  Result<std::string> body = ApiGet(t, "/v1/groups/" + group);
  if (!body.ok()) return Fail(body.status());
  const json g = json::parse(*body);
  if (as_json) {
    std::cout << g.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("Group {} (service {}, port {})\n", CellText(g["name"]), CellText(g["service"]),
                           CellText(g["listen_port"]));
  std::cout << fmt::format("  desired {}  min {}  max {}  in service {}  starting {}  leaving {}\n",
                           CellText(g["desired"]), CellText(g["min"]), CellText(g["max"]), CellText(g["in_service"]),
                           CellText(g["starting"]), CellText(g["leaving"]));
  std::cout << fmt::format("  release {}  in service by release {}\n", CellText(g.value("release", json(""))),
                           g.value("in_service_by_version", json::object()).dump());
  if (g.contains("deploy") && g["deploy"].is_object()) {
    const json& d = g["deploy"];
    const bool blue_green = d.value("strategy", std::string()) == "blue-green";
    std::cout << fmt::format("Deploy {} ({} -> {}{}): {}, batch {}, {} replaced{}\n", CellText(d["id"]),
                             CellText(d["from_version"]), CellText(d["to_version"]),
                             blue_green ? ", blue-green" : "", CellText(d["phase"]),
                             CellText(d["batches"]), CellText(d["replaced"]),
                             d.value("analysing_until", 0) > 0 ? ", analysing" : "");
    const json held = g.value("held_by_version", json::object());
    if (held.is_object() && !held.empty()) {
      std::cout << "  held (registered, checked, no traffic) by release " << held.dump() << "\n";
    }
    if (!d.value("result", std::string()).empty()) std::cout << "  " << d["result"].get<std::string>() << "\n";
  }
  std::cout << "Alarms\n";
  for (const json& a : g["alarms"]) std::cout << fmt::format("  {:<28} {}\n", CellText(a["name"]), CellText(a["state"]));
  std::cout << "Policies\n";
  for (const json& p : g["policies"]) std::cout << fmt::format("  {:<28} {}\n", CellText(p["name"]), CellText(p["type"]));
  std::cout << "Instances\n";
  PrintTable(g["instances"],
             {{"ID", "id"}, {"STATE", "state"}, {"MARKET", "market"}, {"POOL", "pool"}, {"VERSION", "version"},
              {"ADDRESS", "address"}, {"AGE", "launched_at", Show::kAge}},
             "  ");
  Result<std::string> acts = ApiGet(t, "/v1/activities?group=" + group + "&limit=10");
  if (acts.ok()) {
    json rows = json::parse(*acts);
    ShowUnreadable(rows);
    std::cout << "Recent activities\n";
    PrintTable(rows,
               {{"TIME", "time", Show::kUtc}, {"KIND", "kind"}, {"FROM", "from"}, {"TO", "to"}, {"CAUSE", "cause"}},
               "  ");
  }
  return 0;
}

}  // namespace

// plan and apply send the file's text; the daemon checks it exactly as
// `serve` would, so errors name the file, line and key.
int PlanOrApply(const ApiTarget& t, const std::string& file, bool apply, bool as_json) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "error: cannot read '" << file << "'\n";
    return 1;
  }
  const std::string yaml((std::istreambuf_iterator<char>(in)), {});
  Result<std::string> r = ApiPost(t, apply ? "/v1/apply" : "/v1/plan", json{{"config", yaml}, {"source", file}}.dump());
  if (!r.ok()) return Fail(r.status());
  const json answer = json::parse(*r);
  if (as_json) {
    std::cout << answer.dump(2) << "\n";
    return 0;
  }
  const auto& changes = answer["changes"];
  if (changes.empty()) {
    std::cout << "No changes: what runs matches " << file << ".\n";
    return 0;
  }
  for (const json& c : changes) std::cout << "  " << c.get<std::string>() << "\n";
  std::cout << (apply ? "Applied " : "Plan: ") << changes.size() << " change(s)"
            << (apply ? ".\n" : "; `shoal apply -f " + file + "` makes them.\n");
  return 0;
}

void AddClusterCommands(CLI::App& app, int* exit_code) {
  for (const bool apply : {false, true}) {
    auto args = std::make_shared<std::tuple<ApiTarget, std::string, bool>>();
    CLI::App* c = app.add_subcommand(apply ? "apply" : "plan", apply ? "Make the running groups match a config file"
                                                                      : "Show what `apply` would change");
    c->add_option("-f,--file", std::get<1>(*args), "YAML config")->required()->check(CLI::ExistingFile);
    c->add_flag("--json", std::get<2>(*args), "JSON instead of text");
    AddApiOptions(c, &std::get<0>(*args));
    c->callback([args, apply, exit_code] {
      *exit_code = PlanOrApply(std::get<0>(*args), std::get<1>(*args), apply, std::get<2>(*args));
    });
  }

  auto get = std::make_shared<GetArgs>();
  CLI::App* g = app.add_subcommand("get", "List groups, instances or activities (kubectl-style)");
  g->add_option("what", get->what, "groups | instances | activities")
      ->required()
      ->check(CLI::IsMember({"groups", "instances", "activities"}));
  g->add_option("--group,-g", get->group, "only this group");
  g->add_flag("--json", get->json, "JSON instead of a table");
  g->add_flag("--watch,-w", get->watch, "keep watching (Ctrl-C stops); activities: follow new ones");
  g->add_option("--limit", get->limit, "activities: show the newest N (default 100)")->check(CLI::Range(1, 10000));
  g->add_option("--since", get->since, "activities: only since a duration ago (30m, 2h) or a UTC time (2026-11-26T08:00:00Z)");
  AddApiOptions(g, &get->target);
  g->callback([get, exit_code] { *exit_code = Get(*get); });

  auto desc = std::make_shared<std::tuple<ApiTarget, std::string, std::string, bool>>();
  CLI::App* d = app.add_subcommand("describe", "Show one group in detail: alarms, policies, instances, activities");
  d->add_option("kind", std::get<1>(*desc), "group")->required()->check(CLI::IsMember({"group"}));
  d->add_option("name", std::get<2>(*desc), "the group's name")->required();
  d->add_flag("--json", std::get<3>(*desc), "JSON instead of text");
  AddApiOptions(d, &std::get<0>(*desc));
  d->callback([desc, exit_code] { *exit_code = Describe(std::get<0>(*desc), std::get<2>(*desc), std::get<3>(*desc)); });

  auto scale = std::make_shared<std::tuple<ApiTarget, std::string, int>>();
  CLI::App* s = app.add_subcommand("scale", "Set a group's desired capacity");
  s->add_option("group", std::get<1>(*scale), "the group's name")->required();
  s->add_option("--desired", std::get<2>(*scale), "capacity units")->required()->check(CLI::NonNegativeNumber);
  AddApiOptions(s, &std::get<0>(*scale));
  s->callback([scale, exit_code] {
    const json body = {{"desired", std::get<2>(*scale)}};
    Result<std::string> r = ApiPost(std::get<0>(*scale), "/v1/groups/" + std::get<1>(*scale) + "/scale", body.dump());
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    std::cout << "group " << std::get<1>(*scale) << ": desired " << std::get<2>(*scale)
              << " (watch it converge: shoal get instances -w)\n";
  });

  auto spot = std::make_shared<std::tuple<ApiTarget, std::string, std::string>>();
  CLI::App* sp = app.add_subcommand("spot", "The local spot market");
  CLI::App* in = sp->add_subcommand("interrupt", "Send a two-minute interruption notice to an instance or a pool");
  in->add_option("instance", std::get<1>(*spot), "instance id (i-…)");
  in->add_option("--pool", std::get<2>(*spot), "every instance of this pool (type/zone)");
  AddApiOptions(in, &std::get<0>(*spot));
  auto shortage = std::make_shared<std::tuple<ApiTarget, std::string, int>>();
  std::get<2>(*shortage) = 600;
  CLI::App* sh = sp->add_subcommand("shortage", "Make a pool short of capacity: spot launches there fail");
  sh->add_option("--pool", std::get<1>(*shortage), "the pool (type/zone)")->required();
  sh->add_option("--seconds", std::get<2>(*shortage), "how long (default 600)")->check(CLI::Range(1, 7 * 86400));
  AddApiOptions(sh, &std::get<0>(*shortage));
  sh->callback([shortage, exit_code] {
    const auto& [target, pool, seconds] = *shortage;
    Result<std::string> r = ApiPost(target, "/v1/spot/shortage", json{{"pool", pool}, {"seconds", seconds}}.dump());
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    std::cout << "pool " << pool << " has no spot capacity for " << seconds << " s\n";
  });
  sp->require_subcommand(1);
  in->callback([spot, exit_code] {
    const auto& [target, instance, pool] = *spot;
    if (instance.empty() == pool.empty()) {
      std::cerr << "error: give an instance id or --pool POOL (one of them)\n";
      *exit_code = 2;
      return;
    }
    const json body = instance.empty() ? json{{"pool", pool}} : json{{"instance", instance}};
    Result<std::string> r = ApiPost(target, "/v1/spot/interrupt", body.dump());
    if (!r.ok()) {
      *exit_code = Fail(r.status());
      return;
    }
    std::cout << json::parse(*r).dump(2) << "\n";
  });
}

}  // namespace shoal
