#include "adapters/config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "adapters/config/duration.h"

namespace shoal::config_internal {
namespace {

constexpr std::size_t kMaxShownChars = 40;  // long values are cut in messages
constexpr const char* kDurationForms =
    "a duration (seconds, or a number with unit s, m, h or d such as \"300s\", \"5m\", \"2h\", \"90d\")";
// execve refuses a single argument or environment string longer than this
// (Linux's MAX_ARG_STRLEN, 32 pages of 4 KiB).
constexpr std::size_t kMaxExecString = 32 * 4096 - 1;
// Set by Shoal for every instance: a second value in the environment would
// leave the service reading one or the other, depending on how it looks.
constexpr std::string_view kReservedEnv[] = {"PORT", "SHOAL_INSTANCE_ID", "SHOAL_INSTANCE_DIR"};

std::string Quote(const std::string& text) {
  if (text.size() <= kMaxShownChars) return "\"" + text + "\"";
  return "\"" + text.substr(0, kMaxShownChars) + "...\"";
}

// An integer too large for 64 bits reads as the bound of its sign, so the
// range check names it ("must be at most ...") rather than calling it no
// integer at all.
std::optional<long long> ToInteger(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    return text.front() == '-' ? std::numeric_limits<long long>::min() : std::numeric_limits<long long>::max();
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

// Finite numbers only: from_chars also takes "inf" and "nan", which no
// field of the config means.
std::optional<double> ToNumber(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

// YAML 1.2 spells infinity ".inf"; the plain "inf" is accepted too.
std::optional<int> InfinitySign(const std::string& text) {
  static const std::set<std::string> kPositive = {".inf", ".Inf", ".INF", "+.inf", "+.Inf",
                                                  "+.INF", "inf", "+inf"};
  static const std::set<std::string> kNegative = {"-.inf", "-.Inf", "-.INF", "-inf"};
  if (kPositive.count(text) != 0) return 1;
  if (kNegative.count(text) != 0) return -1;
  return std::nullopt;
}

std::optional<bool> ToBool(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

}  // namespace

std::string FormatError(const std::string& source, int line, const std::string& path,
                        const std::string& what) {
  std::string message = source;
  if (line > 0) message += ":" + std::to_string(line);
  message += ": ";
  if (!path.empty()) message += path + ": ";
  return message + what;
}

void Fail(const std::string& source, int line, const std::string& path, const std::string& what) {
  throw ConfigError(FormatError(source, line, path, what));
}

std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return Quote(node.Scalar());
}

int LineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  return node.Mark().line + 1;  // a null mark has line -1
}

std::string Join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

MapReader::MapReader(const std::string& source, const YAML::Node& node, std::string path,
                     int fallback_line)
    : source_(source), node_(node), path_(std::move(path)) {
  int own_line = config_internal::LineOf(node);
  line_ = own_line > 0 ? own_line : fallback_line;
  if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap()) {
    FailHere("expected a mapping, got " + Describe(node_));
  }
}

void MapReader::AllowOnly(const std::vector<std::string_view>& allowed) const {
  if (!node_.IsMap()) return;
  std::vector<std::string> names(allowed.begin(), allowed.end());
  std::set<std::string> seen;
  for (const auto& entry : node_) {
    const YAML::Node key = entry.first;
    int line = config_internal::LineOf(key);
    if (!key.IsScalar()) Fail(source_, line, path_, "keys must be plain names, got " + Describe(key));
    std::string name = key.Scalar();
    std::string key_path = path_.empty() ? name : path_ + "." + name;
    bool known = false;
    for (std::string_view a : allowed) known = known || a == name;
    if (!known) Fail(source_, line, key_path, "unknown key; allowed: " + Join(names));
    if (!seen.insert(name).second) Fail(source_, line, key_path, "key given twice");
  }
}

YAML::Node MapReader::Value(std::string_view key) const {
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node& map = node_;
  return map[std::string(key)];
}

bool MapReader::Has(std::string_view key) const { return Value(key).IsDefined(); }

void MapReader::Require(std::string_view key) const {
  if (!Has(key)) Fail(source_, line_, PathOf(key), "missing required key");
}

void MapReader::FailAt(std::string_view key, const std::string& what) const {
  Fail(source_, LineOf(key), PathOf(key), what);
}

void MapReader::FailHere(const std::string& what) const { Fail(source_, line_, path_, what); }

std::string MapReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

// The key's own line: a null value's mark points at the next token, and a
// block value starts on the line after its key.
int MapReader::LineOf(std::string_view key) const {
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      const YAML::Node name = entry.first;
      if (name.IsScalar() && name.Scalar() == key) {
        int line = config_internal::LineOf(name);
        if (line > 0) return line;
      }
    }
  }
  return line_;
}

std::string MapReader::Scalar(std::string_view key, const std::string& expected) const {
  YAML::Node value = Value(key);
  if (!value.IsScalar()) FailAt(key, "expected " + expected + ", got " + Describe(value));
  return value.Scalar();
}

void MapReader::Int(std::string_view key, int* out, int min, int max) const {
  if (!Has(key)) return;
  std::string text = Scalar(key, "an integer");
  std::optional<long long> value = ToInteger(text);
  if (!value) FailAt(key, "expected an integer, got " + Quote(text));
  if (*value < min) {
    FailAt(key, min == 0 ? "must not be negative, got " + text
                         : "must be at least " + std::to_string(min) + ", got " + text);
  }
  if (*value > max) FailAt(key, "must be at most " + std::to_string(max) + ", got " + text);
  *out = static_cast<int>(*value);
}

namespace {

// What execve would cut short or refuse, were the string passed to it: a NUL
// ends the string there (the rest silently dropped), and past
// kMaxExecString the launch fails with E2BIG. `prefix` is what execve gets
// before it ("NAME=" for an environment value).
std::optional<std::string> ExecStringProblem(const std::string& text, std::size_t prefix = 0) {
  if (text.find('\0') != std::string::npos) {
    return "holds a NUL character (at position " + std::to_string(text.find('\0')) +
           "), which a program's arguments and environment cannot carry";
  }
  if (prefix + text.size() > kMaxExecString) {
    return "is " + std::to_string(text.size()) + " bytes; a program's argument or environment string may be at most " +
           std::to_string(kMaxExecString - prefix);
  }
  return std::nullopt;
}

// The argv at `node`, or the reason it is not one.
std::optional<std::string> ReadArgv(const YAML::Node& node, std::vector<std::string>* out) {
  if (!node.IsSequence() || node.size() == 0) {
    return "expected a non-empty list of arguments (an argv, not a shell string), got " + Describe(node);
  }
  std::vector<std::string> argv;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string where = "[" + std::to_string(i) + "]: ";
    if (!node[i].IsScalar() || node[i].Scalar().empty()) {
      return where + "expected a non-empty string, got " + Describe(node[i]);
    }
    if (auto why = ExecStringProblem(node[i].Scalar())) return where + *why;
    argv.push_back(node[i].Scalar());
  }
  *out = std::move(argv);
  return std::nullopt;
}

bool IsEnvName(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

// A name as a message can show it: bytes outside printable ASCII as \xNN.
std::string Printable(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text.substr(0, kMaxShownChars)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      out += std::string("\\x") + kHex[u >> 4] + kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return text.size() > kMaxShownChars ? out + "..." : out;
}

}  // namespace

void MapReader::StringList(std::string_view key, std::vector<std::string>* out) const {
  if (!Has(key)) return;
  if (auto why = ReadArgv(Value(key), out)) FailAt(key, *why);
}

void MapReader::StringLists(std::string_view key, std::vector<std::vector<std::string>>* out) const {
  if (!Has(key)) return;
  const YAML::Node list = Value(key);
  if (!list.IsSequence()) FailAt(key, "expected a list of commands (each an argv list), got " + Describe(list));
  std::vector<std::vector<std::string>> all;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::vector<std::string> argv;
    if (auto why = ReadArgv(list[i], &argv)) FailAt(key, "[" + std::to_string(i) + "]: " + *why);
    all.push_back(std::move(argv));
  }
  *out = std::move(all);
}

void MapReader::Environment(std::string_view key, std::vector<std::pair<std::string, std::string>>* out) const {
  if (!Has(key)) return;
  const YAML::Node map = Value(key);
  if (!map.IsMap()) FailAt(key, "expected a mapping of NAME: value, got " + Describe(map));
  std::vector<std::pair<std::string, std::string>> env;
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) FailAt(key, "names must be plain strings, got " + Describe(kv.first));
    const std::string name = kv.first.Scalar();
    if (!IsEnvName(name)) {
      FailAt(key, "\"" + Printable(name) +
                      "\" is not an environment variable name (A-Z, 0-9 and _, not starting with a digit)");
    }
    for (std::string_view reserved : kReservedEnv) {
      if (name == reserved) FailAt(key, name + ": is set by Shoal for every instance and cannot be given here");
    }
    if (!seen.insert(name).second) FailAt(key, name + ": given twice");
    if (!kv.second.IsScalar()) FailAt(key, name + ": expected a string, got " + Describe(kv.second));
    if (auto why = ExecStringProblem(kv.second.Scalar(), name.size() + 1)) FailAt(key, name + ": the value " + *why);
    env.emplace_back(name, kv.second.Scalar());
  }
  *out = std::move(env);
}

void MapReader::StringMap(std::string_view key, std::vector<std::pair<std::string, std::string>>* out,
                          std::size_t max_name, std::size_t max_value) const {
  if (!Has(key)) return;
  const YAML::Node map = Value(key);
  if (!map.IsMap()) FailAt(key, "expected a mapping of name: value, got " + Describe(map));
  auto printable = [](const std::string& text) {
    return std::none_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  };
  std::vector<std::pair<std::string, std::string>> items;
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) FailAt(key, "names must be plain strings, got " + Describe(kv.first));
    const std::string name = kv.first.Scalar();
    if (name.empty() || name.size() > max_name || !printable(name)) {
      FailAt(key, "\"" + Printable(name) + "\": a name has 1 to " + std::to_string(max_name) +
                      " printable characters");
    }
    if (!seen.insert(name).second) FailAt(key, name + ": given twice");
    if (!kv.second.IsScalar()) FailAt(key, name + ": expected a string, got " + Describe(kv.second));
    const std::string value = kv.second.Scalar();
    if (value.size() > max_value || !printable(value)) {
      FailAt(key, name + ": the value has at most " + std::to_string(max_value) + " printable characters");
    }
    items.emplace_back(name, value);
  }
  *out = std::move(items);
}

void MapReader::IntList(std::string_view key, std::vector<int>* out, int min, int max, bool allow_empty) const {
  if (!Has(key)) return;
  const YAML::Node list = Value(key);
  if (!list.IsSequence() || (list.size() == 0 && !allow_empty)) {
    FailAt(key, std::string(allow_empty ? "expected a list of integers, got " : "expected a non-empty list of integers, got ") +
                    Describe(list));
  }
  std::vector<int> values;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "[" + std::to_string(i) + "]";
    if (!list[i].IsScalar()) FailAt(key, where + ": expected an integer, got " + Describe(list[i]));
    const std::optional<long long> v = ToInteger(list[i].Scalar());
    if (!v) FailAt(key, where + ": expected an integer, got " + Quote(list[i].Scalar()));
    if (*v < min || *v > max) {
      FailAt(key, where + ": must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + list[i].Scalar());
    }
    values.push_back(static_cast<int>(*v));
  }
  *out = std::move(values);
}

void MapReader::Number(std::string_view key, double* out) const {
  if (!Has(key)) return;
  std::string text = Scalar(key, "a number");
  std::optional<double> value = ToNumber(text);
  if (!value) FailAt(key, "expected a number, got " + Quote(text));
  *out = *value;
}

void MapReader::NonNegativeNumber(std::string_view key, double* out) const {
  double value = *out;
  Number(key, &value);
  if (value < 0) FailAt(key, "must not be negative, got " + Value(key).Scalar());
  *out = value;
}

void MapReader::PositiveNumber(std::string_view key, double* out) const {
  double value = *out;
  Number(key, &value);
  if (value <= 0) FailAt(key, "must be greater than 0, got " + Value(key).Scalar());
  *out = value;
}

void MapReader::Bound(std::string_view key, std::optional<double>* out, bool upper) const {
  if (!Has(key) || Value(key).IsNull()) return;
  std::string text = Scalar(key, "a number or .inf");
  if (std::optional<int> sign = InfinitySign(text)) {
    if ((*sign > 0) != upper) {
      FailAt(key, std::string(upper ? "an upper" : "a lower") + " bound cannot be " + text);
    }
    *out = std::nullopt;
    return;
  }
  std::optional<double> value = ToNumber(text);
  if (!value) FailAt(key, "expected a number or .inf, got " + Quote(text));
  *out = *value;
}

void MapReader::Bool(std::string_view key, bool* out) const {
  if (!Has(key)) return;
  std::string text = Scalar(key, "true or false");
  std::optional<bool> value = ToBool(text);
  if (!value) FailAt(key, "expected true or false, got " + Quote(text));
  *out = *value;
}

void MapReader::String(std::string_view key, std::string* out) const {
  if (!Has(key)) return;
  std::string text = Scalar(key, "a string");
  if (text.empty()) FailAt(key, "must not be empty");
  *out = std::move(text);
}

void MapReader::Duration(std::string_view key, Seconds* out) const {
  if (!Has(key)) return;
  std::string text = Scalar(key, kDurationForms);
  if (!text.empty() && text.front() == '-') FailAt(key, "must not be negative, got " + text);
  std::optional<Seconds> value = ParseDuration(text);
  if (!value) FailAt(key, std::string("expected ") + kDurationForms + ", got " + Quote(text));
  *out = *value;
}

void MapReader::Duration(std::string_view key, int* out) const {
  Seconds value = *out;
  Duration(key, &value);
  if (value > INT_MAX) FailAt(key, "must be at most " + std::to_string(INT_MAX) + " seconds");
  *out = static_cast<int>(value);
}

void MapReader::OptionalDuration(std::string_view key, std::optional<Seconds>* out) const {
  if (!Has(key)) return;
  if (Value(key).IsNull()) {
    *out = std::nullopt;
    return;
  }
  Seconds value = 0;
  Duration(key, &value);
  *out = value;
}

MapReader MapReader::Map(std::string_view key) const {
  YAML::Node value = Value(key);
  return MapReader(source_, value.IsDefined() ? value : YAML::Node(), PathOf(key), LineOf(key));
}

std::vector<MapReader> MapReader::List(std::string_view key) const {
  YAML::Node value = Value(key);
  std::vector<MapReader> items;
  if (!value.IsDefined() || value.IsNull()) return items;
  if (!value.IsSequence()) FailAt(key, "expected a list, got " + Describe(value));
  for (const YAML::Node& item : value) {
    std::string item_path = PathOf(key) + "[" + std::to_string(items.size()) + "]";
    items.emplace_back(source_, item, std::move(item_path), LineOf(key));
  }
  return items;
}

}  // namespace shoal::config_internal
