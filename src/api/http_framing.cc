#include "api/http_framing.h"

#include <charconv>
#include <optional>

namespace shoal {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

RequestFraming Refuse(int status, std::string reason) {
  RequestFraming f;
  f.state = RequestFraming::State::kRefused;
  f.status = status;
  f.reason = std::move(reason);
  return f;
}

}  // namespace

RequestFraming ExamineRequest(std::string_view received, const FramingLimits& limits) {
  const std::size_t blank = received.find("\r\n\r\n");
  const std::size_t head_bytes = blank == std::string_view::npos ? std::string_view::npos : blank + 4;
  if ((blank == std::string_view::npos && received.size() > limits.max_head_bytes) ||
      (blank != std::string_view::npos && head_bytes > limits.max_head_bytes)) {
    return Refuse(431, "the request line and headers exceed " + std::to_string(limits.max_head_bytes) + " bytes");
  }
  if (blank == std::string_view::npos) return {};

  RequestFraming f;
  f.state = RequestFraming::State::kReady;
  f.head_bytes = head_bytes;
  std::optional<std::size_t> length;
  // Header lines follow the request line; each is "name: value".
  std::size_t pos = received.find("\r\n") + 2;
  while (pos < blank + 2) {
    const std::size_t eol = received.find("\r\n", pos);
    const std::string_view line = received.substr(pos, eol - pos);
    pos = eol + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // httplib skips it too
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      return Refuse(411, "send the body with a Content-Length; Transfer-Encoding is not accepted");
    }
    if (EqualsIgnoringCase(name, "Expect") && EqualsIgnoringCase(value, "100-continue")) f.expect_continue = true;
    if (!EqualsIgnoringCase(name, "Content-Length")) continue;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      // Digits too many for size_t are a length no limit admits.
      if (ec == std::errc::result_out_of_range) {
        return Refuse(413, "the body is larger than the " + std::to_string(limits.max_body_bytes) +
                               " bytes the API accepts");
      }
      return Refuse(400, "Content-Length must be a number of bytes");
    }
    if (length && *length != n) return Refuse(400, "the request has two different Content-Length headers");
    length = n;
  }
  f.body_bytes = length.value_or(0);
  if (f.body_bytes > limits.max_body_bytes) {
    return Refuse(413, "the body is " + std::to_string(f.body_bytes) + " bytes; the API accepts at most " +
                           std::to_string(limits.max_body_bytes));
  }
  return f;
}

}  // namespace shoal
