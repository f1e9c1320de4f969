// Errors as values. Core code never throws; adapters turn exceptions into a
// Status at the port boundary.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace shoal {

enum class StatusCode {
  kOk,
  kInvalidArgument,      // bad input: config, trace, request
  kNotFound,
  kInsufficientCapacity, // the cloud has no capacity in that pool right now
  kIllegalTransition,    // lifecycle rule broken
  kIoError,
  kInternal,
};

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

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

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
