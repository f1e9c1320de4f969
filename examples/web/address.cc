#include "address.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <optional>

namespace shoal::web {
namespace {

std::optional<std::array<uint8_t, 4>> ParseV4(const std::string& host) {
  std::array<uint8_t, 4> bytes{};
  if (inet_pton(AF_INET, host.c_str(), bytes.data()) != 1) return std::nullopt;
  return bytes;
}

std::optional<std::array<uint8_t, 16>> ParseV6(const std::string& host) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET6, host.c_str(), bytes.data()) != 1) return std::nullopt;
  return bytes;
}

bool IsV6Loopback(const std::array<uint8_t, 16>& b) {
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    if (b[i] != 0) return false;
  }
  return b[15] == 1;
}

bool IsPrivateV4(const std::array<uint8_t, 4>& b) {
  return b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168);
}

}  // namespace

bool IsLoopbackAddress(const std::string& host) {
  if (const auto v4 = ParseV4(host)) return (*v4)[0] == 127;
  if (const auto v6 = ParseV6(host)) return IsV6Loopback(*v6);
  return false;
}

bool IsLoopbackOrPrivateAddress(const std::string& host) {
  if (IsLoopbackAddress(host)) return true;
  if (const auto v4 = ParseV4(host)) return IsPrivateV4(*v4);
  if (const auto v6 = ParseV6(host)) return ((*v6)[0] & 0xFE) == 0xFC;
  return false;
}

}  // namespace shoal::web
