// The scaling activities of a run reduced to what two runs of one script
// must agree on: kind, policy, capacities and the minute of the script in
// which each was decided. The simulator-vs-live comparisons use it.
#pragma once

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shoal::testing {

// The alarms and policies (group YAML, indented for a group's entry) both
// comparisons run: a step policy out at >= 200 requests per target per
// minute (+1, or +2 from 500), a simple one in below 50 (-1, no cooldown).
inline constexpr const char* kScalingPolicies =
    "    alarms:\n"
    "      - {name: busy, metric: request_count_per_target, statistic: Average, period: 1m,\n"
    "         evaluation_periods: 1, datapoints_to_alarm: 1, comparison: \">=\", threshold: 200}\n"
    "      - {name: idle, metric: request_count_per_target, statistic: Average, period: 1m,\n"
    "         evaluation_periods: 1, datapoints_to_alarm: 1, comparison: \"<\", threshold: 50}\n"
    "    policies:\n"
    "      - name: step-out\n"
    "        type: step\n"
    "        alarm: busy\n"
    "        steps:\n"
    "          - {lower: 0, upper: 300, adjustment: 1}\n"
    "          - {lower: 300, adjustment: 2}\n"
    "      - name: shed-one\n"
    "        type: simple\n"
    "        alarm: idle\n"
    "        adjustment: -1\n"
    "        cooldown: 0s\n";

struct ScalingStep {
  std::string kind;
  std::string policy;
  int from = 0;
  int to = 0;
  long minute = 0;  // of the script, in which the activity was decided

  bool operator==(const ScalingStep&) const = default;
};

inline std::string PolicyOf(const std::string& cause) {
  static const std::regex kPolicy("policy '([^']+)'");
  std::smatch m;
  return std::regex_search(cause, m, kPolicy) ? m[1].str() : cause;
}

// `time_origin` is when minute 0 of the script began, in the activity's clock.
inline std::vector<ScalingStep> ScalingSteps(const nlohmann::json& activities, long time_origin) {
  std::vector<ScalingStep> out;
  for (const nlohmann::json& a : activities) {
    const long t = a["time"].get<long>() - time_origin;
    out.push_back({a["kind"], PolicyOf(a["cause"]), a["from"], a["to"], static_cast<long>(std::floor(t / 60.0))});
  }
  return out;
}

inline std::string DescribeSteps(const std::vector<ScalingStep>& steps) {
  std::string s;
  for (const ScalingStep& x : steps) {
    s += "  minute " + std::to_string(x.minute) + ": " + x.kind + " " + std::to_string(x.from) + " -> " +
         std::to_string(x.to) + " (" + x.policy + ")\n";
  }
  return s;
}

}  // namespace shoal::testing
