// The reconcile loop against fakes that record calls and can be primed with
// errors: what the controller does with each kind of plan and failure.
#include "controller/reconciler.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace shoal {
namespace {

class FakeClock final : public Clock {
 public:
  Seconds Now() const override { return now; }
  Seconds now = 0;
};

// Records launches and terminations; pools listed in `short_pools` answer
// InsufficientCapacity, as a real cloud would.
class FakeCloud final : public Cloud {
 public:
  Result<InstanceId> Launch(const LaunchRequest& r) override {
    launches.push_back(r);
    if (r.market == Market::kSpot && short_pools.count(r.pool) > 0) {
      return Status::InsufficientCapacity("no capacity in " + r.pool);
    }
    if (fail_everything) return Status::IoError("API down");
    return next_id++;
  }
  Status Terminate(InstanceId id) override {
    terminated.push_back(id);
    return Status::Ok();
  }
  std::vector<GroupInstanceEvent> Poll() override {
    std::vector<GroupInstanceEvent> out;
    out.swap(events);
    return out;
  }
  PoolObservation Pool(const std::string&, const std::string& zone) override {
    PoolObservation p;
    p.price = zone == "us-east-1a" ? 0.03 : 0.04;
    return p;
  }
  double OnDemandPrice(const std::string&) override { return 0.10; }
  Result<std::vector<DescribedInstance>> Describe() override { return described; }
  std::vector<DescribedInstance> described;

  std::vector<LaunchRequest> launches;
  std::vector<InstanceId> terminated;
  std::set<std::string> short_pools;
  std::vector<GroupInstanceEvent> events;
  bool fail_everything = false;
  InstanceId next_id = 1;
};

class FakeTraffic final : public Traffic {
 public:
  Status Register(const std::string&, InstanceId id) override {
    registered.insert(id);
    return Status::Ok();
  }
  Status Drain(const std::string&, InstanceId id) override {
    drained.insert(id);
    return Status::Ok();
  }
  Status Deregister(const std::string&, InstanceId id) override {
    registered.erase(id);
    return Status::Ok();
  }
  std::vector<GroupInstanceEvent> Poll() override { return {}; }
  std::set<InstanceId> registered, drained;
};

class FakeMetrics final : public Metrics {
 public:
  Datapoint Read(const std::string&, MetricName m, std::int64_t minute) override {
    if (m != MetricName::kCpuUtilization) return Datapoint::Single(10);
    auto it = cpu.find(minute);
    return it == cpu.end() ? Datapoint{} : Datapoint::Single(it->second);
  }
  std::map<std::int64_t, double> cpu;
};

class Log final : public ActivitySink {
 public:
  void Record(const Activity& a) override { all.push_back(a); }
  std::vector<Activity> all;
};

GroupSpec Group(const std::string& name = "web") {
  GroupSpec g;
  g.name = name;
  g.service = "web";
  g.min = 1;
  g.max = 10;
  g.desired = 3;
  g.capacity.on_demand_base = 0;
  g.capacity.on_demand_percent_above_base = 0;
  g.capacity.strategy = AllocationStrategy::kLowestPrice;
  g.capacity.spot_instance_pools = 1;
  PoolSpec a{"m4.large/us-east-1a", "m4.large", "us-east-1a", 1, 0};
  PoolSpec b{"m4.large/us-east-1b", "m4.large", "us-east-1b", 1, 0};
  g.capacity.spot_pools = {a, b};
  return g;
}

struct World {
  FakeClock clock;
  FakeCloud cloud;
  FakeTraffic traffic;
  FakeMetrics metrics;
  Log log;
  ControllerPorts ports() { return {&clock, &cloud, &traffic, &metrics, &log}; }
};

TEST(Reconciler, LaunchesToDesiredAndRegistersEveryInstance) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_EQ(w.cloud.launches.size(), 3u);
  EXPECT_EQ(w.traffic.registered.size(), 3u);
  for (const auto& l : w.cloud.launches) {
    EXPECT_EQ(l.group, "web");
    EXPECT_EQ(l.zone, "us-east-1a") << "lowest price";
  }
  r.Tick();  // level-triggered: nothing more to do
  EXPECT_EQ(w.cloud.launches.size(), 3u);
}

TEST(Reconciler, ACapacityErrorIsPlacedElsewhereInTheSameTick) {
  World w;
  w.cloud.short_pools = {"m4.large/us-east-1a"};
  Reconciler r({Group()}, w.ports());
  r.Tick();
  int placed_in_b = 0;
  for (const auto& l : w.cloud.launches) placed_in_b += l.zone == "us-east-1b" ? 1 : 0;
  EXPECT_EQ(placed_in_b, 3);
  EXPECT_EQ(r.state(0).instances.size(), 3u);
}

TEST(Reconciler, NoSpotAnywhereFallsBackToOnDemandInTheSameTick) {
  World w;
  w.cloud.short_pools = {"m4.large/us-east-1a", "m4.large/us-east-1b"};
  Reconciler r({Group()}, w.ports());
  r.Tick();
  int on_demand = 0;
  for (const auto& l : w.cloud.launches) on_demand += l.market == Market::kOnDemand ? 1 : 0;
  EXPECT_EQ(on_demand, 3);
  bool fallback = false;
  for (const auto& a : w.log.all) fallback = fallback || a.kind == ActivityKind::kFallbackOnDemand;
  EXPECT_TRUE(fallback);
}

TEST(Reconciler, OtherLaunchFailuresAreRetriedOnTheNextTick) {
  World w;
  w.cloud.fail_everything = true;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  EXPECT_TRUE(r.state(0).instances.empty());
  w.cloud.fail_everything = false;
  w.clock.now = 10;
  r.Tick();
  EXPECT_EQ(r.state(0).instances.size(), 3u);
}

TEST(Reconciler, ANoticeDrainsAndTheDrainedInstanceIsTerminated) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  const InstanceId victim = 1;
  w.cloud.events.push_back({"web", {victim, InstanceEvent::kHealthy, kNever}});
  w.clock.now = 200;
  r.Tick();
  w.cloud.events.push_back({"web", {victim, InstanceEvent::kNotice, 320}});
  w.clock.now = 201;
  r.Tick();
  EXPECT_EQ(w.traffic.drained.count(victim), 1u);
  EXPECT_EQ(w.cloud.launches.size(), 4u) << "replacement launched at once";
  w.cloud.events.push_back({"web", {victim, InstanceEvent::kDrained, kNever}});
  w.clock.now = 210;
  r.Tick();
  EXPECT_EQ(std::count(w.cloud.terminated.begin(), w.cloud.terminated.end(), victim), 1);
  EXPECT_EQ(w.traffic.registered.count(victim), 0u);
}

TEST(Reconciler, MetricsOfEachCompletedMinuteReachTheAlarms) {
  World w;
  GroupSpec g = Group();
  AlarmSpec high;
  high.name = "high";
  high.comparison = Comparison::kGreaterThanOrEqual;
  high.threshold = 50;
  PolicySpec out;
  out.name = "out";
  out.alarm = "high";
  out.scaling_adjustment = 2;
  out.cooldown = 0;
  g.alarms = {high};
  g.policies = {out};
  Reconciler r({g}, w.ports());
  r.Tick();  // t=0
  w.metrics.cpu[0] = 90;
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(r.state(0).desired, 5);
  bool scaled = false;
  for (const auto& a : w.log.all) scaled = scaled || (a.kind == ActivityKind::kScaleOut && a.from == 3 && a.to == 5);
  EXPECT_TRUE(scaled);
}

TEST(Reconciler, BumpGroupRaisesTheOtherGroupsDesired) {
  World w;
  GroupSpec spot = Group("spot");
  spot.spot.on_notice = NoticeAction::kBumpGroup;
  spot.spot.bump_group = "ondemand";
  spot.desired = 1;
  GroupSpec od = Group("ondemand");
  od.desired = 1;
  od.capacity.on_demand_base = 1;
  od.capacity.on_demand_percent_above_base = 100;
  od.capacity.spot_pools.clear();
  Reconciler r({spot, od}, w.ports());
  r.Tick();
  w.cloud.events.push_back({"spot", {1, InstanceEvent::kNotice, 120}});
  w.clock.now = 5;
  r.Tick();
  EXPECT_EQ(r.state(1).desired, 2);
}

TEST(Reconciler, SetDesiredChecksTheGroupAndItsBounds) {
  World w;
  Reconciler r({Group()}, w.ports());
  EXPECT_EQ(r.SetDesired("nope", 2, "operator").code(), StatusCode::kNotFound);
  const Status s = r.SetDesired("web", 11, "operator");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("max 10"), std::string::npos);
  EXPECT_EQ(r.state(0).desired, 3) << "a refused request changes nothing";
  EXPECT_TRUE(r.SetDesired("web", 5, "operator").ok());
  EXPECT_EQ(r.state(0).desired, 5);
}

}  // namespace
}  // namespace shoal
