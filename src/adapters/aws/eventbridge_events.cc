#include "adapters/aws/eventbridge_events.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "adapters/data/iso_time.h"

namespace shoal::aws {
namespace {

using nlohmann::json;

constexpr std::string_view kSource = "aws.ec2";
constexpr std::string_view kInterruption = "EC2 Spot Instance Interruption Warning";
constexpr std::string_view kRebalance = "EC2 Instance Rebalance Recommendation";
constexpr std::string_view kStateChange = "EC2 Instance State-change Notification";
constexpr std::array<std::string_view, 3> kActions = {"terminate", "stop", "hibernate"};
constexpr std::array<std::string_view, 6> kStates = {"pending", "running", "stopping",
                                                     "stopped", "shutting-down", "terminated"};
// No field Shoal reads is longer (an event id is a UUID); a longer one is not EC2's.
constexpr std::size_t kMaxFieldBytes = 128;
// How much of a bad value an error shows: errors end up in log lines.
constexpr std::size_t kMaxShownBytes = 64;

// `text` quoted for an error message: at most kMaxShownBytes, control and
// non-ASCII bytes as '?'.
std::string Shown(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, kMaxShownBytes)) {
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u >= 0x7f ? '?' : c;
  }
  return out + (text.size() > kMaxShownBytes ? "\"..." : "\"");
}

Status Invalid(const std::string& what) { return Status::InvalidArgument("EventBridge event: " + what); }

// The string member `key` of `object` (named `where` in errors): present,
// a string, 1..kMaxFieldBytes bytes.
Result<std::string> StringField(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return Invalid(where + " is missing");
  if (!it->is_string()) return Invalid(where + " is not a string");
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty() || text.size() > kMaxFieldBytes) {
    return Invalid(where + " must be 1.." + std::to_string(kMaxFieldBytes) + " bytes, not " +
                   std::to_string(text.size()));
  }
  return text;
}

bool IsAction(std::string_view action) {
  return std::find(kActions.begin(), kActions.end(), action) != kActions.end();
}

Result<QueueEvent::Kind> KindOf(const std::string& detail_type) {
  if (detail_type == kInterruption) return QueueEvent::Kind::kInterruptionWarning;
  if (detail_type == kRebalance) return QueueEvent::Kind::kRebalanceRecommendation;
  if (detail_type == kStateChange) return QueueEvent::Kind::kStateChange;
  return Invalid("detail-type " + Shown(detail_type) + " is not one Shoal reads");
}

// The fields of `detail` that `event.kind` carries.
Status ReadDetail(const json& detail, QueueEvent& event) {
  auto id = StringField(detail, "instance-id", "detail.instance-id");
  if (!id.ok()) return id.status();
  const std::optional<InstanceId> parsed = InstanceId::Parse(*id);
  if (!parsed) return Invalid("detail.instance-id " + Shown(*id) + " is not an instance id");
  event.instance_id = *parsed;
  if (event.kind == QueueEvent::Kind::kInterruptionWarning) {
    auto action = StringField(detail, "instance-action", "detail.instance-action");
    if (!action.ok()) return action.status();
    if (!IsAction(*action)) {
      return Invalid("detail.instance-action " + Shown(*action) + " is not terminate, stop or hibernate");
    }
    event.action = *action;
    event.deadline = event.time + kSpotInterruptionNotice;
  } else if (event.kind == QueueEvent::Kind::kStateChange) {
    auto state = StringField(detail, "state", "detail.state");
    if (!state.ok()) return state.status();
    if (!IsInstanceState(*state)) {
      return Invalid("detail.state " + Shown(*state) + " is not an EC2 instance state");
    }
    event.state = *state;
  }
  return Status::Ok();
}

}  // namespace

bool IsInstanceState(std::string_view state) {
  return std::find(kStates.begin(), kStates.end(), state) != kStates.end();
}

std::string_view ToString(QueueEvent::Kind kind) {
  switch (kind) {
    case QueueEvent::Kind::kInterruptionWarning: return "interruption-warning";
    case QueueEvent::Kind::kRebalanceRecommendation: return "rebalance-recommendation";
    case QueueEvent::Kind::kStateChange: return "state-change";
  }
  return "state-change";
}

Result<QueueEvent> ParseQueueEvent(std::string_view body) {
  if (body.size() > kMaxSqsBodyBytes) {
    return Invalid("body is " + std::to_string(body.size()) + " bytes, over SQS's " +
                   std::to_string(kMaxSqsBodyBytes));
  }
  const json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("body is not JSON");
  if (!root.is_object()) return Invalid("body is not a JSON object");
  auto source = StringField(root, "source", "source");
  if (!source.ok()) return source.status();
  if (*source != kSource) return Invalid("source " + Shown(*source) + " is not aws.ec2");
  auto detail_type = StringField(root, "detail-type", "detail-type");
  if (!detail_type.ok()) return detail_type.status();
  auto kind = KindOf(*detail_type);
  if (!kind.ok()) return kind.status();
  QueueEvent event;
  event.kind = *kind;
  auto id = StringField(root, "id", "id");
  if (!id.ok()) return id.status();
  event.event_id = *id;
  auto time_text = StringField(root, "time", "time");
  if (!time_text.ok()) return time_text.status();
  // ParseIsoUtc's own message would echo the text unfiltered.
  auto time = ParseIsoUtc(*time_text);
  if (!time.ok()) return Invalid("time " + Shown(*time_text) + " is not RFC 3339 UTC like 2026-12-02T10:00:00Z");
  if (*time < 0) return Invalid("time " + Shown(*time_text) + " is before 1970");
  event.time = *time;
  const auto detail = root.find("detail");
  if (detail == root.end()) return Invalid("detail is missing");
  if (!detail->is_object()) return Invalid("detail is not an object");
  SHOAL_RETURN_IF_ERROR(ReadDetail(*detail, event));
  return event;
}

}  // namespace shoal::aws
