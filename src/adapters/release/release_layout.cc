#include "adapters/release/release_layout.h"

namespace shoal {
namespace {

std::optional<std::uint64_t> NumberBetween(std::string_view key, std::string_view before, std::string_view after) {
  if (key.size() <= before.size() + after.size()) return std::nullopt;
  if (key.substr(0, before.size()) != before || key.substr(key.size() - after.size()) != after) return std::nullopt;
  return ParseVersionNumber(key.substr(before.size(), key.size() - before.size() - after.size()));
}

}  // namespace

std::optional<std::uint64_t> ParseVersionNumber(std::string_view text) {
  if (text.empty() || text.size() > 18 || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::optional<std::uint64_t> ReleaseLayout::VersionOf(std::string_view key, std::string_view suffix) const {
  return NumberBetween(key, Dir() + service + "-", suffix);
}

std::optional<std::uint64_t> ReleaseLayout::PromotionNumber(std::string_view key) const {
  return NumberBetween(key, HistoryDir() + "promote-", ".txt");
}

}  // namespace shoal
