// The config's `tune:` section: which values `shoal tune` may change, and
// over what. Each key is a dotted path to a value written in the same file
// ("groups.web.policies.track-cpu.target"); a list item is named by its
// `name` or by its index from 0 ("groups.web.policies.surge.steps.1.adjustment").
// Each value is either a range, [low, high] (numbers or durations), or
// {choices: [a, b, ...]}. Only `shoal tune` reads the section.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace shoal {

struct TuneParam {
  std::string path;   // as written in `tune:`
  bool range = false;
  double low = 0;     // a range: inclusive ends (seconds for durations)
  double high = 0;
  bool integer = false;   // both ends whole numbers: whole values only
  bool duration = false;  // both ends durations: values written "<N>m" (both ends whole minutes) or "<N>s"
  bool minutes = false;   // a duration range of whole minutes: low/high in minutes
  std::vector<std::string> choices;  // not a range: the values as written
  std::string current;               // the value the config has now, as written
};

// One value for each path, as YAML scalar text ("57.5", "300s", "true").
using TuneValues = std::vector<std::pair<std::string, std::string>>;

// How SubstituteTuneValues leaves the text around a value it changes.
enum class TuneMarks {
  kNone,     // only the values change (the configs a search evaluates)
  kChanged,  // a comment line above each changed value names it and its old
             // value: the prose comments near it were written for the old one
};

// `yaml_text` with the scalar at each path replaced by its value; the rest
// of the text (comments, layout) is kept. Fails naming a path that does not
// lead to a value written in the text.
Result<std::string> SubstituteTuneValues(std::string_view yaml_text, const TuneValues& values,
                                         const std::string& source_name, TuneMarks marks = TuneMarks::kNone);

// How a number is written in a tuned config: whole numbers without a point,
// others with at most four significant digits.
std::string FormatTuneNumber(double v);

}  // namespace shoal
