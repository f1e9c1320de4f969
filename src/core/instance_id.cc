#include "core/instance_id.h"

#include <algorithm>
#include <ostream>

namespace shoal {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr int kCounterDigits = 16;  // 64 bits

}  // namespace

std::optional<InstanceId> InstanceId::Parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxLength || !IsAlnum(text.front())) return std::nullopt;
  for (char c : text) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return std::nullopt;
  }
  InstanceId id;
  std::copy(text.begin(), text.end(), id.chars_.begin());
  id.size_ = static_cast<std::uint8_t>(text.size());
  return id;
}

InstanceId InstanceId::FromCounter(std::uint64_t n) {
  constexpr std::string_view kHexDigits = "0123456789abcdef";
  InstanceId id;
  id.chars_[0] = 'i';
  id.chars_[1] = '-';
  for (int i = kCounterDigits - 1; i >= 0; --i) {
    id.chars_[2 + i] = kHexDigits[n & 0xF];
    n >>= 4;
  }
  id.size_ = 2 + kCounterDigits;
  return id;
}

std::optional<std::uint64_t> InstanceId::Counter() const {
  const std::string_view text = view();
  if (!text.starts_with("i-")) return std::nullopt;
  const std::string_view digits = text.substr(2);
  if (digits.empty() || digits.size() > kCounterDigits) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : digits) {
    const int v = HexValue(c);
    if (v < 0) return std::nullopt;
    n = (n << 4) | static_cast<std::uint64_t>(v);
  }
  return n;
}

std::ostream& operator<<(std::ostream& out, const InstanceId& id) { return out << id.view(); }

}  // namespace shoal
