#include "cli/logs_command.h"

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "cli/rsyslog_config_command.h"

namespace shoal {
namespace {

using nlohmann::json;

struct LogsArgs {
  ApiTarget target;
  std::string which;  // group or instance
  std::string since;
  std::string grep;
  bool follow = false;
  bool json = false;
  int limit = 100;
  int interval = 1;
};

// RFC 3986 percent-encoding of a query value.
std::string Encode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void Print(const json& lines, bool as_json) {
  for (const json& l : lines) {
    if (as_json) {
      std::cout << l.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    } else {
      std::cout << l.value("time", "") << " " << l.value("group", "") << "/" << l.value("instance", "") << " "
                << l.value("stream", "") << ": " << l.value("text", "") << "\n";
    }
  }
  std::cout << std::flush;
}

int Logs(const LogsArgs& a) {
  std::string filter;
  if (!a.which.empty()) filter += "&target=" + Encode(a.which);
  if (!a.grep.empty()) filter += "&grep=" + Encode(a.grep);
  std::string first = "/v1/logs?limit=" + std::to_string(a.limit) + filter;
  if (!a.since.empty()) first += "&since=" + Encode(a.since);
  Result<std::string> body = ApiGet(a.target, first);
  if (!body.ok()) return Fail(body.status());
  json page = json::parse(*body, nullptr, false);
  if (page.is_discarded() || !page.contains("lines")) return Fail(Status::Internal("the daemon's answer is not a log page"));
  Print(page["lines"], a.json);
  if (!a.follow) return 0;
  std::int64_t cursor = page.value("cursor", std::int64_t{0});
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(a.interval));
    body = ApiGet(a.target, "/v1/logs?limit=1000&after=" + std::to_string(cursor) + filter);
    if (!body.ok()) return Fail(body.status());
    page = json::parse(*body, nullptr, false);
    if (page.is_discarded() || !page.contains("lines")) return Fail(Status::Internal("the daemon's answer is not a log page"));
    Print(page["lines"], a.json);
    cursor = std::max(cursor, page.value("cursor", cursor));
  }
}

}  // namespace

void AddLogsCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<LogsArgs>();
  CLI::App* c = app.add_subcommand("logs", "Search the instances' stdout/stderr (the daemon's embedded log store)");
  c->add_option("target", args->which, "a group name or an instance id (default: every group)");
  c->add_option("--since", args->since, "only lines since a duration ago (10m, 2h), a UTC time (2026-12-03T09:00:00Z) or Unix seconds");
  c->add_option("--grep", args->grep, "only lines containing this text (case-sensitive)");
  c->add_flag("--follow,-f", args->follow, "then print new lines as they come (Ctrl-C stops)");
  c->add_flag("--json", args->json, "one JSON object per line, with labels and the RFC 5424 form");
  c->add_option("--limit", args->limit, "the newest N lines (default 100)")->check(CLI::Range(1, 10000));
  AddApiOptions(c, &args->target);
  AddRsyslogConfigCommand(c, exit_code);
  c->callback([args, exit_code, c] {
    if (c->get_subcommands().empty()) *exit_code = Logs(*args);  // not `logs rsyslog-config`
  });
}

}  // namespace shoal
