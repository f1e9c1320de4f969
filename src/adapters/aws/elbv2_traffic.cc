#include "adapters/aws/elbv2_traffic.h"

#include <algorithm>
#include <set>

namespace shoal::aws {
namespace {

constexpr const char* kNotListed = "not listed";

// What a change worth logging is: the state and its reason code (ELB's
// description may vary between answers, e.g. the codes seen).
std::string NoteKey(const Elbv2TargetHealth* health) {
  return health == nullptr ? kNotListed : health->state + " " + health->reason;
}

GroupInstanceEvent Event(const std::string& group, InstanceId id, InstanceEvent event, std::string reason = "") {
  return {group, {id, event, kNever, std::move(reason)}};
}

// The entry of `id` in a DescribeTargetHealth answer: on `port` when it is
// known, else the first one.
const Elbv2TargetHealth* FindListed(const std::vector<Elbv2TargetHealth>& listed, InstanceId id, int port) {
  const Elbv2TargetHealth* any = nullptr;
  for (const Elbv2TargetHealth& t : listed) {
    if (t.id != id.view()) continue;
    if (port == 0 || t.port == port) return &t;
    if (any == nullptr) any = &t;
  }
  return any;
}

}  // namespace

Elbv2Traffic::Elbv2Traffic(Elbv2TrafficOptions options, AwsClient* client, const Clock* clock, Logger* log)
    : options_(std::move(options)), client_(client), clock_(clock), log_(log) {}

void Elbv2Traffic::SetGroups(std::map<std::string, Elbv2GroupOptions> groups) {
  std::lock_guard lock(mu_);
  for (auto it = target_groups_.begin(); it != target_groups_.end();) {
    const auto next = groups.find(it->first);
    const auto was = options_.groups.find(it->first);
    const bool same = next != groups.end() && was != options_.groups.end() &&
                      next->second.target_group == was->second.target_group &&
                      next->second.drain_seconds == was->second.drain_seconds;
    it = same ? std::next(it) : target_groups_.erase(it);
  }
  options_.groups = std::move(groups);
}

const Elbv2GroupOptions* Elbv2Traffic::OptionsOf(const std::string& group) const {
  const auto it = options_.groups.find(group);
  return it == options_.groups.end() ? nullptr : &it->second;
}

Result<std::string> Elbv2Traffic::ArnLocked(const std::string& group) {
  const Elbv2GroupOptions* options = OptionsOf(group);
  if (options == nullptr) return Status::NotFound("elbv2: no target group configured for group " + group);
  TargetGroup& tg = target_groups_[group];
  if (!tg.arn.empty()) return tg.arn;
  if (IsTargetGroupArn(options->target_group)) {
    tg.arn = options->target_group;
    return tg.arn;
  }
  auto doc = client_->Query(Service::kElbv2, "DescribeTargetGroups",
                            DescribeTargetGroupByNameParams(options->target_group));
  if (!doc.ok()) {
    return doc.status().WithContext("finding target group " + options->target_group + " of group " + group);
  }
  std::string arn = ParseTargetGroupArn(doc->Root());
  if (arn.empty()) {
    return Status::NotFound("elbv2: target group " + options->target_group + " of group " + group + " not found");
  }
  tg.arn = std::move(arn);
  return tg.arn;
}

Result<std::string> Elbv2Traffic::PrepareLocked(const std::string& group) {
  auto arn = ArnLocked(group);
  if (!arn.ok()) return arn.status();
  TargetGroup& tg = target_groups_[group];
  if (tg.delay_set) return arn;
  const Seconds drain = OptionsOf(group)->drain_seconds;
  if (drain < 0 || drain > kMaxDeregistrationDelay) {
    return Status::InvalidArgument("elbv2: group " + group + " drains for " + std::to_string(drain) +
                                   " s, outside ELB's deregistration delay range 0.." +
                                   std::to_string(kMaxDeregistrationDelay));
  }
  auto doc = client_->Query(Service::kElbv2, "ModifyTargetGroupAttributes", DeregistrationDelayParams(*arn, drain));
  if (!doc.ok()) return doc.status().WithContext("setting the deregistration delay of " + *arn);
  tg.delay_set = true;
  return arn;
}

Result<std::string> Elbv2Traffic::TargetGroupArn(const std::string& group) {
  std::lock_guard lock(mu_);
  return ArnLocked(group);
}

Status Elbv2Traffic::Register(const std::string& group, InstanceId id, const InstanceAddress& address) {
  if (id.empty()) return Status::InvalidArgument("elbv2: register without an instance id");
  if (address.port < 1 || address.port > 65535) {
    return Status::InvalidArgument("elbv2: port " + std::to_string(address.port) + " of " + id.str() +
                                   " is not in 1..65535");
  }
  std::lock_guard lock(mu_);
  auto arn = PrepareLocked(group);
  if (!arn.ok()) return arn.status();
  auto doc = client_->Query(Service::kElbv2, "RegisterTargets", TargetsParams(*arn, {{id.str(), address.port}}));
  if (!doc.ok()) return doc.status().WithContext("registering " + id.str() + " in " + *arn);
  Target& t = targets_[id];
  if (t.group != group || t.draining || t.port != address.port) {
    t = Target();  // a new registration: nothing reported of it yet
    t.group = group;
    t.port = address.port;
  }
  t.seen_at = clock_->Now();
  return Status::Ok();
}

Result<std::vector<Elbv2TargetRef>> Elbv2Traffic::RegisteredLocked(const std::string& arn, InstanceId id) {
  const auto known = targets_.find(id);
  if (known != targets_.end() && known->second.port > 0) {
    return std::vector<Elbv2TargetRef>{{id.str(), known->second.port}};
  }
  // Not registered since this adapter started (a restart): ask ELB on which ports it is.
  auto doc = client_->Query(Service::kElbv2, "DescribeTargetHealth", {{"TargetGroupArn", arn}});
  if (!doc.ok()) return doc.status();
  std::vector<Elbv2TargetRef> out;
  for (const Elbv2TargetHealth& t : ParseTargetHealth(doc->Root())) {
    if (t.id == id.view()) out.push_back({t.id, t.port});
  }
  return out;
}

Status Elbv2Traffic::DeregisterLocked(const std::string& group, InstanceId id) {
  auto arn = ArnLocked(group);
  if (!arn.ok()) return arn.status();
  auto registered = RegisteredLocked(*arn, id);
  if (!registered.ok()) return registered.status().WithContext("finding " + id.str() + " in " + *arn);
  if (registered->empty()) return Status::Ok();  // not in the target group: nothing to take out
  auto doc = client_->Query(Service::kElbv2, "DeregisterTargets", TargetsParams(*arn, *registered));
  // InvalidTarget: ELB does not have it (any more).
  if (!doc.ok() && doc.status().code() != StatusCode::kNotFound) {
    return doc.status().WithContext("deregistering " + id.str() + " from " + *arn);
  }
  return Status::Ok();
}

Status Elbv2Traffic::Drain(const std::string& group, InstanceId id) {
  std::lock_guard lock(mu_);
  // The delay must be the group's before ELB starts draining.
  auto arn = PrepareLocked(group);
  if (!arn.ok()) return arn.status();
  SHOAL_RETURN_IF_ERROR(DeregisterLocked(group, id));
  // Poll reports kDrained once ELB no longer lists it (at once if it never did).
  Target& t = targets_[id];
  const int port = t.port;  // 0 when it was not known
  t = Target();
  t.group = group;
  t.port = port;
  t.draining = true;
  t.seen_at = clock_->Now();
  return Status::Ok();
}

Status Elbv2Traffic::Deregister(const std::string& group, InstanceId id) {
  std::lock_guard lock(mu_);
  SHOAL_RETURN_IF_ERROR(DeregisterLocked(group, id));
  targets_.erase(id);
  return Status::Ok();
}

void Elbv2Traffic::Note(InstanceId id, Target& target, const Elbv2TargetHealth* health) {
  const std::string key = NoteKey(health);
  if (key == target.noted) return;
  target.noted = key;
  LogInfo(log_, "elbv2_target_not_healthy_yet")
      .With("group", target.group)
      .With("instance", id.str())
      .With("state", health == nullptr ? kNotListed : health->state)
      .With("reason", health == nullptr ? "" : DescribeTargetHealth(*health));
}

void Elbv2Traffic::ObserveLocked(const std::vector<std::string>& groups, const std::vector<Elbv2TargetHealth>& listed,
                                 Seconds now, std::vector<GroupInstanceEvent>& out) {
  for (auto it = targets_.begin(); it != targets_.end();) {
    const InstanceId id = it->first;
    Target& t = it->second;
    if (std::find(groups.begin(), groups.end(), t.group) == groups.end()) {
      ++it;
      continue;
    }
    const Elbv2TargetHealth* h = FindListed(listed, id, t.port);
    if (h != nullptr) t.seen_at = now;
    if (t.draining) {
      if (h == nullptr || h->state == "unused") {
        out.push_back(Event(t.group, id, InstanceEvent::kDrained));
        it = targets_.erase(it);
        continue;
      }
    } else if (h != nullptr && h->state == "healthy") {
      if (!t.healthy) out.push_back(Event(t.group, id, InstanceEvent::kHealthy));
      t.healthy = true;
      t.noted.clear();
    } else if (t.healthy) {
      // The activity reads "<instance> (<market>) <reason>".
      const std::string reason = h == nullptr ? "is no longer registered in its ELB target group"
                                              : "is " + h->state + " in its ELB target group (" +
                                                    DescribeTargetHealth(*h) + ")";
      out.push_back(Event(t.group, id, InstanceEvent::kUnhealthy, reason));
      t.healthy = false;
      t.noted = NoteKey(h);
    } else {
      Note(id, t, h);  // initial, or unhealthy before it ever served: the health-check grace decides
    }
    if (h == nullptr && now - t.seen_at >= options_.forget_after) {
      it = targets_.erase(it);  // gone for good (ELB drops terminated instances)
      continue;
    }
    ++it;
  }
}

std::vector<GroupInstanceEvent> Elbv2Traffic::Poll() {
  std::lock_guard lock(mu_);
  std::vector<GroupInstanceEvent> out;
  const Seconds now = clock_->Now();
  // The target groups that have targets of ours, and the groups each serves.
  std::map<std::string, std::vector<std::string>> groups_of;
  std::set<std::string> seen;
  for (const auto& [id, t] : targets_) {
    if (!seen.insert(t.group).second) continue;
    const auto tg = target_groups_.find(t.group);
    if (tg != target_groups_.end() && !tg->second.arn.empty()) groups_of[tg->second.arn].push_back(t.group);
  }
  for (const auto& [arn, groups] : groups_of) {
    Seconds polled_at = kNever;
    for (const std::string& g : groups) polled_at = std::max(polled_at, target_groups_[g].polled_at);
    if (polled_at != kNever && now - polled_at < options_.poll_interval) continue;
    auto doc = client_->Query(Service::kElbv2, "DescribeTargetHealth", {{"TargetGroupArn", arn}});
    if (!doc.ok()) continue;  // the client logged it; the next poll sees what this one missed
    for (const std::string& g : groups) target_groups_[g].polled_at = now;
    ObserveLocked(groups, ParseTargetHealth(doc->Root()), now, out);
  }
  return out;
}

}  // namespace shoal::aws
