// The shared AWS config and credentials files (~/.aws/config,
// ~/.aws/credentials) and the profile a process uses, as the AWS SDKs read
// them:
//   - credentials file: AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials;
//     sections are named by the profile: [default], [prod]
//   - config file: AWS_CONFIG_FILE, else $HOME/.aws/config; sections are
//     [default] and [profile prod]; other kinds ([sso-session x],
//     [services x]) are skipped
//   - the profile: the one asked for, else AWS_PROFILE, else "default"
//   - a key in the credentials file wins over the same key in the config
// Keys are case-insensitive; lines starting with '#' or ';' are comments;
// indented lines under a key with an empty value are that key's
// sub-settings (e.g. `s3 =` then `  addressing_style = path`) and are kept as
// "s3.addressing_style".
//
// Hand-written rather than Debian's inih: inih cuts lines at 200 bytes, and
// a session token alone is longer, so it would silently sign with half a
// token.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/aws/environment.h"
#include "core/status.h"

namespace shoal::aws {

using IniSection = std::map<std::string, std::string>;
using IniFile = std::map<std::string, IniSection>;

// Parses one file's text; `origin` (the path) names it in errors:
// "<origin>:<line>: <what is wrong>".
Result<IniFile> ParseIni(std::string_view text, const std::string& origin);

// The files are read whole, up to this size; a larger one is refused.
constexpr std::size_t kMaxProfileFileBytes = 1 << 20;

struct Profile {
  std::string name;
  IniSection values;  // merged: config first, the credentials file over it
  bool found = false; // a section of that name exists in either file
};

// The profile's name: `requested` if not empty, else AWS_PROFILE, else "default".
std::string ProfileName(const EnvLookup& env, const std::string& requested);

// Reads both files (a missing file is empty) and merges the profile. Errors:
// a file that exists but cannot be read, is too large or does not parse.
Result<Profile> LoadProfile(const EnvLookup& env, const std::string& requested);

}  // namespace shoal::aws
