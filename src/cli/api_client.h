// The CLI's side of the API: finds the daemon (--api, $SHOAL_API, default
// http://127.0.0.1:7400) and its token (--token, $SHOAL_TOKEN, else the
// token file in --data-dir / $SHOAL_DATA_DIR, default ./shoal-data).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "core/status.h"

namespace shoal {

struct ApiTarget {
  std::string api;       // base URL
  std::string token;
  std::string data_dir;
};

// Adds --api/--token/--data-dir to a command.
void AddApiOptions(CLI::App* cmd, ApiTarget* target);

// GET or POST (JSON body) `path`; the response body on 2xx, else a Status
// whose message is the daemon's error and what to do next.
Result<std::string> ApiGet(const ApiTarget& target, const std::string& path);
// Prints "error: <message>" on stderr; the exit code of a failed command (1).
int Fail(const Status& s);

Result<std::string> ApiPost(const ApiTarget& target, const std::string& path, const std::string& json_body);

}  // namespace shoal
