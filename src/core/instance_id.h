// An instance's id, as its cloud names it: "i-0123456789abcdef0" on EC2; the
// local provider and the simulator make ids of the same form from a counter.
//
// A string, kept inline rather than in a std::string: the core and the
// simulator copy and compare ids constantly, and an EC2 id's 19 characters
// do not fit std::string's small buffer (every copy would allocate).
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

class InstanceId {
 public:
  static constexpr std::size_t kMaxLength = 63;

  InstanceId() = default;  // empty: no instance

  // The id, or nullopt unless `text` is 1..63 characters of [A-Za-z0-9._-]
  // starting with a letter or digit: ids become file names, HAProxy server
  // names and log fields, so nothing else may get in.
  static std::optional<InstanceId> Parse(std::string_view text);
  // "i-" and 16 hex digits of `n`, the form the local provider and the
  // simulator have always used (state written by older versions stays
  // valid); these sort as `n` does. EC2's own ids have 17 digits.
  static InstanceId FromCounter(std::uint64_t n);
  // The number FromCounter made this id from ("i-" and 1 to 16 hex digits);
  // nullopt for any other id.
  std::optional<std::uint64_t> Counter() const;

  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {chars_.data(), size_}; }
  std::string str() const { return std::string(view()); }

  friend bool operator==(const InstanceId& a, const InstanceId& b) { return a.view() == b.view(); }
  friend std::strong_ordering operator<=>(const InstanceId& a, const InstanceId& b) {
    return a.view() <=> b.view();
  }

 private:
  std::array<char, kMaxLength> chars_{};
  std::uint8_t size_ = 0;
};

// For test failures and logs.
std::ostream& operator<<(std::ostream& out, const InstanceId& id);

}  // namespace shoal

template <>
struct std::hash<shoal::InstanceId> {
  std::size_t operator()(const shoal::InstanceId& id) const noexcept {
    return std::hash<std::string_view>{}(id.view());
  }
};
