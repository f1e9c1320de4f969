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
#include <cstring>
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

  // Both compare the whole buffers eight bytes at a time, not the texts
  // with memcmp: the simulator's and the controller's id searches spent a
  // tenth of their time in memcmp calls. The same answers as comparing the
  // texts, because the buffer is zero past the text and an id holds no zero
  // byte: where one text ends the other's next byte is larger.
  friend bool operator==(const InstanceId& a, const InstanceId& b) { return Compare(a, b) == 0; }
  friend std::strong_ordering operator<=>(const InstanceId& a, const InstanceId& b) {
    return Compare(a, b) <=> 0;
  }

 private:
  static int Compare(const InstanceId& a, const InstanceId& b) {
    // Words at 0, 8, ..., 48, then the last at 55 (it overlaps by a byte
    // already found equal), read big-endian so that integer order is text
    // order.
    for (std::size_t at = 0;; at = at + 8 < kMaxLength - 8 ? at + 8 : kMaxLength - 8) {
      std::uint64_t x;
      std::uint64_t y;
      std::memcpy(&x, a.chars_.data() + at, sizeof x);
      std::memcpy(&y, b.chars_.data() + at, sizeof y);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
      if (at == kMaxLength - 8) return 0;
    }
  }

  // The length first: empty() reads the id's first byte, which a struct
  // that keeps its hot fields in one cache line can reach (core/instance.h).
  std::uint8_t size_ = 0;
  std::array<char, kMaxLength> chars_{};
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
