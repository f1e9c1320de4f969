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
  }
  return "unknown";
}

bool ParseDeployPhase(std::string_view text, DeployPhase* out) {
  using P = DeployPhase;
  return ParseEnumName(text, {P::kRolling, P::kRollingBack, P::kSucceeded, P::kRolledBack}, out);
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
  if (!deploy.active() || deploy.analysis_until == 0 || minute < deploy.analysis_from_minute) return;
  if (minute * 60 >= deploy.analysis_until) return;  // after the window
  const int fresh = deploy.request.to_version;
  for (const ReleaseTraffic& t : traffic) {
    (t.version == fresh ? deploy.new_traffic : deploy.old_traffic).Merge(t);
  }
}

}  // namespace shoal
