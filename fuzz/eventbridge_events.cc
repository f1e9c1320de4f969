// An SQS message body as the spot event queue hands it to ParseQueueEvent
// (any bytes: anyone allowed to send to the queue writes them). The parser
// must refuse it with a bounded message free of control characters (it goes
// into a log line) or return an event whose fields hold what the header
// promises; it may not crash.
#include <algorithm>
#include <string>

#include "adapters/aws/eventbridge_events.h"
#include "fuzz_check.h"

namespace {

using shoal::aws::QueueEvent;

bool Printable(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

void CheckEvent(const QueueEvent& e) {
  const std::string shown = e.event_id + " " + e.instance_id.str();
  FUZZ_CHECK(!e.event_id.empty() && e.event_id.size() <= 128, shown);
  FUZZ_CHECK(shoal::InstanceId::Parse(e.instance_id.view()) == e.instance_id, shown);
  FUZZ_CHECK(e.time >= 0, shown);
  switch (e.kind) {
    case QueueEvent::Kind::kInterruptionWarning:
      FUZZ_CHECK(e.deadline == e.time + shoal::aws::kSpotInterruptionNotice, shown);
      FUZZ_CHECK(e.action == "terminate" || e.action == "stop" || e.action == "hibernate", e.action);
      FUZZ_CHECK(e.state.empty(), e.state);
      break;
    case QueueEvent::Kind::kRebalanceRecommendation:
      FUZZ_CHECK(e.deadline == shoal::kNever && e.action.empty() && e.state.empty(), shown);
      break;
    case QueueEvent::Kind::kStateChange:
      FUZZ_CHECK(e.deadline == shoal::kNever && e.action.empty(), shown);
      FUZZ_CHECK(shoal::aws::IsInstanceState(e.state), e.state);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body = shoal::fuzz::Text(data, size);
  const auto event = shoal::aws::ParseQueueEvent(body);
  if (event.ok()) {
    FUZZ_CHECK(body.size() <= shoal::aws::kMaxSqsBodyBytes, std::to_string(body.size()));
    CheckEvent(*event);
    return 0;
  }
  const shoal::Status& s = event.status();
  FUZZ_CHECK(s.code() == shoal::StatusCode::kInvalidArgument, s.message());
  FUZZ_CHECK(shoal::fuzz::StartsWith(s.message(), "EventBridge event: "), s.message());
  FUZZ_CHECK(s.message().size() <= 512 && Printable(s.message()), s.message());
  return 0;
}
