#include "core/status.h"

namespace shoal {

std::string_view ToString(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid-argument";
    case StatusCode::kNotFound: return "not-found";
    case StatusCode::kInsufficientCapacity: return "insufficient-capacity";
    case StatusCode::kIllegalTransition: return "illegal-transition";
    case StatusCode::kIoError: return "io-error";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kThrottled: return "throttled";
    case StatusCode::kPermissionDenied: return "permission-denied";
    case StatusCode::kLimitExceeded: return "limit-exceeded";
    case StatusCode::kConflict: return "conflict";
  }
  return "unknown";
}

bool IsRetryable(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kPermissionDenied:
    case StatusCode::kLimitExceeded:
    case StatusCode::kIllegalTransition:
      return false;
    case StatusCode::kOk:
    case StatusCode::kNotFound:
    case StatusCode::kInsufficientCapacity:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
    case StatusCode::kUnavailable:
    case StatusCode::kThrottled:
    case StatusCode::kConflict:
      return true;
  }
  return true;
}

}  // namespace shoal
