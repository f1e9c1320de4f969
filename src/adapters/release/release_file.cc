#include "adapters/release/release_file.h"

#include <algorithm>
#include <set>

#include "adapters/blob/sha256.h"

namespace shoal {
namespace {

constexpr std::size_t kMaxValueBytes = 512;

bool KeyChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }
bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}
bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string Find(const KeyValues& values, std::string_view key) {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return "";
}

bool Has(const KeyValues& values, std::string_view key) {
  return std::any_of(values.begin(), values.end(), [&](const auto& kv) { return kv.first == key; });
}

Result<std::uint64_t> ParseCount(std::string_view key, const std::string& text) {
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidArgument(std::string(key) + "=" + text + " is not a whole number");
  }
  return std::stoull(text);
}

// A value holding a RELEASE key's name would be matched by `grep KEY` too.
bool MentionsKey(const std::string& value) {
  for (const char* key : {"MODULE", "VERSION", "BUILD", "GIT_COMMIT", "TIMESTAMP"}) {
    if (value.find(key) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Result<KeyValues> ParseKeyValues(std::string_view text) {
  KeyValues values;
  std::set<std::string> seen;
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::size_t eq = line.find('=');
    const std::string where = "line " + std::to_string(line_number);
    if (eq == std::string_view::npos) return Status::InvalidArgument(where + " is not KEY=value");
    const std::string key(line.substr(0, eq));
    if (key.empty() || !std::all_of(key.begin(), key.end(), KeyChar)) {
      return Status::InvalidArgument(where + ": key \"" + key + "\" is not [A-Z0-9_]");
    }
    if (!seen.insert(key).second) return Status::InvalidArgument(where + ": " + key + " appears twice");
    if (line.size() - eq - 1 > kMaxValueBytes) return Status::InvalidArgument(where + ": value of " + key + " is too long");
    values.emplace_back(key, std::string(line.substr(eq + 1)));
  }
  return values;
}

std::string FormatKeyValues(const KeyValues& values) {
  std::string text;
  for (const auto& [k, v] : values) text += k + "=" + v + "\n";
  return text;
}

namespace {

KeyValues ReleaseValues(const ReleaseFile& r) {
  return {{"MODULE", r.module},
          {"VERSION", std::to_string(r.version)},
          {"BUILD", r.build},
          {"GIT_COMMIT", r.git_commit},
          {"TIMESTAMP", r.timestamp}};
}

Result<ReleaseFile> ReleaseFromValues(const KeyValues& values) {
  std::string missing;
  for (const char* key : {"MODULE", "VERSION", "BUILD", "GIT_COMMIT", "TIMESTAMP"}) {
    if (!Has(values, key)) missing += std::string(missing.empty() ? "" : ", ") + key;
  }
  if (!missing.empty()) return Status::InvalidArgument("missing key(s) " + missing);
  ReleaseFile r;
  r.module = Find(values, "MODULE");
  auto version = ParseCount("VERSION", Find(values, "VERSION"));
  if (!version.ok()) return version.status();
  if (*version == 0) return Status::InvalidArgument("VERSION=0: versions start at 1");
  r.version = *version;
  r.build = Find(values, "BUILD");
  r.git_commit = Find(values, "GIT_COMMIT");
  r.timestamp = Find(values, "TIMESTAMP");
  return r;
}

}  // namespace

std::string FormatReleaseFile(const ReleaseFile& release) { return FormatKeyValues(ReleaseValues(release)); }

Result<ReleaseFile> ParseReleaseFile(std::string_view text) {
  auto values = ParseKeyValues(text);
  if (!values.ok()) return values.status();
  return ReleaseFromValues(*values);
}

std::string FormatManifest(const ReleaseManifest& m) {
  KeyValues values = ReleaseValues(m.release);
  values.emplace_back("ENV", m.env);
  values.emplace_back("BRANCH", m.branch);
  values.emplace_back("SHA256", m.sha256);
  values.emplace_back("SIZE", std::to_string(m.size));
  return FormatKeyValues(values);
}

Result<ReleaseManifest> ParseManifest(std::string_view text) {
  auto values = ParseKeyValues(text);
  if (!values.ok()) return values.status();
  auto release = ReleaseFromValues(*values);
  if (!release.ok()) return release.status();
  ReleaseManifest m;
  m.release = std::move(*release);
  m.env = Find(*values, "ENV");
  m.branch = Find(*values, "BRANCH");
  m.sha256 = Find(*values, "SHA256");
  if (!IsSha256Hex(m.sha256)) return Status::InvalidArgument("SHA256 is missing or not 64 hex digits");
  auto size = ParseCount("SIZE", Find(*values, "SIZE"));
  if (!size.ok()) return size.status();
  m.size = *size;
  return m;
}

Status ValidateName(std::string_view what, const std::string& name) {
  if (name.empty() || name.size() > 64 || !Alnum(name.front()) || !std::all_of(name.begin(), name.end(), NameChar)) {
    return Status::InvalidArgument(std::string(what) + " \"" + name +
                                   "\" must be 1-64 of [A-Za-z0-9._-] starting with a letter or digit");
  }
  if (MentionsKey(name)) {
    return Status::InvalidArgument(std::string(what) + " \"" + name + "\" contains a RELEASE key name, which `grep` would match");
  }
  return Status::Ok();
}

Status ValidateBuild(const std::string& build) {
  if (build.size() > 64 || !std::all_of(build.begin(), build.end(), NameChar)) {
    return Status::InvalidArgument("--build \"" + build + "\" must be at most 64 of [A-Za-z0-9._-]");
  }
  if (MentionsKey(build)) return Status::InvalidArgument("--build \"" + build + "\" contains a RELEASE key name, which `grep` would match");
  return Status::Ok();
}

Status ValidateGitCommit(const std::string& commit) {
  const bool hex = std::all_of(commit.begin(), commit.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  if (!commit.empty() && (commit.size() < 4 || commit.size() > 64 || !hex)) {
    return Status::InvalidArgument("--git-commit \"" + commit + "\" must be 4-64 lower-case hex digits (a commit id)");
  }
  return Status::Ok();
}

Status ValidateBranch(const std::string& branch) {
  const bool chars = std::all_of(branch.begin(), branch.end(), [](char c) { return NameChar(c) || c == '/'; });
  if (branch.size() > 200 || !chars || branch.find("..") != std::string::npos || (!branch.empty() && branch.front() == '-')) {
    return Status::InvalidArgument("--branch \"" + branch + "\" must be at most 200 of [A-Za-z0-9._/-], without \"..\"");
  }
  return Status::Ok();
}

}  // namespace shoal
