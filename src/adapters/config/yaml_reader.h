// Typed, path-aware reading of one YAML mapping of the config.
//
// Every read checks the value and, when it is wrong, throws ConfigError with
// the message "<source>:<line>: <key path>: <what is wrong>". Exceptions stay
// inside this adapter (ParseConfig turns them into a Status): checking ~60
// fields by hand with early returns would bury the schema in plumbing.
#pragma once

#include <climits>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/time.h"

namespace shoal::config_internal {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<source>:<line>: <path>: <what>"; the line is left out when unknown (< 1)
// and the path when empty.
std::string FormatError(const std::string& source, int line, const std::string& path,
                        const std::string& what);
[[noreturn]] void Fail(const std::string& source, int line, const std::string& path,
                       const std::string& what);

// How a value appears in "got ..." messages: "\"abc\"", "a list", "a mapping", "nothing".
std::string Describe(const YAML::Node& node);

// 1-based line of a node parsed from text, or 0 when yaml-cpp has none.
int LineOf(const YAML::Node& node);

std::string Join(const std::vector<std::string>& names);

class MapReader {
 public:
  // Fails unless `node` is a mapping; a null node (an absent or empty
  // section) reads as an empty mapping, so every field keeps its default.
  MapReader(const std::string& source, const YAML::Node& node, std::string path,
            int fallback_line);

  // Fails on a key that is not in `allowed` (listing the allowed ones) and on
  // a key given twice. The readers pass the keys of the schema table
  // (schema.h), so what they accept is what plan compares.
  void AllowOnly(const std::vector<std::string_view>& allowed) const;
  bool Has(std::string_view key) const;
  void Require(std::string_view key) const;
  [[noreturn]] void FailAt(std::string_view key, const std::string& what) const;
  [[noreturn]] void FailHere(const std::string& what) const;
  std::string PathOf(std::string_view key) const;
  int LineOf(std::string_view key) const;  // the key's, else the mapping's
  const std::string& path() const { return path_; }
  int line() const { return line_; }

  // Each reader sets *out only when the key is present, so the caller's
  // initial value (the struct's default) stands otherwise.
  void Int(std::string_view key, int* out, int min = 0, int max = INT_MAX) const;
  // A non-empty list of non-empty strings (an argv).
  void StringList(std::string_view key, std::vector<std::string>* out) const;
  // A list of argvs.
  void StringLists(std::string_view key, std::vector<std::vector<std::string>>* out) const;
  // A mapping of environment variable names to values.
  void Environment(std::string_view key, std::vector<std::pair<std::string, std::string>>* out) const;
  // A mapping of names to strings (like resource tags): names of 1 to
  // `max_name` bytes, values of at most `max_value`, no control characters.
  void StringMap(std::string_view key, std::vector<std::pair<std::string, std::string>>* out, std::size_t max_name,
                 std::size_t max_value) const;
  // A list of integers, each within [min, max]; an empty list is an error.
  // allow_empty: an empty list is a value ("none"), not a mistake.
  void IntList(std::string_view key, std::vector<int>* out, int min, int max, bool allow_empty = false) const;
  void Number(std::string_view key, double* out) const;
  void NonNegativeNumber(std::string_view key, double* out) const;
  void PositiveNumber(std::string_view key, double* out) const;
  // Null, absent and ".inf" of the right sign read as nullopt (unbounded).
  void Bound(std::string_view key, std::optional<double>* out, bool upper) const;
  void Bool(std::string_view key, bool* out) const;
  void String(std::string_view key, std::string* out) const;  // non-empty
  void Duration(std::string_view key, Seconds* out) const;
  void Duration(std::string_view key, int* out) const;
  // Null reads as nullopt: "no value of its own".
  void OptionalDuration(std::string_view key, std::optional<Seconds>* out) const;

  template <typename E>
  void Enum(std::string_view key, E* out, bool (*parse)(std::string_view, E*),
            const std::vector<std::string>& names) const {
    if (!Has(key)) return;
    std::string text = Scalar(key, "one of: " + Join(names));
    if (!parse(text, out)) FailAt(key, "bad value \"" + text + "\"; allowed: " + Join(names));
  }

  // A nested section; absent reads as empty.
  MapReader Map(std::string_view key) const;
  // A list of mappings; absent or null reads as an empty list.
  std::vector<MapReader> List(std::string_view key) const;

 private:
  YAML::Node Value(std::string_view key) const;
  // The scalar text of `key`; fails with "expected <expected>, got ..." otherwise.
  std::string Scalar(std::string_view key, const std::string& expected) const;

  std::string source_;
  YAML::Node node_;
  std::string path_;
  int line_;
};

// The names of `values` as the core spells them (its ToString), for
// "allowed: ..." lists that stay true when the core adds a spelling.
template <typename E>
std::vector<std::string> NamesOf(std::initializer_list<E> values) {
  std::vector<std::string> names;
  for (E v : values) names.emplace_back(ToString(v));
  return names;
}

}  // namespace shoal::config_internal
