// Errors as values. Core code never throws; adapters turn exceptions into a
// Status at the port boundary.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace shoal {

// Typed so callers can decide what a retry can fix (see IsRetryable): the
// codes a cloud answers with (EC2's InsufficientInstanceCapacity,
// RequestLimitExceeded, UnauthorizedOperation, ...) map onto these.
enum class StatusCode {
  kOk,
  kInvalidArgument,      // bad input: config, trace, request; the cloud refused the request as malformed
  kNotFound,
  kInsufficientCapacity, // the cloud has no capacity in that pool right now
  kIllegalTransition,    // lifecycle rule broken
  kIoError,              // a local file or socket failed
  kInternal,
  kUnavailable,          // the service did not answer (timeout, refused, 5xx); the outcome may be unknown
  kThrottled,            // too many requests: slow down
  kPermissionDenied,     // the credentials may not do this
  kLimitExceeded,        // an account quota (instance count, ...) is reached
  kConflict,             // the request contradicts the current state (a port in use, ...)
};

std::string_view ToString(StatusCode code);

// Whether trying the same call again later can succeed. Permission, invalid
// requests and quotas need a person; capacity, throttling and outages pass.
bool IsRetryable(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InsufficientCapacity(std::string m) { return {StatusCode::kInsufficientCapacity, std::move(m)}; }
  static Status IllegalTransition(std::string m) { return {StatusCode::kIllegalTransition, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Throttled(std::string m) { return {StatusCode::kThrottled, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status FromCode(StatusCode c, std::string m) { return {c, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same error with `context` in front ("launching web: <message>").
  Status WithContext(std::string_view context) const {
    return ok() ? *this : Status(code_, std::string(context) + ": " + message_);
  }

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}        // NOLINT: implicit by design
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace shoal

#define SHOAL_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::shoal::Status shoal_status_ = (expr);  \
    if (!shoal_status_.ok()) return shoal_status_; \
  } while (0)
