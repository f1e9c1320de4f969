#include "adapters/config/field_names.h"

#include <string_view>
#include <utility>

namespace shoal::config_internal {
namespace {

// Core field -> config key, for every field whose spelling differs.
constexpr std::pair<std::string_view, std::string_view> kRenames[] = {
    {"scaling_adjustment", "adjustment"},
    {"lower_bound", "lower"},
    {"upper_bound", "upper"},
    {"period_seconds", "period"},
    {"target_value", "target"},
    {"target_metric", "metric"},
    {"bid_usd_per_hour", "bid"},
    {"capacity.strategy", "capacity.allocation_strategy"},
    {"shape.scale_out_evaluation_periods", "alarm_shape.scale_out.evaluation_periods"},
    {"shape.scale_out_datapoints", "alarm_shape.scale_out.datapoints"},
    {"shape.scale_in_evaluation_periods", "alarm_shape.scale_in.evaluation_periods"},
    {"shape.scale_in_datapoints", "alarm_shape.scale_in.datapoints"},
    {"shape.scale_in_ratio", "alarm_shape.scale_in.ratio"},
};

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Replaces `from` where it stands as a whole identifier (so "lower_bound"
// inside "my_lower_bounds" stays), a dot before it being part of a path.
std::string ReplaceWord(std::string text, std::string_view from, std::string_view to) {
  std::size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    std::size_t end = pos + from.size();
    bool starts = pos == 0 || !IsWordChar(text[pos - 1]);
    bool ends = end == text.size() || !IsWordChar(text[end]);
    if (starts && ends) {
      text.replace(pos, from.size(), to);
      pos += to.size();
    } else {
      pos = end;
    }
  }
  return text;
}

}  // namespace

std::string WithConfigKeyNames(const std::string& core_message) {
  std::string message = core_message;
  for (const auto& [from, to] : kRenames) message = ReplaceWord(std::move(message), from, to);
  return message;
}

}  // namespace shoal::config_internal
