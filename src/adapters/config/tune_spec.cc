#include "adapters/config/tune_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "adapters/config/duration.h"
#include "adapters/config/tune_reader.h"
#include "adapters/config/yaml_reader.h"
#include "adapters/data/csv.h"

namespace shoal {
namespace {

using config_internal::ConfigError;
using config_internal::Fail;

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool IsIndex(const std::string& s) {
  return !s.empty() && s.size() < 7 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The scalar node at `path`, or an error saying where the path stops.
// Copies of YAML::Node share the document, so the result's Mark() is the
// scalar's place in the text it was loaded from.
std::optional<YAML::Node> Resolve(const YAML::Node& root, const std::string& path, std::string* error) {
  // reset() rebinds a node; operator= would write into the document.
  YAML::Node at;
  at.reset(root);
  std::string walked;
  for (const std::string& part : SplitPath(path)) {
    if (part.empty()) {
      *error = "an empty step in the path (two dots, or one at an end)";
      return std::nullopt;
    }
    const std::string here = walked.empty() ? "the top level" : "\"" + walked + "\"";
    if (at.IsMap()) {
      const YAML::Node& map = at;
      const YAML::Node next = map[part];
      if (!next.IsDefined()) {
        *error = here + " has no key \"" + part + "\" written in the file (write the value to tune it)";
        return std::nullopt;
      }
      at.reset(next);
    } else if (at.IsSequence()) {
      const YAML::Node& list = at;
      YAML::Node next;
      bool found = false;
      for (std::size_t i = 0; i < list.size() && !found; ++i) {
        const YAML::Node item = list[i];
        if (item.IsMap() && item["name"].IsScalar() && item["name"].Scalar() == part) {
          next.reset(item);
          found = true;
        }
      }
      if (!found && IsIndex(part) && std::stoul(part) < list.size()) {
        next.reset(list[std::stoul(part)]);
        found = true;
      }
      if (!found) {
        *error = here + " is a list with no item named \"" + part + "\" (name an item or give its index from 0)";
        return std::nullopt;
      }
      at.reset(next);
    } else {
      *error = here + " is a single value; the path goes on past it";
      return std::nullopt;
    }
    walked += (walked.empty() ? "" : ".") + part;
  }
  if (!at.IsScalar()) {
    *error = "\"" + path + "\" is " + config_internal::Describe(at) + ", not a single value";
    return std::nullopt;
  }
  return at;
}

std::optional<double> Number(const std::string& text) {
  double v = 0;
  if (!ParseDouble(text, v)) return std::nullopt;
  return v;
}

}  // namespace

std::string FormatTuneNumber(double v) {
  if (v == std::round(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

Result<std::string> SubstituteTuneValues(std::string_view yaml_text, const TuneValues& values,
                                         const std::string& source_name, TuneMarks marks) {
  std::string text(yaml_text);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source_name + ": " + e.what());
  }
  struct Edit {
    std::size_t pos = 0;
    std::size_t length = 0;
    std::string value;
  };
  std::vector<Edit> edits;
  for (const auto& [path, value] : values) {
    std::string error;
    std::optional<YAML::Node> node = Resolve(root, path, &error);
    if (!node) return Status::InvalidArgument(source_name + ": tune." + path + ": " + error);
    const std::size_t pos = static_cast<std::size_t>(std::max(0, node->Mark().pos));
    const std::string& scalar = node->Scalar();
    std::size_t length = 0;
    if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
      const std::size_t close = text.find(text[pos], pos + 1);
      if (close != std::string::npos) length = close + 1 - pos;
    } else if (text.compare(pos, scalar.size(), scalar) == 0) {
      length = scalar.size();
    }
    if (length == 0) {
      return Status::InvalidArgument(source_name + ": tune." + path +
                                     ": the value is written in a form tune cannot replace (a block scalar?)");
    }
    YAML::Emitter out;
    out << value;
    const std::string written = out.c_str();
    for (const Edit& e : edits) {
      if (e.length > 0 && e.pos == pos) return Status::InvalidArgument(source_name + ": two tune paths name one value");
    }
    edits.push_back({pos, length, written});
    const std::string old_value = text.substr(pos, length);
    if (marks == TuneMarks::kChanged && written != old_value) {
      // A whole comment line before the value's line, indented as it is: a
      // comment is valid there even inside a flow mapping, and the value's
      // own line (and any comment at its end) stays as written.
      const std::size_t newline = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
      const std::size_t line = newline == std::string::npos ? 0 : newline + 1;
      const std::size_t indent = text.find_first_not_of(" \t", line) - line;
      edits.push_back({line, 0, text.substr(line, indent) + "# shoal tune: " + path + " was " + old_value + "\n"});
    }
  }
  // From the end, so each edit's position is still that of the original
  // text. A mark (length 0) sits at its line's start, before any value on
  // that line; marks for one line go in from the last, so they read in the
  // order of the paths.
  std::reverse(edits.begin(), edits.end());
  std::stable_sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.pos > b.pos; });
  for (const Edit& e : edits) text.replace(e.pos, e.length, e.value);
  return text;
}

namespace config_internal {

std::vector<TuneParam> ReadTune(const YAML::Node& root, const std::string& source) {
  std::vector<TuneParam> params;
  const YAML::Node tune = root["tune"];
  if (!tune.IsDefined() || tune.IsNull()) return params;
  if (!tune.IsMap()) Fail(source, LineOf(tune), "tune", "expected a mapping of value paths, got " + Describe(tune));
  for (const auto& kv : tune) {
    const int line = LineOf(kv.first);
    if (!kv.first.IsScalar()) Fail(source, line, "tune", "a key is not a path");
    TuneParam p;
    p.path = kv.first.Scalar();
    const std::string at = "tune." + p.path;
    for (const TuneParam& other : params) {
      if (other.path == p.path) Fail(source, line, at, "given twice");
    }
    std::string error;
    std::optional<YAML::Node> target = Resolve(root, p.path, &error);
    if (!target) Fail(source, line, at, error);
    if (p.path == "tune" || p.path.rfind("tune.", 0) == 0) Fail(source, line, at, "cannot tune the tune section");
    p.current = target->Scalar();
    const YAML::Node& v = kv.second;
    if (v.IsSequence()) {
      if (v.size() != 2 || !v[0].IsScalar() || !v[1].IsScalar()) {
        Fail(source, line, at, "a range is [low, high] (two numbers or two durations); for a list of values write "
                               "{choices: [a, b, ...]}");
      }
      const std::string lo = v[0].Scalar();
      const std::string hi = v[1].Scalar();
      p.range = true;
      if (std::optional<double> a = Number(lo), b = Number(hi); a && b) {
        p.low = *a;
        p.high = *b;
        p.integer = *a == std::round(*a) && *b == std::round(*b) && lo.find('.') == std::string::npos &&
                    hi.find('.') == std::string::npos;
      } else if (std::optional<Seconds> da = ParseDuration(lo), db = ParseDuration(hi); da && db) {
        p.low = static_cast<double>(*da);
        p.high = static_cast<double>(*db);
        p.integer = true;
        p.duration = true;
        if (*da % 60 == 0 && *db % 60 == 0) {
          p.minutes = true;
          p.low /= 60;
          p.high /= 60;
        }
      } else {
        Fail(source, line, at, "a range's ends must be two numbers or two durations, got [" + lo + ", " + hi + "]");
      }
      if (!(p.low < p.high)) {
        Fail(source, line, at, "empty range [" + lo + ", " + hi + "]: the low end must be below the high end");
      }
    } else if (v.IsMap()) {
      if (v.size() != 1 || !v["choices"].IsDefined()) {
        Fail(source, line, at, "expected {choices: [a, b, ...]} or a range [low, high]");
      }
      const YAML::Node c = v["choices"];
      if (!c.IsSequence() || c.size() == 0) Fail(source, line, at + ".choices", "expected a non-empty list of values");
      for (const auto& item : c) {
        if (!item.IsScalar()) Fail(source, line, at + ".choices", "each choice must be a single value, got " + Describe(item));
        if (std::find(p.choices.begin(), p.choices.end(), item.Scalar()) != p.choices.end()) {
          Fail(source, line, at + ".choices", "\"" + item.Scalar() + "\" is listed twice");
        }
        p.choices.push_back(item.Scalar());
      }
    } else {
      Fail(source, line, at, "expected a range [low, high] or {choices: [a, b, ...]}, got " + Describe(v));
    }
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace config_internal
}  // namespace shoal
