// API request bodies and query strings as the daemon's HTTP layer hands
// them to the parsers of src/api/api_requests.h (any bytes from any client
// that got past the connection limits). Every parser must either refuse the
// input with a message that names what is wrong or return values within the
// bounds docs/API.md states; none may crash.
#include <string>

#include "api/api_requests.h"
#include "fuzz_check.h"

namespace {

void CheckRefusal(const shoal::Status& s) {
  FUZZ_CHECK(s.code() == shoal::StatusCode::kInvalidArgument, s.message());
  FUZZ_CHECK(!s.message().empty(), "an empty error");
}

// "a=1&b=2" as the HTTP layer decodes a query string (no percent-decoding
// here: the parsers get what httplib gives them).
shoal::QueryParams Params(const std::string& text) {
  shoal::QueryParams out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('&', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const std::size_t eq = part.find('=');
    out.emplace(part.substr(0, eq), eq == std::string::npos ? "" : part.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body = shoal::fuzz::Text(data, size);
  if (auto r = shoal::ParseScaleRequest(body); r.ok()) {
    FUZZ_CHECK(r->desired >= 0, std::to_string(r->desired));
  } else {
    CheckRefusal(r.status());
  }
  if (auto r = shoal::ParseInterruptRequest(body); r.ok()) {
    FUZZ_CHECK(r->instance.empty() != r->pool.empty(), "exactly one of instance and pool");
  } else {
    CheckRefusal(r.status());
  }
  if (auto r = shoal::ParseShortageRequest(body); r.ok()) {
    FUZZ_CHECK(r->seconds >= 1 && r->seconds <= shoal::kMaxShortageSeconds, std::to_string(r->seconds));
  } else {
    CheckRefusal(r.status());
  }
  if (auto r = shoal::ParseConfigRequest(body); r.ok()) {
    FUZZ_CHECK(!r->config.empty() && r->config.size() <= shoal::kMaxConfigLength, "config size");
  } else {
    CheckRefusal(r.status());
  }
  if (auto r = shoal::ParseAgentEventRequest(body); r.ok()) {
    FUZZ_CHECK(!r->instance.empty() && r->instance.size() <= shoal::kMaxNameLength, r->instance);
  } else {
    CheckRefusal(r.status());
  }
  const shoal::QueryParams params = Params(body);
  if (auto q = shoal::ParseActivitiesQuery(params); q.ok()) {
    FUZZ_CHECK(q->limit >= 1 && q->limit <= shoal::kMaxActivityLimit, std::to_string(q->limit));
  } else {
    CheckRefusal(q.status());
  }
  if (auto q = shoal::ParseInstancesQuery(params); !q.ok()) CheckRefusal(q.status());
  if (auto token = shoal::BearerToken(body)) FUZZ_CHECK(!token->empty(), "an empty token");
  return 0;
}
