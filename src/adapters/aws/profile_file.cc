#include "adapters/aws/profile_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace shoal::aws {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// The state of the parse: the section and the key whose indented
// sub-settings may follow.
struct Cursor {
  std::string section;
  bool in_section = false;
  std::string parent_key;  // a key with an empty value, or "" when none
};

Status ParseLine(std::string_view raw, Cursor& cursor, IniFile& file, const std::string& where) {
  const bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
  const std::string_view line = Trim(raw);
  if (line.empty() || line[0] == '#' || line[0] == ';') return Status::Ok();
  if (line[0] == '[') {
    if (line.back() != ']') return Status::InvalidArgument(where + ": section header without a closing ']'");
    const std::string_view name = Trim(line.substr(1, line.size() - 2));
    if (name.empty()) return Status::InvalidArgument(where + ": empty section name");
    cursor.section = std::string(name);
    cursor.in_section = true;
    cursor.parent_key.clear();
    file[cursor.section];  // an empty section still exists
    return Status::Ok();
  }
  const auto eq = line.find('=');
  if (eq == std::string_view::npos) {
    return Status::InvalidArgument(where + ": expected `key = value`, got \"" + std::string(line.substr(0, 40)) + "\"");
  }
  if (!cursor.in_section) return Status::InvalidArgument(where + ": a setting before any [section]");
  const std::string key = Lower(Trim(line.substr(0, eq)));
  const std::string value(Trim(line.substr(eq + 1)));
  if (key.empty()) return Status::InvalidArgument(where + ": a setting without a name");
  if (indented && !cursor.parent_key.empty()) {
    file[cursor.section][cursor.parent_key + "." + key] = value;
    return Status::Ok();
  }
  if (indented) return Status::InvalidArgument(where + ": indented setting \"" + key + "\" under no parent key");
  file[cursor.section][key] = value;
  cursor.parent_key = value.empty() ? key : "";
  return Status::Ok();
}

// The file's text; nullopt when it does not exist.
Result<std::optional<std::string>> ReadIfExists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return Status::IoError(path + ": cannot read: " + std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxProfileFileBytes) {
      return Status::InvalidArgument(path + ": larger than " + std::to_string(kMaxProfileFileBytes) + " bytes");
    }
  }
  return std::optional<std::string>(std::move(text));
}

std::optional<std::string> DefaultPath(const EnvLookup& env, const std::string& variable, const char* file) {
  if (auto path = env(variable)) return path;
  if (auto home = env("HOME")) return *home + "/.aws/" + file;
  return std::nullopt;
}

// Merges section `section` of the file at `path` (if any) into `profile`.
Status MergeFrom(const std::optional<std::string>& path, const std::string& section, Profile& profile) {
  if (!path) return Status::Ok();
  auto text = ReadIfExists(*path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return Status::Ok();
  auto parsed = ParseIni(**text, *path);
  if (!parsed.ok()) return parsed.status();
  auto it = parsed->find(section);
  if (it == parsed->end()) return Status::Ok();
  profile.found = true;
  for (const auto& [key, value] : it->second) profile.values[key] = value;
  return Status::Ok();
}

}  // namespace

Result<IniFile> ParseIni(std::string_view text, const std::string& origin) {
  IniFile file;
  Cursor cursor;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    SHOAL_RETURN_IF_ERROR(ParseLine(line, cursor, file, origin + ":" + std::to_string(line_number)));
  }
  return file;
}

std::string ProfileName(const EnvLookup& env, const std::string& requested) {
  if (!requested.empty()) return requested;
  if (auto name = env("AWS_PROFILE")) return *name;
  return "default";
}

Result<Profile> LoadProfile(const EnvLookup& env, const std::string& requested) {
  Profile profile;
  profile.name = ProfileName(env, requested);
  const std::string config_section = profile.name == "default" ? "default" : "profile " + profile.name;
  SHOAL_RETURN_IF_ERROR(MergeFrom(DefaultPath(env, "AWS_CONFIG_FILE", "config"), config_section, profile));
  SHOAL_RETURN_IF_ERROR(
      MergeFrom(DefaultPath(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"), profile.name, profile));
  return profile;
}

}  // namespace shoal::aws
