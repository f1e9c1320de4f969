#include "adapters/sim/sim_world.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>

#include "adapters/release/release_layout.h"

namespace shoal {
namespace {

std::uint64_t BurstSubject(std::size_t pool, std::size_t burst) {
  return (static_cast<std::uint64_t>(pool) << 32) | burst;
}

}  // namespace

SimWorld::SimWorld(SimEnvironment env, const SpotMarket* market, std::vector<MarketPool> market_pools,
                   std::map<std::string, std::string> group_service,
                   std::map<std::string, const std::vector<double>*> service_demand)
    : env_(env), market_(market), market_pools_(std::move(market_pools)),
      rng_(env.seed ^ 0x5d1a7c0ffee5eedULL) {
  std::map<std::string, int> service_index;
  for (const auto& [name, demand] : service_demand) {
    ServiceAccum s;
    s.name = name;
    s.demand = demand;
    s.serving_pool_units.assign(market_pools_.size(), 0);
    s.pool_unit_seconds.assign(market_pools_.size(), 0);
    service_index[name] = static_cast<int>(services_.size());
    services_.push_back(std::move(s));
  }
  for (const auto& [group, service] : group_service) {
    GroupAccum g;
    g.name = group;
    g.service = service_index.at(service);
    group_index_[group] = static_cast<int>(groups_.size());
    groups_.push_back(std::move(g));
  }
  pool_members_.resize(market_pools_.size());
  for (std::size_t p = 0; p < market_pools_.size(); ++p) {
    pool_names_.push_back(market_pools_[p].instance_type + "/" + market_pools_[p].zone);
    const auto& bursts = market_->Bursts(p);
    for (std::size_t b = 0; b < bursts.size(); ++b) {
      if (RecommendationsOn()) {
        Schedule(std::max<Seconds>(0, bursts[b].start - env_.rebalance_lead_max), EventType::kBurstWarning,
                 BurstSubject(p, b));
      }
      Schedule(bursts[b].start, EventType::kBurst, BurstSubject(p, b));
    }
    const Seconds change = market_->NextPriceChange(p, 0);
    if (change != kNever) Schedule(change, EventType::kPriceChange, p);
  }
}

// --- Cloud ---------------------------------------------------------------

namespace {

// The simulator has no store: a numbered release is what it boots; a
// pointer ("latest-stable") or none boots version 0.
int ReleaseNumber(const std::string& release) {
  const std::optional<std::uint64_t> n = ParseVersionNumber(release);
  return n && *n <= static_cast<std::uint64_t>(INT_MAX) ? static_cast<int>(*n) : 0;
}

}  // namespace

Result<LaunchedInstance> SimWorld::Launch(const LaunchRequest& req) {
  // Idempotent by token: asking again returns the first instance, even one
  // that has ended since (as EC2 does for a ClientToken).
  if (!req.launch_token.empty()) {
    if (auto it = launched_by_token_.find(req.launch_token); it != launched_by_token_.end()) return it->second;
  }
  int pool = -1;
  double bid = 0;
  if (req.market == Market::kSpot) {
    pool = MarketIndex(req.instance_type, req.zone);
    if (pool < 0) return Status::InvalidArgument("no spot market for " + req.instance_type + " in " + req.zone);
    if (!market_->HasCapacity(pool, now_)) {
      return Status::InsufficientCapacity("no spot capacity for " + req.instance_type + " in " + req.zone);
    }
    bid = req.bid_usd_per_hour > 0 ? req.bid_usd_per_hour : market_->OnDemandPrice(req.instance_type);
    if (market_->Price(pool, now_) > bid) {
      return Status::InsufficientCapacity("spot price of " + req.pool + " is above the bid");
    }
  }
  SimInstance in;
  in.serial = next_serial_++;
  in.id = InstanceId::FromCounter(in.serial);
  in.group = req.group;
  const auto g = group_index_.find(req.group);
  if (g == group_index_.end()) return Status::InvalidArgument("unknown group " + req.group);
  in.group_index = g->second;
  in.service = groups_[g->second].service;
  in.market = req.market;
  in.pool = pool;
  in.instance_type = req.instance_type;
  in.bid = bid;
  in.weight = req.weight;
  in.launched = now_;
  in.run_from = now_;
  in.launch_token = req.launch_token;
  in.version = ReleaseNumber(req.release);
  const InstanceId id = in.id;
  // A private address, as EC2 gives (nothing is ever sent to it).
  in.address = {"10." + std::to_string((in.serial >> 16) & 0xff) + "." + std::to_string((in.serial >> 8) & 0xff) +
                    "." + std::to_string(in.serial & 0xff),
                80};
  const LaunchedInstance launched{id, in.address, in.version};
  if (!req.launch_token.empty()) launched_by_token_[req.launch_token] = launched;
  if (pool >= 0) {
    assert(pool_members_[pool].empty() || pool_members_[pool].back() < id);  // kept ascending (End)
    pool_members_[pool].push_back(id);
  }
  Schedule(now_ + Jittered(env_.boot_seconds / 3.0), EventType::kBooted, in.serial);
  instances_.emplace(id, std::move(in));
  ++describe_version_;
  max_instances_ = std::max(max_instances_, static_cast<int>(instances_.size()));
  return launched;
}

Status SimWorld::Terminate(InstanceId id) {
  auto it = instances_.find(id);
  if (it != instances_.end()) {
    Emit(it->second, InstanceEvent::kTerminated);  // the confirmation, seen at the next poll
    End(it->second, now_);
  }
  return Status::Ok();
}

Status SimWorld::Stop(InstanceId id) {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second.phase == Phase::kStopped) return Status::Ok();
  SimInstance& in = it->second;
  SetServing(in, false);
  in.registered = false;
  in.billed += RunCost(in, in.run_from, now_);
  in.stopped_at = now_;
  in.phase = Phase::kStopped;
  return Status::Ok();
}

Status SimWorld::Start(InstanceId id) {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second.phase != Phase::kStopped) return Status::Ok();
  SimInstance& in = it->second;
  in.disk_billed += DiskCost(in.stopped_at, now_);
  in.stopped_seconds += std::max<Seconds>(0, now_ - std::max(in.stopped_at, env_.start_offset));
  in.stopped_at = kNever;
  in.run_from = now_;
  in.phase = Phase::kChecking;  // resumed, provisioned: only the checks remain
  in.healthy_not_before = now_ + 1;
  Schedule(now_ + std::max<Seconds>(1, Jittered(static_cast<double>(env_.warm_start_seconds))), EventType::kHealthy,
           in.serial);
  return Status::Ok();
}

std::vector<GroupInstanceEvent> SimWorld::Poll() {
  std::vector<GroupInstanceEvent> out;
  out.swap(pending_);
  return out;
}

PoolObservation SimWorld::Pool(const std::string& instance_type, const std::string& zone) {
  PoolObservation po;
  const int p = MarketIndex(instance_type, zone);
  if (p < 0) return po;  // price 0: unavailable
  po.price = market_->Price(p, now_);
  po.capacity_score = market_->CapacityScore(p, now_);
  return po;
}

double SimWorld::OnDemandPrice(const std::string& instance_type) {
  return market_->OnDemandPrice(instance_type);
}

Result<std::vector<DescribedInstance>> SimWorld::Describe() {
  std::vector<DescribedInstance> out;
  out.reserve(instances_.size());
  for (const auto& [id, in] : instances_) {
    DescribedInstance& d = out.emplace_back();  // in place: no temporary to move and destroy
    d.id = id;
    d.group = in.group;
    d.market = in.market;
    if (in.pool >= 0) d.pool = pool_names_[in.pool];
    d.instance_type = in.instance_type;
    d.zone = in.pool >= 0 ? market_pools_[in.pool].zone : "";
    d.weight = in.weight;
    d.launched_at = in.launched;
    d.launch_token = in.launch_token;
    d.version = in.version;
    d.address = in.address;
  }
  return out;
}

// --- Traffic ---------------------------------------------------------------

Status SimWorld::Register(const std::string&, InstanceId id, const InstanceAddress&) {
  auto it = instances_.find(id);
  if (it == instances_.end()) return Status::Ok();
  SimInstance& in = it->second;
  // Registered again (a restarted controller): the load balancer's adapter
  // reports a server it already sees healthy, as HaproxyTraffic does.
  if (in.registered && in.phase == Phase::kServing) Emit(in, InstanceEvent::kHealthy);
  in.registered = true;
  return Status::Ok();
}

Status SimWorld::RegisterHeld(const std::string& group, InstanceId id, const InstanceAddress& address) {
  auto it = instances_.find(id);
  if (it == instances_.end()) return Status::Ok();
  it->second.held = true;
  SetServing(it->second, false);
  return Register(group, id, address);
}

Status SimWorld::SetServing(const std::string&, InstanceId id, bool serving) {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second.phase == Phase::kDraining) return Status::Ok();
  SimInstance& in = it->second;
  in.held = !serving;
  if (!serving) {
    SetServing(in, false);
  } else if (in.phase == Phase::kServing && in.registered && now_ >= lb_down_until_) {
    SetServing(in, true);
  }
  return Status::Ok();
}

Status SimWorld::Drain(const std::string&, InstanceId id) {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second.phase == Phase::kDraining) return Status::Ok();
  SetServing(it->second, false);
  it->second.phase = Phase::kDraining;
  Schedule(now_ + Jittered(static_cast<double>(env_.drain_seconds)), EventType::kDrained, it->second.serial);
  return Status::Ok();
}

Status SimWorld::Deregister(const std::string&, InstanceId id) {
  auto it = instances_.find(id);
  if (it != instances_.end()) {
    SetServing(it->second, false);
    it->second.registered = false;
  }
  return Status::Ok();
}

// --- Metrics ---------------------------------------------------------------

Datapoint SimWorld::Read(const std::string& group, MetricName metric, std::int64_t minute) {
  const auto g = group_index_.find(group);
  if (g == group_index_.end() || minute < 0) return {};
  const auto& series = metric == MetricName::kCpuUtilization ? groups_[g->second].cpu : groups_[g->second].rpt;
  return minute < static_cast<std::int64_t>(series.size()) ? series[minute] : Datapoint{};
}

std::vector<ReleaseTraffic> SimWorld::ReadReleases(const std::string& group, std::int64_t minute) {
  const auto g = group_index_.find(group);
  if (g == group_index_.end() || minute < 0) return {};
  const auto& series = groups_[g->second].releases;
  return minute < static_cast<std::int64_t>(series.size()) ? series[minute] : std::vector<ReleaseTraffic>{};
}

// --- Time ------------------------------------------------------------------

Seconds SimWorld::NextEventTime() const { return events_.empty() ? kNever : events_.top().time; }

void SimWorld::AdvanceTo(Seconds t) {
  while (!events_.empty() && events_.top().time <= t) {
    const Event e = events_.top();
    events_.pop();
    Integrate(e.time);
    now_ = std::max(now_, e.time);
    Run(e);
  }
  Integrate(t);
  now_ = std::max(now_, t);
}

void SimWorld::Finish(Seconds t) {
  AdvanceTo(t);
  while (!instances_.empty()) End(instances_.begin()->second, t);
}

void SimWorld::Schedule(Seconds t, EventType type, std::uint64_t subject) {
  events_.push(Event{t, seq_++, type, subject});
}

void SimWorld::Run(const Event& e) {
  if (e.type == EventType::kBurst || e.type == EventType::kBurstWarning) {
    // The instances of the pool are drawn once per burst: at its warning
    // those in the pool then, at its start those that joined since.
    const std::size_t pool = e.subject >> 32;
    const Burst& burst = market_->Bursts(pool)[e.subject & 0xffffffffULL];
    std::set<std::uint64_t>& drawn = drawn_at_warning_[e.subject];
    for (InstanceId id : pool_members_[pool]) {
      SimInstance& in = instances_.at(id);
      if (!drawn.insert(in.serial).second) continue;
      DrawBurstHit(in, burst);
    }
    if (e.type == EventType::kBurst) drawn_at_warning_.erase(e.subject);
    return;
  }
  if (e.type == EventType::kLbBack) {
    if (now_ < lb_down_until_) return;  // restarted again meanwhile
    for (auto& [id, in] : instances_) {
      if (in.phase == Phase::kServing && in.registered && !in.held) SetServing(in, true);
    }
    return;
  }
  if (e.type == EventType::kPriceChange) {
    const double price = market_->Price(e.subject, now_);
    for (InstanceId id : pool_members_[e.subject]) {
      SimInstance& in = instances_.at(id);
      if (!in.noticed && price > in.bid) StartNotice(in, now_);
    }
    const Seconds next = market_->NextPriceChange(e.subject, now_);
    if (next != kNever) Schedule(next, EventType::kPriceChange, e.subject);
    return;
  }
  auto it = instances_.find(InstanceId::FromCounter(e.subject));
  if (it == instances_.end()) return;  // terminated before this happened
  SimInstance& in = it->second;
  switch (e.type) {
    case EventType::kBooted:
      if (in.phase != Phase::kBooting) return;
      in.phase = Phase::kProvisioning;
      Emit(in, InstanceEvent::kBooted);
      Schedule(now_ + Jittered(env_.boot_seconds * 5.0 / 9.0), EventType::kProvisioned, in.serial);
      return;
    case EventType::kProvisioned: {
      if (in.phase != Phase::kProvisioning) return;
      in.phase = Phase::kChecking;
      Emit(in, InstanceEvent::kProvisioned);
      std::uniform_int_distribution<Seconds> first(1, std::max<Seconds>(1, env_.health_interval));
      Schedule(now_ + first(rng_) + (env_.health_rise - 1) * env_.health_interval, EventType::kHealthy, in.serial);
      return;
    }
    case EventType::kHealthy:
      if (in.phase != Phase::kChecking || !in.registered || now_ < in.healthy_not_before) return;
      if (auto r = releases_.find(in.version); r != releases_.end() && !r->second.healthy) {
        Emit(in, InstanceEvent::kUnhealthy);  // its checks fail: a broken build
        return;
      }
      in.phase = Phase::kServing;
      if (now_ >= lb_down_until_ && !in.held) SetServing(in, true);
      Emit(in, InstanceEvent::kHealthy);
      return;
    case EventType::kNotice:
      ++interruptions_;
      Emit(in, InstanceEvent::kNotice, in.notice_issued + env_.notice_seconds);
      return;
    case EventType::kRecommendation:
      ++recommendations_;
      Emit(in, InstanceEvent::kRebalanceRecommended);
      return;
    case EventType::kReclaim:
      Emit(in, InstanceEvent::kTerminated);
      End(in, now_);
      return;
    case EventType::kDrained:
      Emit(in, InstanceEvent::kDrained);
      return;
    default:
      return;
  }
}

void SimWorld::StartNotice(SimInstance& in, Seconds issued) {
  in.noticed = true;
  in.notice_issued = issued;
  std::uniform_int_distribution<Seconds> poll(0, std::max<Seconds>(0, env_.imds_poll_seconds));
  Schedule(issued + poll(rng_), EventType::kNotice, in.serial);
  Schedule(issued + env_.notice_seconds, EventType::kReclaim, in.serial);
}

bool SimWorld::RecommendationsOn() const {
  return env_.rebalance_fraction > 0 && env_.rebalance_lead_max > 0;
}

// Whether `burst` interrupts `in` and when (its notice falls within the
// burst's spread), with maybe a recommendation ahead of the notice.
void SimWorld::DrawBurstHit(SimInstance& in, const Burst& burst) {
  std::uniform_real_distribution<double> hit(0.0, 1.0);
  if (in.noticed || hit(rng_) >= env_.burst_hit_probability) return;
  const double spread = static_cast<double>(burst.end - burst.start);
  const Seconds issued = burst.start + static_cast<Seconds>(std::floor(hit(rng_) * spread));
  StartNotice(in, issued);
  MaybeRecommend(in, issued);
}

// A rebalance recommendation `lead` before the notice, for a share of the
// interruptions. One drawn at the burst's start (the instance joined the
// pool after the warning) comes no earlier than now: EC2, too, sends some
// along with the notice. The agent sees it within its poll, as a notice.
void SimWorld::MaybeRecommend(SimInstance& in, Seconds notice_issued) {
  if (!RecommendationsOn()) return;  // no draw: the seed gives the world it gives without them
  std::uniform_real_distribution<double> share(0.0, 1.0);
  if (share(rng_) >= env_.rebalance_fraction) return;
  const Seconds lo = std::clamp<Seconds>(env_.rebalance_lead_min, 0, env_.rebalance_lead_max);
  std::uniform_int_distribution<Seconds> lead(lo, env_.rebalance_lead_max);
  std::uniform_int_distribution<Seconds> poll(0, std::max<Seconds>(0, env_.imds_poll_seconds));
  const Seconds at = std::max(now_, notice_issued - lead(rng_));
  Schedule(at + poll(rng_), EventType::kRecommendation, in.serial);
}

void SimWorld::SetServing(SimInstance& in, bool serving) {
  if (in.serving_counted == serving) return;
  Integrate(now_);
  const double d = serving ? in.weight : -in.weight;
  in.serving_counted = serving;
  groups_[in.group_index].serving_units += d;
  groups_[in.group_index].serving_by_version[in.version] += d;
  ServiceAccum& s = services_[in.service];
  if (in.pool >= 0) {
    s.serving_pool_units[in.pool] += d;
  } else {
    s.serving_od_units += d;
  }
}

InstanceBill SimWorld::BillAt(const SimInstance& in, Seconds t) const {
  InstanceBill bill;
  bill.group = in.group;
  bill.market = in.market;
  bill.launched = in.launched;
  bill.ended = t;
  double disk = in.disk_billed;
  Seconds stopped = in.stopped_seconds;
  double run = in.billed;
  if (in.phase == Phase::kStopped) {
    disk += DiskCost(in.stopped_at, t);
    stopped += std::max<Seconds>(0, t - std::max(in.stopped_at, env_.start_offset));
  } else {
    run += RunCost(in, in.run_from, t);
  }
  bill.cost = run + disk;
  bill.stopped_disk_cost = disk;
  bill.stopped_seconds = stopped;
  return bill;
}

double SimWorld::AccruedCost(Seconds t) const {
  double cost = 0;
  for (const InstanceBill& b : bills_) cost += b.cost;
  for (const auto& [id, in] : instances_) cost += BillAt(in, t).cost;
  return cost;
}

void SimWorld::End(SimInstance& in, Seconds t) {
  SetServing(in, false);
  bills_.push_back(BillAt(in, t));
  const InstanceId id = in.id;
  if (in.pool >= 0) {
    // Ascending: ids grow with the serial they are made from (Launch).
    std::vector<InstanceId>& members = pool_members_[in.pool];
    const auto at = std::lower_bound(members.begin(), members.end(), id);
    if (at != members.end() && *at == id) members.erase(at);
  }
  instances_.erase(id);  // `in` dangles from here
  ++describe_version_;
}

double SimWorld::RunCost(const SimInstance& in, Seconds from, Seconds to) const {
  from = std::max(from, env_.start_offset);  // the warm-up is not billed
  if (to <= from) return 0;
  return in.pool >= 0 ? SpotCost(in.pool, from, to)
                      : market_->OnDemandPrice(in.instance_type) * static_cast<double>(to - from) / 3600.0;
}

double SimWorld::DiskCost(Seconds from, Seconds to) const {
  from = std::max(from, env_.start_offset);
  if (to <= from) return 0;
  // A month as AWS bills EBS: 730 hours.
  return env_.stopped_disk_usd_per_gb_month * env_.disk_gb * static_cast<double>(to - from) / (730.0 * 3600.0);
}

double SimWorld::SpotCost(int pool, Seconds from, Seconds to) const {
  double cost = 0;
  Seconds t = from;
  while (t < to) {
    const Seconds next = market_->NextPriceChange(pool, t);
    const Seconds end = (next == kNever || next > to) ? to : next;
    cost += market_->Price(pool, t) * static_cast<double>(end - t) / 3600.0;
    t = end;
  }
  return cost;
}

// --- Accounting ------------------------------------------------------------

double SimWorld::DemandRps(int service, std::int64_t minute) const {
  const std::vector<double>& demand = *services_[service].demand;
  std::int64_t m = minute - env_.start_offset / kMinute;
  if (m < 0) m = 0;  // warm-up runs at the trace's first minute
  if (m >= static_cast<std::int64_t>(demand.size())) return 0;
  return demand[m] / 60.0;
}

void SimWorld::Integrate(Seconds until) {
  while (integrated_until_ < until) {
    const Seconds minute_end = (open_minute_ + 1) * kMinute;
    const Seconds seg_end = std::min(until, minute_end);
    const double dt = static_cast<double>(seg_end - integrated_until_);
    for (GroupAccum& g : groups_) {
      g.unit_seconds += g.serving_units * dt;
      for (const auto& [version, units] : g.serving_by_version) g.version_unit_seconds[version] += units * dt;
    }
    for (std::size_t s = 0; s < services_.size(); ++s) {
      ServiceAccum& svc = services_[s];
      double units = svc.serving_od_units;
      svc.od_unit_seconds += svc.serving_od_units * dt;
      for (std::size_t p = 0; p < svc.serving_pool_units.size(); ++p) {
        units += svc.serving_pool_units[p];
        svc.pool_unit_seconds[p] += svc.serving_pool_units[p] * dt;
      }
      const double capacity_rps = units * env_.capacity_per_unit_rpm / 60.0;
      svc.lost_in_minute += std::max(0.0, DemandRps(static_cast<int>(s), open_minute_) - capacity_rps) * dt;
    }
    integrated_until_ = seg_end;
    if (seg_end == minute_end) {
      CloseMinute(open_minute_);
      ++open_minute_;
    }
  }
}

void SimWorld::CloseMinute(std::int64_t minute) {
  std::vector<double> service_units(services_.size(), 0);
  for (const GroupAccum& g : groups_) service_units[g.service] += g.unit_seconds / kMinute;
  for (std::size_t s = 0; s < services_.size(); ++s) {
    ServiceAccum& svc = services_[s];
    MinuteRecord r;
    r.demand = DemandRps(static_cast<int>(s), minute) * 60.0;
    r.capacity_units = service_units[s];
    r.on_demand_units = svc.od_unit_seconds / kMinute;
    r.lost = svc.lost_in_minute;
    r.pool_units.resize(svc.pool_unit_seconds.size());
    for (std::size_t p = 0; p < svc.pool_unit_seconds.size(); ++p) {
      r.pool_units[p] = static_cast<float>(svc.pool_unit_seconds[p] / kMinute);
      svc.pool_unit_seconds[p] = 0;
    }
    svc.od_unit_seconds = 0;
    svc.lost_in_minute = 0;
    svc.minutes.push_back(std::move(r));
  }
  for (GroupAccum& g : groups_) {
    const double own = g.unit_seconds / kMinute;
    const double total = service_units[g.service];
    Datapoint cpu, rpt;
    if (own > 0 && total > 0) {
      const double demand = services_[g.service].minutes.back().demand;
      const double instances = std::max(1.0, std::round(own));
      const double util = 100.0 * demand / (total * env_.capacity_per_unit_rpm);
      cpu = Datapoint{std::min(100.0, util) * instances, std::min(100.0, util), std::min(100.0, util), instances};
      const double per_target = demand / total;
      rpt = Datapoint{per_target * instances, per_target, per_target, instances};
    }
    if (static_cast<std::int64_t>(g.cpu.size()) <= minute) {
      g.cpu.resize(minute + 1);
      g.rpt.resize(minute + 1);
    }
    g.cpu[minute] = cpu;
    g.rpt[minute] = rpt;
    if (static_cast<std::int64_t>(g.releases.size()) <= minute) g.releases.resize(minute + 1);
    // Served requests (demand up to capacity) split by serving units.
    const double served = std::min(services_[g.service].minutes.back().demand, total * env_.capacity_per_unit_rpm);
    for (const auto& [version, unit_seconds] : g.version_unit_seconds) {
      if (unit_seconds <= 0 || total <= 0) continue;
      const auto behaviour = releases_.find(version);
      const SimRelease r = behaviour != releases_.end() ? behaviour->second : SimRelease{};
      const double requests = served * (unit_seconds / kMinute) / total;
      g.releases[minute].push_back({version, requests, requests * r.error_percent / 100.0, requests * r.response_ms});
    }
    g.version_unit_seconds.clear();
    g.unit_seconds = 0;
  }
}

void SimWorld::RestartLoadBalancer(Seconds outage) {
  lb_down_until_ = std::max(lb_down_until_, now_ + std::max<Seconds>(1, outage));
  for (auto& [id, in] : instances_) SetServing(in, false);
  Schedule(lb_down_until_, EventType::kLbBack, 0);
}

int SimWorld::InterruptSomePool(double fraction, double draw) {
  std::vector<std::size_t> candidates;
  for (std::size_t p = 0; p < pool_members_.size(); ++p) {
    if (!pool_members_[p].empty()) candidates.push_back(p);
  }
  if (candidates.empty()) return 0;
  const std::size_t pool = candidates[std::min(candidates.size() - 1, static_cast<std::size_t>(draw * static_cast<double>(candidates.size())))];
  std::uniform_real_distribution<double> hit(0.0, 1.0);
  int issued = 0;
  for (InstanceId id : pool_members_[pool]) {
    SimInstance& in = instances_.at(id);
    if (in.noticed || hit(rng_) >= fraction) continue;
    StartNotice(in, now_);
    ++issued;
  }
  return issued;
}

std::vector<WorldInstance> SimWorld::AliveInstances() const {
  std::vector<WorldInstance> out;
  out.reserve(instances_.size());
  for (const auto& [id, in] : instances_) {
    out.push_back({id, in.group, in.launch_token, in.weight, in.serving_counted, in.launched});
  }
  return out;
}

const std::vector<MinuteRecord>& SimWorld::Minutes(const std::string& service) const {
  for (const ServiceAccum& s : services_) {
    if (s.name == service) return s.minutes;
  }
  static const std::vector<MinuteRecord> kNone;
  return kNone;
}

// --- Helpers ---------------------------------------------------------------

Seconds SimWorld::Jittered(double seconds) {
  std::uniform_real_distribution<double> f(1.0 - env_.jitter, 1.0 + env_.jitter);
  return std::max<Seconds>(1, std::llround(seconds * f(rng_)));
}

int SimWorld::MarketIndex(const std::string& type, const std::string& zone) const {
  // The controller asks for each of its pools every tick: a scan of a few
  // dozen pools, no key built.
  for (std::size_t p = 0; p < market_pools_.size(); ++p) {
    if (market_pools_[p].zone == zone && market_pools_[p].instance_type == type) return static_cast<int>(p);
  }
  return -1;
}

void SimWorld::Emit(const SimInstance& in, InstanceEvent ev, Seconds deadline) {
  GroupInstanceEvent e;
  e.group = in.group;
  e.observation.id = in.id;
  e.observation.event = ev;
  e.observation.deadline = deadline;
  pending_.push_back(std::move(e));
}

}  // namespace shoal
