#include "adapters/aws/ec2_cloud.h"

#include <set>

#include "adapters/aws/ec2_wire.h"
#include "adapters/data/iso_time.h"

namespace shoal::aws {
namespace {

// Pages of DescribeInstances read at most (1000 instances each).
constexpr int kMaxPages = 100;

const std::vector<std::string> kListedStates = {"pending", "running", "stopping", "stopped", "shutting-down"};

}  // namespace

Ec2Cloud::Ec2Cloud(Ec2CloudOptions options, AwsClient* client, const Clock* clock, Logger* log)
    : options_(std::move(options)), client_(client), clock_(clock), log_(log) {}

Result<std::vector<Ec2Instance>> Ec2Cloud::List(const std::vector<std::string>& states,
                                                const std::string& token) {
  std::vector<Ec2Instance> out;
  std::string next;
  for (int page = 0; page < kMaxPages; ++page) {
    auto doc = client_->Query(Service::kEc2, "DescribeInstances",
                              DescribeInstancesParams(options_.owner, states, token, next));
    if (!doc.ok()) return doc.status();
    // The port is filled in per group below: the answer does not know it.
    for (Ec2Instance& inst : ParseInstances(doc->Root().All("reservationSet/item/instancesSet/item"), 0)) {
      DescribedInstance& d = inst.described;
      if (d.group.empty()) continue;  // tagged with our owner but not by us: leave it alone
      if (!d.address.host.empty()) {
        const std::optional<Ec2LaunchOptions> launch = LaunchOptionsOf(d.group);
        d.address.port = launch ? launch->service_port : 0;
      }
      out.push_back(std::move(inst));
    }
    next = doc->Root().Text("nextToken");
    if (next.empty()) return out;
  }
  return Status::LimitExceeded("ec2 DescribeInstances: more than " + std::to_string(kMaxPages) + " pages");
}

Status Ec2Cloud::LearnSubnetZones(const std::vector<std::string>& subnets) {
  Params params;
  for (std::size_t i = 0; i < subnets.size(); ++i) params.emplace_back("SubnetId." + std::to_string(i + 1), subnets[i]);
  auto doc = client_->Query(Service::kEc2, "DescribeSubnets", params);
  if (!doc.ok()) return doc.status();
  std::lock_guard lock(mu_);
  for (const XmlNode& item : doc->Root().All("subnetSet/item")) {
    subnet_zone_[item.Text("subnetId")] = item.Text("availabilityZone");
  }
  return Status::Ok();
}

Result<std::string> Ec2Cloud::SubnetFor(const std::string& group, const Ec2LaunchOptions& launch,
                                        const std::string& zone) {
  if (launch.subnets.empty()) return std::string();
  if (zone.empty()) {  // on-demand: the zones take turns
    std::lock_guard lock(mu_);
    return launch.subnets[next_subnet_[group]++ % launch.subnets.size()];
  }
  bool known = true;
  {
    std::lock_guard lock(mu_);
    for (const std::string& s : launch.subnets) known = known && subnet_zone_.count(s) > 0;
  }
  if (!known) SHOAL_RETURN_IF_ERROR(LearnSubnetZones(launch.subnets).WithContext("finding the subnets of " + group));
  std::lock_guard lock(mu_);
  for (const std::string& s : launch.subnets) {
    const auto it = subnet_zone_.find(s);
    if (it != subnet_zone_.end() && it->second == zone) return s;
  }
  return Status::InvalidArgument("group " + group + " has no subnet in zone " + zone);
}

std::optional<Ec2LaunchOptions> Ec2Cloud::LaunchOptionsOf(const std::string& group) {
  std::lock_guard lock(mu_);
  const auto it = options_.groups.find(group);
  if (it == options_.groups.end()) return std::nullopt;
  return it->second;
}

void Ec2Cloud::SetGroups(std::map<std::string, Ec2LaunchOptions> groups) {
  std::lock_guard lock(mu_);
  options_.groups = std::move(groups);
}

Result<LaunchedInstance> Ec2Cloud::Launch(const LaunchRequest& request) {
  const std::optional<Ec2LaunchOptions> options = LaunchOptionsOf(request.group);
  if (!options) return Status::InvalidArgument("ec2: no launch options for group " + request.group);
  const Ec2LaunchOptions& launch = *options;
  if (request.warm && (!launch.agent || request.market != Market::kOnDemand)) {
    return Status::InvalidArgument("group " + request.group +
                                   ": a warm-pool launch on EC2 must be on-demand and needs provider.aws.agent");
  }
  if (!request.release.empty() && (!launch.agent || !options_.resolve_release)) {
    return Status::InvalidArgument("group " + request.group + " boots release " + request.release +
                                   ", which Shoal's part of the user data fetches: set provider.aws.agent");
  }
  if (!request.launch_token.empty()) {
    // An instance already made for this token is the answer (a retried launch).
    auto existing = List(kListedStates, request.launch_token);
    if (!existing.ok()) return existing.status().WithContext("launching " + request.group);
    for (const Ec2Instance& inst : *existing) {
      const DescribedInstance& found = inst.described;
      if (found.running) return LaunchedInstance{found.id, found.address, found.version};
    }
  }
  auto subnet = SubnetFor(request.group, launch, request.zone);
  if (!subnet.ok()) return subnet.status();
  std::optional<ReleaseBootstrap> release;
  if (!request.release.empty()) {
    Result<Ec2Release> resolved = options_.resolve_release(launch.service, request.release);
    if (!resolved.ok()) {
      return resolved.status().WithContext("launch of group " + request.group + ": release " + request.release);
    }
    release = ReleaseBootstrap{resolved->store_url, launch.service, resolved->env, resolved->version};
    SHOAL_RETURN_IF_ERROR(CheckReleaseBootstrap(*release));
  }
  std::string user_data = launch.user_data;
  if (launch.agent) {
    if (!options_.agent_credential || request.launch_token.empty()) {
      return Status::Internal("ec2: group " + request.group +
                              " starts the agent, but the launch has no token to derive its credential from");
    }
    std::optional<LogShipping> logs = launch.logs;
    if (logs) {
      // As the daemon labels the instance's lines (a spot pool's name, "" on demand).
      logs->group = request.group;
      logs->pool = request.market == Market::kSpot ? request.pool : "";
      logs->release = release ? std::to_string(release->version) : "";
      SHOAL_RETURN_IF_ERROR(CheckLogShipping(*logs));
    }
    AgentBootstrap agent = *launch.agent;
    if (request.warm) {
      // Stopped into the pool once its service answers (the agent says so).
      agent.ready_url = WarmReadyUrl(launch.service_port, launch.ready_path);
      SHOAL_RETURN_IF_ERROR(CheckAgentBootstrap(agent).WithContext("warm-pool launch of " + request.group));
    }
    user_data = AgentUserData(agent, options_.agent_credential(request.launch_token), launch.user_data,
                              release ? &*release : nullptr, logs ? &*logs : nullptr);
  }
  RunInstancesInput input{options_.owner, launch.image_id, *subnet, launch.security_groups,
                          launch.instance_profile, launch.key_name, user_data, launch.extra_tags};
  input.version = release ? release->version : 0;
  auto doc = client_->Query(Service::kEc2, "RunInstances", RunInstancesParams(request, input), 1);
  if (!doc.ok()) {
    return doc.status().WithContext("launching " + request.group + " (" + request.instance_type +
                                    (request.zone.empty() ? "" : " in " + request.zone) + ")");
  }
  const auto made = ParseInstances(doc->Root().All("instancesSet/item"), launch.service_port);
  if (made.empty()) return Status::Internal("ec2 RunInstances: the answer names no instance");
  const DescribedInstance& d = made.front().described;
  std::lock_guard lock(mu_);
  // Poll watches it from now, so it is reported gone even if no list ever shows it.
  seen_.try_emplace(d.id, Seen{request.group, false, false, clock_->Now()});
  return LaunchedInstance{d.id, d.address, input.version};
}

Status Ec2Cloud::Terminate(InstanceId id) {
  auto doc = client_->Query(Service::kEc2, "TerminateInstances", {{"InstanceId.1", id.str()}}, 1);
  if (!doc.ok() && doc.status().code() == StatusCode::kNotFound) return Status::Ok();  // already gone
  return doc.ok() ? Status::Ok() : doc.status();
}

Status Ec2Cloud::Stop(InstanceId id) {
  auto doc = client_->Query(Service::kEc2, "StopInstances", {{"InstanceId.1", id.str()}}, 1);
  return doc.ok() ? Status::Ok() : doc.status().WithContext("stopping " + id.str() + " into the warm pool");
}

Status Ec2Cloud::Start(InstanceId id) {
  auto doc = client_->Query(Service::kEc2, "StartInstances", {{"InstanceId.1", id.str()}}, 1);
  return doc.ok() ? Status::Ok() : doc.status().WithContext("starting " + id.str() + " from the warm pool");
}

Result<std::vector<DescribedInstance>> Ec2Cloud::Describe() {
  auto listed = List(kListedStates, "");
  if (!listed.ok()) return listed.status();
  std::vector<DescribedInstance> out;
  out.reserve(listed->size());
  for (Ec2Instance& inst : *listed) out.push_back(std::move(inst.described));
  return out;
}

std::vector<GroupInstanceEvent> Ec2Cloud::Poll() {
  {
    std::lock_guard lock(mu_);
    const Seconds now = clock_->Now();
    if (polled_at_ != kNever && now - polled_at_ < options_.poll_interval) return {};
    polled_at_ = now;
  }
  auto listed = List(kListedStates, "");
  std::vector<GroupInstanceEvent> out;
  if (!listed.ok()) return out;  // the client logged it; the next poll sees what this one missed
  const Seconds now = clock_->Now();
  std::lock_guard lock(mu_);
  std::set<InstanceId> running;
  std::set<InstanceId> going;  // listed, but stopping or shutting down
  for (const Ec2Instance& inst : *listed) {
    const DescribedInstance& d = inst.described;
    if (!d.running) {
      going.insert(d.id);
      continue;
    }
    running.insert(d.id);
    Seen& seen = seen_[d.id];
    seen.group = d.group;
    seen.listed = true;
    if (!seen.booted && inst.state == "running") {
      seen.booted = true;
      out.push_back({d.group, {d.id, InstanceEvent::kBooted, kNever, ""}});
    }
  }
  for (auto it = seen_.begin(); it != seen_.end();) {
    const Seen& seen = it->second;
    const bool gone = running.count(it->first) == 0 &&
                      (seen.listed || going.count(it->first) > 0 || now - seen.launched_at >= options_.list_grace);
    if (!gone) {
      ++it;
      continue;
    }
    const char* reason = seen.listed || going.count(it->first) > 0 ? "" : "never listed by DescribeInstances";
    out.push_back({seen.group, {it->first, InstanceEvent::kTerminated, kNever, reason}});
    it = seen_.erase(it);
  }
  return out;
}

PoolObservation Ec2Cloud::Pool(const std::string& instance_type, const std::string& zone) {
  PoolObservation p;
  p.on_demand_price = OnDemandPrice(instance_type);
  const Seconds now = clock_->Now();
  const auto key = std::make_pair(instance_type, zone);
  {
    std::lock_guard lock(mu_);
    const auto it = spot_prices_.find(key);
    if (it != spot_prices_.end() && now - it->second.at < options_.spot_price_ttl) {
      p.price = it->second.price;
      return p;
    }
  }
  auto doc = client_->Query(Service::kEc2, "DescribeSpotPriceHistory",
                            {{"InstanceType.1", instance_type},
                             {"ProductDescription.1", "Linux/UNIX"},
                             {"AvailabilityZone", zone},
                             {"StartTime", FormatIsoUtc(now)}});
  const std::optional<double> price = doc.ok() ? LatestSpotPrice(doc->Root(), zone) : std::nullopt;
  std::lock_guard lock(mu_);
  if (price) {
    spot_prices_[key] = {*price, now};
    p.price = *price;
    return p;
  }
  // A failed call the client logged; an answer without this pool's price is logged here, once per pool.
  if (doc.ok() && price_missing_logged_.insert(key).second) {
    LogWarn(log_, "ec2_spot_price_missing").With("type", instance_type).With("zone", zone);
  }
  const auto it = spot_prices_.find(key);
  // Unknown: an older price if there is one, else spot is no cheaper.
  p.price = it != spot_prices_.end() ? it->second.price : p.on_demand_price;
  return p;
}

double Ec2Cloud::OnDemandPrice(const std::string& instance_type) {
  const auto it = options_.on_demand_prices.find({instance_type, client_->region()});
  if (it != options_.on_demand_prices.end()) return it->second;
  std::lock_guard lock(mu_);
  if (!price_unknown_logged_[instance_type]) {
    price_unknown_logged_[instance_type] = true;
    LogWarn(log_, "ec2_on_demand_price_unknown").With("type", instance_type).With("region", client_->region());
  }
  return 0;
}

}  // namespace shoal::aws
