#include "core/deploy.h"

#include <algorithm>
#include <cmath>
#include <charconv>

#include "core/enum_names.h"

namespace shoal {

std::string_view ToString(DeployPhase p) {
  switch (p) {
    case DeployPhase::kRolling: return "rolling";
    case DeployPhase::kRollingBack: return "rolling-back";
    case DeployPhase::kSucceeded: return "succeeded";
    case DeployPhase::kRolledBack: return "rolled-back";
    case DeployPhase::kGreenLaunching: return "green-launching";
    case DeployPhase::kSwitched: return "switched";
  }
  return "unknown";
}

std::string_view ToString(DeployStrategy s) {
  switch (s) {
    case DeployStrategy::kRolling: return "rolling";
    case DeployStrategy::kBlueGreen: return "blue-green";
  }
  return "unknown";
}

bool ParseDeployStrategy(std::string_view text, DeployStrategy* out) {
  return ParseEnumName(text, {DeployStrategy::kRolling, DeployStrategy::kBlueGreen}, out);
}

bool ParseDeployPhase(std::string_view text, DeployPhase* out) {
  using P = DeployPhase;
  return ParseEnumName(text, {P::kRolling, P::kRollingBack, P::kSucceeded, P::kRolledBack, P::kGreenLaunching,
                              P::kSwitched},
                       out);
}

namespace {

// A whole or decimal number without sign or exponent, as people write percentages.
bool ParsePlainNumber(std::string_view text, double* out) {
  if (text.empty() || text.size() > 12) return false;
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || text.front() == '-' || text.front() == '+') {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

std::string FormatPercent(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return (r.ec == std::errc() ? std::string(buf, r.ptr) : std::string("?")) + "%";
}

std::string FormatBatch(const DeploySettings& s) {
  return s.batch_count > 0 ? std::to_string(s.batch_count) : FormatPercent(s.batch_percent);
}

Status ParsePercent(std::string_view what, std::string_view text, double* out) {
  std::string_view number = text;
  if (!number.empty() && number.back() == '%') number.remove_suffix(1);
  double v = 0;
  if (!ParsePlainNumber(number, &v) || v < 0 || v > 100) {
    return Status::InvalidArgument(std::string(what) + ": expected a percentage 0..100 like \"90%\", got \"" +
                                   std::string(text.substr(0, 40)) + "\"");
  }
  *out = v;
  return Status::Ok();
}

Status ParseBatch(std::string_view text, DeploySettings* s) {
  const std::string shown(text.substr(0, 40));
  if (!text.empty() && text.back() == '%') {
    double v = 0;
    if (!ParsePlainNumber(text.substr(0, text.size() - 1), &v) || v <= 0 || v > 100) {
      return Status::InvalidArgument("batch: a percentage must be more than 0% and at most 100%, got \"" + shown + "\"");
    }
    s->batch_percent = v;
    s->batch_count = 0;
    return Status::Ok();
  }
  int n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || n < 1 || n > 10000) {
    return Status::InvalidArgument("batch: expected instances 1..10000 like \"2\" or a percentage like \"25%\", got \"" +
                                   shown + "\"");
  }
  s->batch_count = n;
  return Status::Ok();
}

Status ValidateDeploySettings(const DeploySettings& s) {
  if (s.batch_count < 0 || s.batch_count > 10000) return Status::InvalidArgument("batch: instances must be 1..10000");
  if (!(s.batch_percent > 0 && s.batch_percent <= 100)) return Status::InvalidArgument("batch: percent must be in (0, 100]");
  if (!(s.min_healthy_percent >= 0 && s.min_healthy_percent <= 100)) {
    return Status::InvalidArgument("min_healthy: must be 0..100%");
  }
  if (s.batch_timeout < 10 || s.batch_timeout > 86400) return Status::InvalidArgument("batch_timeout: must be 10s..24h");
  if (s.analysis < 0 || s.analysis > 86400) return Status::InvalidArgument("analysis: must be 0..24h");
  if (!(s.max_error_increase >= 0 && s.max_error_increase <= 100)) {
    return Status::InvalidArgument("max_error_increase: must be 0..100 percentage points");
  }
  if (!(s.max_latency_ratio >= 1 && s.max_latency_ratio <= 1000)) {
    return Status::InvalidArgument("max_latency_ratio: must be 1..1000");
  }
  if (!(s.min_requests >= 0 && s.min_requests <= 1e12)) return Status::InvalidArgument("min_requests: must be 0..1e12");
  if (s.keep_old < 0 || s.keep_old > 7 * 86400) return Status::InvalidArgument("keep_old: must be 0..7d");
  return Status::Ok();
}

int BatchSize(const DeploySettings& s, int instances) {
  if (s.batch_count > 0) return s.batch_count;
  const double n = std::ceil(std::max(0, instances) * s.batch_percent / 100.0 - 1e-9);
  return std::max(1, static_cast<int>(n));
}

double MinHealthyUnits(const DeploySettings& s, int desired) {
  return std::ceil(std::max(0, desired) * s.min_healthy_percent / 100.0 - 1e-9);
}

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  return r.ec == std::errc() ? std::string(buf, r.ptr) : "?";
}

std::string Percent(double fraction) { return Fixed(fraction * 100, 2) + "%"; }
std::string Millis(double ms) { return Fixed(ms, 0) + " ms"; }

}  // namespace

CanaryVerdict JudgeCanary(const DeploySettings& s, const ReleaseTraffic& fresh, const ReleaseTraffic& old) {
  CanaryVerdict v;
  if (fresh.requests < s.min_requests || fresh.requests <= 0) return v;
  // Without the old release serving alongside (a last batch, a one-instance
  // group) the new one is held to an error-free baseline: its rate alone
  // must stay within the allowed increase.
  const bool has_old = old.requests >= s.min_requests && old.requests > 0;
  v.compared = true;
  const double new_rate = fresh.errors / fresh.requests;
  const double old_rate = has_old ? old.errors / old.requests : 0.0;
  if (new_rate - old_rate > s.max_error_increase / 100.0 + 1e-12) {
    v.worse = "5xx rate " + Percent(new_rate) + " against " + Percent(old_rate) +
              (has_old ? " of the old release" : " (no old release serving)") + ", more than " +
              Percent(s.max_error_increase / 100.0) + " above";
    return v;
  }
  if (has_old && old.response_ms_sum > 0 && s.max_latency_ratio > 0) {
    const double new_ms = fresh.response_ms_sum / fresh.requests;
    const double old_ms = old.response_ms_sum / old.requests;
    if (new_ms > old_ms * s.max_latency_ratio + 1e-9) {
      v.worse = "mean response time " + Millis(new_ms) + " against " + Millis(old_ms) +
                " of the old release, more than " + Fixed(s.max_latency_ratio, 2) + "x";
    }
  }
  return v;
}

void RecordReleaseTraffic(DeployState& deploy, std::int64_t minute, const std::vector<ReleaseTraffic>& traffic) {
  if (deploy.blue_green() && deploy.phase == DeployPhase::kGreenLaunching) {
    // The baseline: what the old release answered before the switch (held
    // green instances take no requests).
    if (minute < deploy.analysis_from_minute) return;
    for (const ReleaseTraffic& t : traffic) {
      if (t.version != deploy.request.to_version) deploy.old_traffic.Merge(t);
    }
    return;
  }
  if (!deploy.active() || deploy.analysis_until == 0 || minute < deploy.analysis_from_minute) return;
  if (minute * 60 >= deploy.analysis_until) return;  // after the window
  const int fresh = deploy.request.to_version;
  for (const ReleaseTraffic& t : traffic) {
    if (deploy.blue_green() && t.version != fresh) continue;  // held after the switch: the baseline is before it
    (t.version == fresh ? deploy.new_traffic : deploy.old_traffic).Merge(t);
  }
}

}  // namespace shoal
