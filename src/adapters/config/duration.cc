#include "adapters/config/duration.h"

#include <cstdint>
#include <limits>

namespace shoal::config_internal {
namespace {

constexpr Seconds kDay = 24 * kHour;
constexpr Seconds kMaxDuration = std::numeric_limits<Seconds>::max() / kDay;

std::optional<Seconds> UnitSeconds(char unit) {
  switch (unit) {
    case 's': return 1;
    case 'm': return kMinute;
    case 'h': return kHour;
    case 'd': return kDay;
    default: return std::nullopt;
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Seconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Seconds total = 0;
  std::size_t i = 0;
  for (int parts = 0; i < text.size(); ++parts) {
    if (!IsDigit(text[i])) return std::nullopt;
    Seconds amount = 0;
    for (; i < text.size() && IsDigit(text[i]); ++i) {
      amount = amount * 10 + (text[i] - '0');
      if (amount > kMaxDuration) return std::nullopt;
    }
    Seconds unit = 1;
    if (i < text.size()) {
      std::optional<Seconds> u = UnitSeconds(text[i++]);
      if (!u) return std::nullopt;
      unit = *u;
    } else if (parts > 0) {
      return std::nullopt;  // "1m30" is ambiguous: a bare number only stands alone
    }
    total += amount * unit;
    if (total > kMaxDuration) return std::nullopt;
  }
  return total;
}

}  // namespace shoal::config_internal
