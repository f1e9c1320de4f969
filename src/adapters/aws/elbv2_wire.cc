#include "adapters/aws/elbv2_wire.h"

#include <charconv>

namespace shoal::aws {
namespace {

int PortOf(const std::string& text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() ? port : 0;
}

}  // namespace

bool IsTargetGroupArn(const std::string& text) {
  return text.rfind("arn:", 0) == 0 && text.find(":targetgroup/") != std::string::npos;
}

Params TargetsParams(const std::string& target_group_arn, const std::vector<Elbv2TargetRef>& targets) {
  Params p = {{"TargetGroupArn", target_group_arn}};
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::string member = "Targets.member." + std::to_string(i + 1);
    p.emplace_back(member + ".Id", targets[i].id);
    if (targets[i].port > 0) p.emplace_back(member + ".Port", std::to_string(targets[i].port));
  }
  return p;
}

Params DescribeTargetGroupByNameParams(const std::string& name) { return {{"Names.member.1", name}}; }

Params DeregistrationDelayParams(const std::string& target_group_arn, Seconds seconds) {
  return {{"TargetGroupArn", target_group_arn},
          {"Attributes.member.1.Key", "deregistration_delay.timeout_seconds"},
          {"Attributes.member.1.Value", std::to_string(seconds)}};
}

std::string ParseTargetGroupArn(const XmlNode& root) {
  return root.Text("DescribeTargetGroupsResult/TargetGroups/member/TargetGroupArn");
}

std::vector<Elbv2TargetHealth> ParseTargetHealth(const XmlNode& root) {
  std::vector<Elbv2TargetHealth> out;
  for (const XmlNode& m : root.All("DescribeTargetHealthResult/TargetHealthDescriptions/member")) {
    Elbv2TargetHealth t;
    t.id = m.Text("Target/Id");
    if (t.id.empty()) continue;
    t.port = PortOf(m.Text("Target/Port"));
    t.state = m.Text("TargetHealth/State");
    t.reason = m.Text("TargetHealth/Reason");
    t.description = m.Text("TargetHealth/Description");
    out.push_back(std::move(t));
  }
  return out;
}

std::string DescribeTargetHealth(const Elbv2TargetHealth& health) {
  if (health.reason.empty()) return health.state;
  return health.description.empty() ? health.reason : health.reason + ": " + health.description;
}

}  // namespace shoal::aws
