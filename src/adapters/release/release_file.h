// The seed's RELEASE file: one KEY=value per line, read by its scripts as
// `grep VERSION latest.txt | cut -d= -f2`. The tar's RELEASE, latest.txt
// and latest-stable.txt hold exactly the five RELEASE keys, in this order:
//
//   MODULE=web
//   VERSION=7
//   BUILD=112
//   GIT_COMMIT=3f2c...
//   TIMESTAMP=2026-11-26T06:30:00Z
//
// A release's manifest (<service>-<N>.release) holds them and more: ENV,
// BRANCH, SHA256 and SIZE of the tar. Values never hold '=', a newline or a
// key name that another key's grep would match (checked when published).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace shoal {

struct ReleaseFile {
  std::string module;      // the service
  std::uint64_t version = 0;
  std::string build;       // the CI build number, may be empty
  std::string git_commit;  // may be empty
  std::string timestamp;   // "2026-11-26T06:30:00Z"
};

struct ReleaseManifest {
  ReleaseFile release;
  std::string env;
  std::string branch;     // may be empty
  std::string sha256;     // of the tar, 64 hex digits
  std::uint64_t size = 0;  // of the tar, bytes
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// "KEY=value" lines. Blank lines are skipped; any other line without '='
// or with a key outside [A-Z0-9_] is an error naming its line; a repeated
// key is an error.
Result<KeyValues> ParseKeyValues(std::string_view text);
std::string FormatKeyValues(const KeyValues& values);

std::string FormatReleaseFile(const ReleaseFile& release);
// Needs all five keys (the error lists those missing) and a VERSION >= 1.
Result<ReleaseFile> ParseReleaseFile(std::string_view text);

std::string FormatManifest(const ReleaseManifest& manifest);
Result<ReleaseManifest> ParseManifest(std::string_view text);

// Input checks, each error naming the flag: a service or env name (1-64 of
// [A-Za-z0-9._-], starting with a letter or digit), a build (0-64 of
// [A-Za-z0-9._-]), a git commit (empty or 4-64 hex digits), a branch (0-200
// of [A-Za-z0-9._/-], as git allows, no "..").
Status ValidateName(std::string_view what, const std::string& name);
Status ValidateBuild(const std::string& build);
Status ValidateGitCommit(const std::string& commit);
Status ValidateBranch(const std::string& branch);

}  // namespace shoal
