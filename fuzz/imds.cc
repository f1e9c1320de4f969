// The spot agent's reading of instance metadata answers. The input is one
// answer body (a 200), read by each parser the agent applies to an IMDS
// answer: the token PUT, meta-data/instance-id, spot/instance-action and
// events/recommendations/rebalance; what the agent then sends is built as it
// would be.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "adapters/local/agent.h"
#include "fuzz_check.h"

namespace {

// What can go into an HTTP/1.1 header unescaped: no control characters (a
// CR or LF would end the header and let the value write the request).
bool IsHeaderValue(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const shoal::ImdsAnswer answer{200, shoal::fuzz::Text(data, size)};
  // The token is sent back in the X-aws-ec2-metadata-token header of every GET.
  if (const std::optional<std::string> token = shoal::ParseImdsToken(answer)) {
    FUZZ_CHECK(!token->empty() && IsHeaderValue(*token), *token);
  }
  // The id goes into every report's JSON body and log line.
  if (const std::optional<std::string> id = shoal::ParseInstanceIdAnswer(answer)) {
    FUZZ_CHECK(!id->empty() && id->size() <= shoal::kMaxInstanceIdLength, *id);
    const std::string body = shoal::ReportJson(*id, {shoal::AgentEvent::kSpotInterruption, "2026-11-26T06:30:00Z"});
    const nlohmann::json sent = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(sent.is_object() && sent.value("instance", "") == *id, body);
  }
  for (const shoal::AgentReport& report : shoal::DecideReports({}, answer, answer)) {
    FUZZ_CHECK(!report.time.empty(), shoal::AgentEventName(report.event));
    FUZZ_CHECK(!shoal::ReportJson("i-0000000000000001", report).empty(), report.time);
  }
  return 0;
}
