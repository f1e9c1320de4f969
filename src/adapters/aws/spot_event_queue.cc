#include "adapters/aws/spot_event_queue.h"

#include <algorithm>
#include <set>

#include "adapters/aws/errors.h"

namespace shoal::aws {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxBatch = 10;  // SQS's limit for DeleteMessageBatch
// Message ids are UUIDs; receipt handles are up to 1024 characters on SQS
// (longer on some emulators). Longer ones are not SQS's: not kept.
constexpr std::size_t kMaxMessageIdBytes = 128;
constexpr std::size_t kMaxReceiptHandleBytes = 8192;
constexpr std::size_t kMaxQueueUrlBytes = 2048;
constexpr std::size_t kMaxFailureText = 4096;

std::string MessageKey(const std::string& message_id) { return "m:" + message_id; }
std::string EventKey(const std::string& event_id) { return "e:" + event_id; }

// A string member of an SQS answer's object, "" when missing, not a string or over `max` bytes.
std::string AnswerString(const json& object, const char* key, std::size_t max) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  const auto& text = it->get_ref<const std::string&>();
  return text.size() <= max ? text : "";
}

Status CheckRange(const char* name, long long value, long long low, long long high) {
  if (value >= low && value <= high) return Status::Ok();
  return Status::InvalidArgument("spot event queue: " + std::string(name) + " must be " + std::to_string(low) + ".." +
                                 std::to_string(high) + ", not " + std::to_string(value));
}

Status CheckQueueUrl(const std::string& url) {
  const bool scheme = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  const bool printable = std::all_of(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
  if (scheme && printable && url.size() <= kMaxQueueUrlBytes) return Status::Ok();
  return Status::InvalidArgument("spot event queue: queue_url must be an http(s) URL of printable characters, up to " +
                                 std::to_string(kMaxQueueUrlBytes) + " bytes (" +
                                 (url.empty() ? std::string("none given") : "'" + url.substr(0, 80) + "'") + ")");
}

}  // namespace

Result<std::unique_ptr<SpotEventQueue>> SpotEventQueue::Create(SpotEventQueueOptions options, AwsClient* client,
                                                               Logger* log) {
  if (client == nullptr) return Status::InvalidArgument("spot event queue: no AWS client");
  SHOAL_RETURN_IF_ERROR(CheckQueueUrl(options.queue_url));
  SHOAL_RETURN_IF_ERROR(CheckRange("max_messages", options.max_messages, 1, 10));
  SHOAL_RETURN_IF_ERROR(CheckRange("wait_time_seconds", options.wait_time_seconds, 0, 20));
  SHOAL_RETURN_IF_ERROR(CheckRange("visibility_timeout_seconds", options.visibility_timeout_seconds, 1, 43200));
  SHOAL_RETURN_IF_ERROR(CheckRange("dedup_window", static_cast<long long>(options.dedup_window), 1, 1000000));
  SHOAL_RETURN_IF_ERROR(CheckRange("max_pending", static_cast<long long>(options.max_pending), 1, 100000));
  return std::unique_ptr<SpotEventQueue>(new SpotEventQueue(std::move(options), client, log));
}

SpotEventQueue::SpotEventQueue(SpotEventQueueOptions options, AwsClient* client, Logger* log)
    : options_(std::move(options)), client_(client), log_(log), recent_(options_.dedup_window) {}

std::size_t SpotEventQueue::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

Result<std::vector<ReceivedEvent>> SpotEventQueue::Receive() {
  std::size_t room = 0;
  {
    std::lock_guard lock(mu_);
    room = options_.max_pending - std::min(options_.max_pending, pending_.size());
  }
  if (room == 0) {
    return Status::LimitExceeded("spot event queue: " + std::to_string(options_.max_pending) +
                                 " events wait for an Ack; not receiving more");
  }
  const json request = {{"QueueUrl", options_.queue_url},
                        {"MaxNumberOfMessages", std::min<std::size_t>(room, options_.max_messages)},
                        {"WaitTimeSeconds", options_.wait_time_seconds},
                        {"VisibilityTimeout", options_.visibility_timeout_seconds}};
  auto answer = client_->Json(Service::kSqs, "ReceiveMessage", request);
  if (!answer.ok()) return answer.status().WithContext("receiving spot events");
  const auto messages = answer->find("Messages");
  if (messages == answer->end() || messages->is_null()) return std::vector<ReceivedEvent>{};
  if (!messages->is_array()) return Status::Internal("sqs ReceiveMessage: Messages is not a list");

  std::vector<ReceivedEvent> out;
  std::vector<Receipt> to_delete;
  for (const json& message : *messages) {
    if (!message.is_object()) continue;
    const std::string id = AnswerString(message, "MessageId", kMaxMessageIdBytes);
    const std::string handle = AnswerString(message, "ReceiptHandle", kMaxReceiptHandleBytes);
    if (handle.empty()) {  // nothing to delete it with: it comes back, and is logged again
      LogWarn(log_, "spot_queue_unreadable_message").With("message_id", id).With("error", "no usable ReceiptHandle");
      continue;
    }
    const auto body = message.find("Body");
    const std::string_view text = body != message.end() && body->is_string()
                                      ? std::string_view(body->get_ref<const std::string&>())
                                      : std::string_view();
    const Verdict verdict = Classify(id, handle, ParseQueueEvent(text), &out);
    if (verdict == Verdict::kDuplicate || verdict == Verdict::kPoison) to_delete.push_back({id, handle});
  }
  if (!to_delete.empty()) {
    std::vector<std::string> deleted;
    const Status status = Delete(to_delete, &deleted);
    // Not the caller's problem: what was not deleted comes back and is dropped again.
    if (!status.ok()) LogWarn(log_, "spot_queue_delete_failed").With("error", status.message());
  }
  return out;
}

SpotEventQueue::Verdict SpotEventQueue::Classify(const std::string& message_id, const std::string& receipt_handle,
                                                 Result<QueueEvent> event, std::vector<ReceivedEvent>* out) {
  std::lock_guard lock(mu_);
  if (message_id.empty()) {
    LogWarn(log_, "spot_queue_poison_message").With("message_id", "").With("error", "no usable MessageId");
    return Verdict::kPoison;
  }
  if (const auto it = pending_.find(message_id); it != pending_.end()) {
    // Its visibility timeout passed before the Ack: the same message again.
    it->second.receipt_handle = receipt_handle;
    LogInfo(log_, "spot_queue_redelivered").With("message_id", message_id);
    return Verdict::kRefreshed;
  }
  if (recent_.Contains(MessageKey(message_id))) {
    LogInfo(log_, "spot_queue_duplicate").With("message_id", message_id).With("of", "message");
    return Verdict::kDuplicate;
  }
  if (!event.ok()) {
    LogWarn(log_, "spot_queue_poison_message").With("message_id", message_id).With("error", event.status().message());
    return Verdict::kPoison;
  }
  // Remembered either way: a redelivery of this message is then a duplicate too.
  recent_.Insert(MessageKey(message_id));
  if (!recent_.Insert(EventKey(event->event_id))) {
    LogInfo(log_, "spot_queue_duplicate").With("message_id", message_id).With("event_id", event->event_id)
        .With("of", "event");
    return Verdict::kDuplicate;
  }
  pending_[message_id] = Pending{receipt_handle, event->event_id};
  out->push_back({message_id, std::move(*event)});
  return Verdict::kNew;
}

Status SpotEventQueue::Ack(const std::vector<std::string>& message_ids) {
  std::vector<Receipt> receipts;
  {
    std::lock_guard lock(mu_);
    std::set<std::string> asked;
    for (const std::string& id : message_ids) {
      const auto it = pending_.find(id);
      if (it != pending_.end() && asked.insert(id).second) receipts.push_back({id, it->second.receipt_handle});
    }
  }
  std::vector<std::string> deleted;
  const Status status = Delete(receipts, &deleted);
  std::lock_guard lock(mu_);
  for (const std::string& id : deleted) pending_.erase(id);
  return status.WithContext("acking spot events");
}

void SpotEventQueue::Release(const std::vector<std::string>& message_ids) {
  std::lock_guard lock(mu_);
  for (const std::string& id : message_ids) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    recent_.Erase(MessageKey(id));
    recent_.Erase(EventKey(it->second.event_id));
    pending_.erase(it);
  }
}

Status SpotEventQueue::Delete(const std::vector<Receipt>& receipts, std::vector<std::string>* deleted) {
  Status first_failure;
  std::string failures;
  for (std::size_t start = 0; start < receipts.size(); start += kMaxBatch) {
    const std::vector<Receipt> batch(receipts.begin() + static_cast<std::ptrdiff_t>(start),
                                     receipts.begin() + static_cast<std::ptrdiff_t>(std::min(start + kMaxBatch,
                                                                                           receipts.size())));
    const Status status = DeleteBatch(batch, deleted);
    if (status.ok()) continue;
    if (first_failure.ok()) first_failure = status;
    // Bounded: the first few batches' reasons say enough.
    if (failures.size() < kMaxFailureText) failures += (failures.empty() ? "" : "; ") + status.message();
  }
  return first_failure.ok() ? Status::Ok() : Status::FromCode(first_failure.code(), failures);
}

Status SpotEventQueue::DeleteBatch(const std::vector<Receipt>& batch, std::vector<std::string>* deleted) {
  json entries = json::array();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    entries.push_back({{"Id", std::to_string(i)}, {"ReceiptHandle", batch[i].receipt_handle}});
  }
  auto answer = client_->Json(Service::kSqs, "DeleteMessageBatch",
                              {{"QueueUrl", options_.queue_url}, {"Entries", std::move(entries)}});
  if (!answer.ok()) return answer.status();
  // Entry ids are the batch's indexes; an entry the answer does not name as deleted was not.
  std::vector<bool> done(batch.size(), false);
  const auto successful = answer->find("Successful");
  if (successful != answer->end() && successful->is_array()) {
    for (const json& entry : *successful) {
      const std::string id = entry.is_object() ? AnswerString(entry, "Id", 8) : "";
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (id == std::to_string(i)) done[i] = true;
      }
    }
  }
  std::map<std::string, std::string> reasons;  // entry id -> "Code: Message"
  StatusCode code = StatusCode::kUnavailable;
  const auto failed = answer->find("Failed");
  if (failed != answer->end() && failed->is_array()) {
    for (const json& entry : *failed) {
      if (!entry.is_object()) continue;
      const std::string aws_code = AnswerString(entry, "Code", 256);
      const bool sender = entry.value("SenderFault", false);
      code = MapAwsError(aws_code, sender ? 400 : 500);
      reasons[AnswerString(entry, "Id", 8)] = aws_code + ": " + AnswerString(entry, "Message", 512);
    }
  }
  std::string text;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (done[i]) {
      deleted->push_back(batch[i].message_id);
      continue;
    }
    const auto reason = reasons.find(std::to_string(i));
    text += (text.empty() ? "" : ", ") + batch[i].message_id + " (" +
            (reason == reasons.end() ? std::string("not in the answer") : reason->second) + ")";
  }
  if (text.empty()) return Status::Ok();
  return Status::FromCode(code, "sqs DeleteMessageBatch: not deleted: " + text);
}

}  // namespace shoal::aws
