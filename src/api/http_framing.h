// Where an HTTP/1.1 request ends, decided from the bytes received so far
// before any worker sees the request: the API's connection reader uses it to
// receive a whole request within limits, and to refuse a body that is too
// large from its Content-Length alone, without reading it. Pure; the full
// parsing (request line, headers, routing) stays with cpp-httplib.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shoal {

struct FramingLimits {
  std::size_t max_head_bytes = 16 * 1024;  // request line and headers, blank line included
  std::size_t max_body_bytes = 1 << 20;
};

struct RequestFraming {
  enum class State {
    kIncomplete,  // no blank line yet: read more
    kReady,       // the head is complete: head_bytes + body_bytes is the whole request
    kRefused,     // answer `status` with `reason` and close
  };
  State state = State::kIncomplete;
  std::size_t head_bytes = 0;
  std::size_t body_bytes = 0;  // Content-Length; 0 without one (a request without it has no body)
  bool expect_continue = false;  // "Expect: 100-continue": the client waits for a 100 before its body
  int status = 0;
  std::string reason;
};

// Examines the first bytes of a request: 431 when the head exceeds its limit,
// 413 when Content-Length exceeds the body limit, 411 for Transfer-Encoding
// (a chunked body has no length to check up front), 400 for an unreadable or
// contradictory Content-Length.
RequestFraming ExamineRequest(std::string_view received, const FramingLimits& limits);

}  // namespace shoal
