// The reconcile loop against fakes that record calls and can be primed with
// errors: what the controller does with each kind of plan and failure.
#include "controller/reconciler.h"
#include "test_ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace shoal {
namespace {

class FakeClock final : public Clock {
 public:
  Seconds Now() const override { return now; }
  Seconds now = 0;
};

// A cloud that keeps its instances (so Describe lists them), honours launch
// tokens, and can be primed with the next answers of each call. Pools listed
// in `short_pools` answer InsufficientCapacity, as a real cloud would.
class FakeCloud final : public Cloud {
 public:
  struct Running {
    std::string group;
    std::string token;
    bool running = true;
  };

  Result<LaunchedInstance> Launch(const LaunchRequest& r) override {
    launches.push_back(r);
    if (r.market == Market::kSpot && short_pools.count(r.pool) > 0) {
      return Status::InsufficientCapacity("no capacity in " + r.pool);
    }
    if (auto it = by_token.find(r.launch_token); !r.launch_token.empty() && it != by_token.end()) {
      return LaunchedInstance{it->second, AddressOf(it->second)};
    }
    if (!launch_errors.empty()) {
      Status s = launch_errors.front();
      launch_errors.pop_front();
      if (!lose_answer) return s;
      lose_answer = false;  // made it, then the answer was lost
      Make(r);
      return s;
    }
    const InstanceId id = Make(r);
    if (launch_without_address) return LaunchedInstance{id, {}};
    return LaunchedInstance{id, AddressOf(id)};
  }
  // No warm pools here (the daemon and simulator tests cover them).
  Status Stop(InstanceId id) override { return Status::InvalidArgument("fake cloud: no stop for " + id.str()); }
  Status Start(InstanceId id) override { return Status::InvalidArgument("fake cloud: no start for " + id.str()); }
  Status Terminate(InstanceId id) override {
    terminate_calls.push_back(id);
    if (!terminate_errors.empty()) {
      Status s = terminate_errors.front();
      terminate_errors.pop_front();
      return s;
    }
    auto it = instances.find(id);
    if (it != instances.end() && it->second.running) {
      it->second.running = false;
      if (confirm_terminations) events.push_back({it->second.group, {id, InstanceEvent::kTerminated, kNever, ""}});
    }
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
  Result<std::vector<DescribedInstance>> Describe() override {
    ++describe_calls;
    if (!describe_error.ok()) return describe_error;
    std::vector<DescribedInstance> out;
    for (const auto& [id, in] : instances) {
      DescribedInstance d;
      d.id = id;
      d.group = in.group;
      d.launch_token = in.token;
      d.address = AddressOf(id);
      d.running = in.running;
      out.push_back(d);
    }
    if (describe_newest_first) std::reverse(out.begin(), out.end());
    return out;
  }

  std::uint64_t DescribeVersion() const override { return version; }

  // A private address per instance, as EC2 gives.
  static InstanceAddress AddressOf(InstanceId id) {
    return {"10.0.0." + std::to_string(id.Counter().value_or(0) % 250), 8080};
  }

  InstanceId Make(const LaunchRequest& r) {
    const InstanceId id = Id(next_id++);
    instances[id] = {r.group, r.launch_token, true};
    if (!r.launch_token.empty()) by_token[r.launch_token] = id;
    if (version_per_launch) ++version;
    return id;
  }
  int RunningCount() const {
    return static_cast<int>(std::count_if(instances.begin(), instances.end(),
                                          [](const auto& kv) { return kv.second.running; }));
  }

  std::map<InstanceId, Running> instances;
  std::map<std::string, InstanceId> by_token;
  bool describe_newest_first = false;  // a cloud need not list in id order
  std::vector<LaunchRequest> launches;
  std::vector<InstanceId> terminate_calls;
  std::set<std::string> short_pools;
  std::deque<Status> launch_errors;
  std::deque<Status> terminate_errors;
  bool launch_without_address = false;  // the cloud tells the address only when described
  bool lose_answer = false;           // the next primed launch error happens after the instance was made
  bool confirm_terminations = true;   // Poll reports kTerminated for what Terminate stopped
  Status describe_error;
  int describe_calls = 0;
  std::uint64_t version = 0;  // DescribeVersion: 0 = cannot tell; tests bump it when they change `instances`
  bool version_per_launch = false;  // each instance made bumps `version`, as the simulated world does
  std::vector<GroupInstanceEvent> events;
  std::uint64_t next_id = 1;
};

class FakeTraffic final : public Traffic {
 public:
  Status Register(const std::string&, InstanceId id, const InstanceAddress& address) override {
    register_calls.push_back(id);
    addresses[id] = address;
    if (!register_errors.empty()) {
      Status s = register_errors.front();
      register_errors.pop_front();
      return s;
    }
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
  std::map<InstanceId, InstanceAddress> addresses;  // as last registered
  std::vector<InstanceId> register_calls;
  std::deque<Status> register_errors;
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
  int Count(ActivityKind k) const {
    return static_cast<int>(std::count_if(all.begin(), all.end(), [&](const Activity& a) { return a.kind == k; }));
  }
  std::vector<Activity> all;
};

// Keeps commits in memory; can be made to fail.
class FakeStore final : public StateStore {
 public:
  struct Committed {
    std::map<std::string, GroupState> states;
    std::vector<Activity> activities;
  };
  Status Commit(const StoreWrite& w) override {
    if (fail) return Status::IoError("disk full");
    Committed c;
    for (const auto& [spec, state] : w.states) {
      c.states[spec->name] = *state;
      states[spec->name] = *state;
    }
    for (const std::string& g : w.deleted_groups) states.erase(g);
    c.activities = w.activities;
    for (const MetricRow& m : w.metrics) metrics[m.group].push_back(m);
    commits.push_back(std::move(c));
    return Status::Ok();
  }
  Result<std::vector<MetricRow>> LoadMetrics(const std::string& group, std::int64_t from) override {
    std::vector<MetricRow> out;
    for (const MetricRow& m : metrics[group]) {
      if (m.minute >= from) out.push_back(m);
    }
    return out;
  }
  Status PruneActivities(Seconds) override { return Status::Ok(); }
  Result<std::optional<GroupState>> LoadGroupState(const GroupSpec& spec) override {
    auto it = states.find(spec.name);
    if (it == states.end()) return std::optional<GroupState>();
    return std::optional<GroupState>(it->second);
  }
  Result<std::vector<StoredActivity>> ListActivities(const std::string&, std::int64_t, int) override {
    return std::vector<StoredActivity>{};
  }
  Result<std::vector<StoredActivity>> ListLatestActivities(const std::string&, std::int64_t, std::int64_t,
                                                           int) override {
    return std::vector<StoredActivity>{};
  }
  Status SaveLastConfig(const ConfigRecord&) override { return Status::Ok(); }
  Result<std::optional<ConfigRecord>> LoadLastConfig() override { return std::optional<ConfigRecord>(); }

  bool fail = false;
  std::vector<Committed> commits;
  std::map<std::string, GroupState> states;
  std::map<std::string, std::vector<MetricRow>> metrics;
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
  FakeStore store;
  MemoryLogger events;
  ControllerPorts ports() { return {&clock, &cloud, &traffic, &metrics, &log, &store, &events}; }
  bool Logged(const std::string& event) const {
    return std::any_of(events.events().begin(), events.events().end(),
                       [&](const LogEvent& e) { return e.event == event; });
  }
};

const Instance* FindIn(const Reconciler& r, InstanceId id) {
  for (const Instance& in : r.state(0).instances) {
    if (in.id == id) return &in;
  }
  return nullptr;
}

TEST(Reconciler, LaunchesToDesiredAndRegistersEveryInstance) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_EQ(w.cloud.launches.size(), 3u);
  EXPECT_EQ(w.traffic.registered.size(), 3u);
  std::set<std::string> tokens;
  for (const auto& l : w.cloud.launches) {
    EXPECT_EQ(l.group, "web");
    EXPECT_EQ(l.zone, "us-east-1a") << "lowest price";
    tokens.insert(l.launch_token);
  }
  EXPECT_EQ(tokens, (std::set<std::string>{"web-1-0", "web-1-1", "web-1-2"}));
  for (const Instance& in : r.state(0).instances) {
    EXPECT_EQ(in.address, FakeCloud::AddressOf(in.id));
    EXPECT_EQ(w.traffic.addresses[in.id], FakeCloud::AddressOf(in.id)) << "registered where the cloud said it serves";
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
  EXPECT_GE(w.log.Count(ActivityKind::kFallbackOnDemand), 1);
}

TEST(Reconciler, AnUnavailableLaunchIsRetriedWithTheSameTokenAfterItsBackoff) {
  World w;
  GroupSpec g = Group();
  g.desired = 1;
  w.cloud.launch_errors = {Status::Unavailable("timeout")};
  Reconciler r({g}, w.ports());
  r.Tick();
  ASSERT_EQ(w.cloud.launches.size(), 1u);
  ASSERT_EQ(r.state(0).launches.size(), 1u) << "kept as a pending launch";
  const Seconds retry_at = r.state(0).launches[0].retry.next_at;
  EXPECT_GE(retry_at, 2);
  EXPECT_LE(retry_at, 5);
  EXPECT_TRUE(w.Logged("launch_failed"));
  w.clock.now = retry_at - 1;
  r.Tick();
  EXPECT_EQ(w.cloud.launches.size(), 1u) << "not before its backoff, and no second launch for the same capacity";
  w.clock.now = retry_at;
  r.Tick();
  ASSERT_EQ(w.cloud.launches.size(), 2u);
  EXPECT_EQ(w.cloud.launches[1].launch_token, w.cloud.launches[0].launch_token);
  EXPECT_TRUE(r.state(0).launches.empty());
  EXPECT_EQ(r.state(0).instances.size(), 1u);
}

TEST(Reconciler, ALaunchWhoseAnswerWasLostIsNotLaunchedTwice) {
  World w;
  GroupSpec g = Group();
  g.desired = 2;
  w.cloud.launch_errors = {Status::Unavailable("connection reset")};
  w.cloud.lose_answer = true;
  Reconciler r({g}, w.ports());
  for (Seconds t = 0; t <= 30; ++t) {
    w.clock.now = t;
    r.Tick();
  }
  EXPECT_EQ(w.cloud.RunningCount(), 2) << "the retry got the instance the lost call made";
  EXPECT_EQ(r.state(0).instances.size(), 2u);
  EXPECT_TRUE(r.state(0).launches.empty());
  for (const Instance& in : r.state(0).instances) EXPECT_EQ(w.traffic.addresses[in.id], FakeCloud::AddressOf(in.id));
}

TEST(Reconciler, AnInstanceWithoutAnAddressIsRegisteredOnceTheInventoryLearnsIt) {
  World w;
  GroupSpec g = Group();
  g.desired = 1;
  w.cloud.launch_without_address = true;
  ControllerOptions o;
  o.inventory_period = 60;
  Reconciler r({g}, w.ports(), o);
  r.Tick();
  ASSERT_EQ(r.state(0).instances.size(), 1u);
  const InstanceId id = r.state(0).instances[0].id;
  EXPECT_FALSE(r.state(0).instances[0].registered);
  EXPECT_TRUE(w.traffic.register_calls.empty()) << "nothing to register before the address is known";
  for (Seconds t = 1; t <= 120; ++t) {
    w.clock.now = t;
    r.Tick();
  }
  EXPECT_TRUE(r.state(0).instances[0].registered);
  EXPECT_EQ(w.traffic.addresses[id], FakeCloud::AddressOf(id));
  EXPECT_EQ(r.state(0).instances[0].address, FakeCloud::AddressOf(id));
}

TEST(Reconciler, ARefusedLaunchSetsAConditionBacksOffAndSuccessClearsIt) {
  World w;
  GroupSpec g = Group();
  g.desired = 1;
  w.cloud.launch_errors = {Status::PermissionDenied("not authorized to perform ec2:RunInstances")};
  Reconciler r({g}, w.ports());
  r.Tick();
  ASSERT_EQ(r.state(0).conditions.size(), 1u);
  EXPECT_EQ(r.state(0).conditions[0].type, "LaunchFailing");
  EXPECT_EQ(r.state(0).conditions[0].code, StatusCode::kPermissionDenied);
  EXPECT_TRUE(r.state(0).launches.empty()) << "a refused launch made nothing: it is not pending";
  EXPECT_EQ(w.log.Count(ActivityKind::kLaunchFailed), 1);
  const Seconds wait = r.state(0).launch_retry.next_at;
  w.clock.now = wait - 1;
  r.Tick();
  EXPECT_EQ(w.cloud.launches.size(), 1u) << "the group backs off";
  w.clock.now = wait;
  r.Tick();
  EXPECT_EQ(w.cloud.launches.size(), 2u);
  EXPECT_TRUE(r.state(0).conditions.empty());
}

TEST(Reconciler, ARetriedLaunchThatSucceedsLiftsTheBackoffAndTheRestIsLaunchedInTheSameTick) {
  World w;
  // One launch times out (kept pending, retried), two are refused (the
  // group backs off and says why).
  w.cloud.launch_errors = {Status::Unavailable("timeout"), Status::PermissionDenied("not authorized"),
                           Status::PermissionDenied("not authorized")};
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_EQ(r.state(0).launches.size(), 1u);
  const Seconds retry_at = r.state(0).launches[0].retry.next_at;
  ASSERT_LT(retry_at, r.state(0).launch_retry.next_at) << "the retry comes while the group backs off";
  w.clock.now = retry_at;
  r.Tick();
  // The retry made its instance: launches work again, so the two held back
  // go out now, not at the next tick.
  EXPECT_EQ(w.cloud.launches.size(), 6u);
  EXPECT_EQ(r.state(0).instances.size(), 3u);
  EXPECT_TRUE(r.state(0).conditions.empty());
}

TEST(Reconciler, WhereTheLoadBalancerWantsARunningInstanceItIsRegisteredOnceBooted) {
  World w;
  GroupSpec g = Group();
  g.desired = 1;
  ControllerOptions o;
  o.register_after_boot = true;
  Reconciler r({g}, w.ports(), o);
  r.Tick();
  ASSERT_EQ(r.state(0).instances.size(), 1u);
  EXPECT_TRUE(w.traffic.register_calls.empty()) << "pending: ELB would refuse it";
  const InstanceId id = r.state(0).instances[0].id;
  w.clock.now = 1;
  r.Tick();
  EXPECT_TRUE(w.traffic.register_calls.empty());
  EXPECT_TRUE(r.state(0).conditions.empty()) << "waiting is not failing";
  w.cloud.events.push_back({"web", {id, InstanceEvent::kBooted, kNever, ""}});
  w.clock.now = 2;
  r.Tick();
  EXPECT_EQ(w.traffic.register_calls.size(), 1u);
  EXPECT_TRUE(r.state(0).instances[0].registered);
}

TEST(Reconciler, AFailedTerminateKeepsTheInstanceTrackedAndIsRetried) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_TRUE(r.SetDesired("web", 2, "operator").ok());
  w.cloud.terminate_errors = {Status::Throttled("Request limit exceeded")};
  w.clock.now = 1;
  r.Tick();  // the pending instances are terminated before they served
  ASSERT_EQ(w.cloud.terminate_calls.size(), 1u);
  const InstanceId victim = w.cloud.terminate_calls[0];
  const Instance* in = FindIn(r, victim);
  ASSERT_NE(in, nullptr) << "a billed instance is never forgotten while the cloud has not taken it";
  EXPECT_EQ(in->state, InstanceState::kTerminating);
  EXPECT_FALSE(in->terminate_requested);
  const Seconds retry_at = in->retry.next_at;
  w.clock.now = retry_at;
  r.Tick();
  EXPECT_EQ(w.cloud.terminate_calls.size(), 2u);
  w.clock.now = retry_at + 1;
  r.Tick();  // the cloud's confirmation arrives
  EXPECT_EQ(FindIn(r, victim), nullptr);
  EXPECT_EQ(w.cloud.RunningCount(), 2);
}

TEST(Reconciler, ATerminationStaysTrackedUntilTheCloudConfirmsIt) {
  World w;
  w.cloud.confirm_terminations = false;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_TRUE(r.SetDesired("web", 2, "operator").ok());
  w.clock.now = 1;
  r.Tick();
  const InstanceId victim = w.cloud.terminate_calls.at(0);
  ASSERT_NE(FindIn(r, victim), nullptr);
  EXPECT_TRUE(FindIn(r, victim)->terminate_requested);
  w.clock.now = 30;
  r.Tick();
  ASSERT_NE(FindIn(r, victim), nullptr) << "no confirmation yet";
  EXPECT_EQ(w.cloud.terminate_calls.size(), 1u) << "not asked again before the confirmation timeout";
  w.clock.now = 121;  // the inventory pass: the cloud no longer lists it as running
  r.Tick();
  EXPECT_EQ(FindIn(r, victim), nullptr);
  EXPECT_TRUE(w.Logged("termination_confirmed"));
}

TEST(Reconciler, AFailedRegisterIsRetriedUntilItSucceeds) {
  World w;
  GroupSpec g = Group();
  g.desired = 1;
  w.traffic.register_errors = {Status::Unavailable("stats socket refused"), Status::Unavailable("again")};
  Reconciler r({g}, w.ports());
  r.Tick();
  ASSERT_EQ(r.state(0).instances.size(), 1u);
  EXPECT_FALSE(r.state(0).instances[0].registered);
  for (Seconds t = 1; t <= 30; ++t) {
    w.clock.now = t;
    r.Tick();
  }
  EXPECT_EQ(w.traffic.register_calls.size(), 3u);
  EXPECT_TRUE(r.state(0).instances[0].registered);
  EXPECT_EQ(w.traffic.registered.size(), 1u);
}

TEST(Reconciler, InventoryAdoptsAnInstanceOfAGroupTheStateDidNotKnow) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  w.cloud.instances[Id(99)] = {"web", "", true};  // launched behind Shoal's back, or its record was lost
  w.clock.now = 60;
  r.Tick();
  ASSERT_NE(FindIn(r, Id(99)), nullptr);
  EXPECT_EQ(w.log.Count(ActivityKind::kInventory), 1);
  // Four now for a desired of three: the usual scale-in removes one.
  EXPECT_EQ(w.cloud.RunningCount(), 3);
}

TEST(Reconciler, InventoryTerminatesAnInstanceOfNoConfiguredGroupAfterTheGrace) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  w.cloud.instances[Id(77)] = {"old-group", "", true};
  w.clock.now = 60;
  r.Tick();
  EXPECT_TRUE(w.cloud.instances[Id(77)].running) << "within the grace (an apply may add the group)";
  w.clock.now = 120;
  r.Tick();
  EXPECT_FALSE(w.cloud.instances[Id(77)].running);
  EXPECT_TRUE(w.Logged("orphan_terminated"));
}

TEST(Reconciler, InventoryRecordsAVanishedInstanceAsLostAndReplacesIt) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  w.cloud.instances.erase(Id(2));  // gone without a word (a record lost, an outage)
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(FindIn(r, Id(2)), nullptr);
  EXPECT_EQ(w.cloud.launches.size(), 4u) << "replaced";
  bool explained = false;
  for (const Activity& a : w.log.all) explained = explained || a.cause.find("vanished") != std::string::npos;
  EXPECT_TRUE(explained);
}

TEST(Reconciler, InventoryMatchesAListInAnyOrderAdoptingAndLosingInOnePass) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_EQ(r.state(0).instances.size(), 3u);
  w.cloud.describe_newest_first = true;
  w.cloud.instances.erase(Id(2));                   // vanished, between two that stay
  w.cloud.instances[Id(98)] = {"web", "", true};    // two unknown ones, listed first
  w.cloud.instances[Id(99)] = {"web", "", true};
  w.clock.now = 60;
  r.Tick();
  EXPECT_NE(FindIn(r, Id(1)), nullptr);
  EXPECT_EQ(FindIn(r, Id(2)), nullptr);
  EXPECT_NE(FindIn(r, Id(3)), nullptr);
  EXPECT_NE(FindIn(r, Id(98)), nullptr);
  EXPECT_NE(FindIn(r, Id(99)), nullptr);
  EXPECT_EQ(w.log.Count(ActivityKind::kInventory), 2) << "two adopted";
  EXPECT_TRUE(std::is_sorted(r.state(0).instances.begin(), r.state(0).instances.end(),
                             [](const Instance& a, const Instance& b) { return a.id < b.id; }));
}

// A cloud that versions its listing is not listed again while the version,
// every group's membership and the last pass's findings stand; any of them
// changing lists again.
TEST(Reconciler, AnUnchangedListingIsNotListedAgainButAnyChangeIs) {
  World w;
  w.cloud.version = 5;
  Reconciler r({Group()}, w.ports());
  r.Tick();  // lists (nothing yet), then launches three
  EXPECT_EQ(w.cloud.describe_calls, 1);
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 2) << "the group gained three instances since: listed again";
  w.clock.now = 120;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 2) << "same version, same members, all matched: not listed";
  EXPECT_EQ(r.last_inventory(), 120);

  w.cloud.instances[Id(99)] = {"web", "", true};
  w.cloud.version = 6;
  w.clock.now = 180;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 3);
  EXPECT_NE(FindIn(r, Id(99)), nullptr) << "adopted";

  // An orphan within its grace: the next pass must look again, same version or not.
  w.cloud.instances[Id(77)] = {"old-group", "", true};
  w.cloud.version = 7;
  w.clock.now = 240;
  r.Tick();
  EXPECT_TRUE(w.cloud.instances[Id(77)].running);
  const int calls = w.cloud.describe_calls;
  w.clock.now = 300;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, calls + 1);
  EXPECT_FALSE(w.cloud.instances[Id(77)].running) << "terminated after its grace";

  // A cloud that cannot tell is listed every pass.
  w.cloud.version = 0;
  for (Seconds t = 360; t <= 480; t += 60) {
    w.clock.now = t;
    const int before = w.cloud.describe_calls;
    r.Tick();
    EXPECT_EQ(w.cloud.describe_calls, before + 1) << "at " << t;
  }
}

// The controller's own launch, answered with the instance and its address,
// changes nothing a listing would find: a matched listing stays matched.
// A launch whose answer lacks the address, or a change that is not its own,
// is listed.
TEST(Reconciler, ItsOwnLaunchesKeepAMatchedListingMatched) {
  World w;
  w.cloud.version = 5;
  w.cloud.version_per_launch = true;
  Reconciler r({Group()}, w.ports());
  r.Tick();  // lists (nothing yet), then launches three
  EXPECT_EQ(w.cloud.describe_calls, 1);
  EXPECT_EQ(w.cloud.version, 8u);
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 1) << "the cloud gained exactly the three instances the state holds";
  EXPECT_EQ(r.last_inventory(), 60);

  // Not the controller's: an instance nobody launched.
  w.cloud.instances[Id(99)] = {"web", "", true};
  ++w.cloud.version;
  w.clock.now = 120;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 2);
  EXPECT_NE(FindIn(r, Id(99)), nullptr) << "adopted";
}

TEST(Reconciler, ALaunchAnsweredWithoutAnAddressIsListed) {
  World w;
  w.cloud.version = 5;
  w.cloud.version_per_launch = true;
  w.cloud.launch_without_address = true;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 1);
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 2) << "the listing is how the addresses arrive";
}

// An instance the state holds but the listing does not (launched just now,
// or vanishing within its grace) keeps the passes listing, the version
// unchanged, until it is matched or found gone.
TEST(Reconciler, AnUnlistedInstanceKeepsThePassesListing) {
  World w;
  w.cloud.version = 9;
  ControllerOptions o;
  o.vanish_grace = 150;
  Reconciler r({Group()}, w.ports(), o);
  r.Tick();
  w.clock.now = 60;
  r.Tick();  // all three matched
  ASSERT_EQ(w.cloud.describe_calls, 2);
  w.cloud.instances.erase(Id(2));
  w.cloud.version = 10;
  w.clock.now = 120;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 3);
  EXPECT_NE(FindIn(r, Id(2)), nullptr) << "within the vanish grace";
  w.clock.now = 180;
  r.Tick();
  EXPECT_EQ(w.cloud.describe_calls, 4) << "same version, but the last pass left one unmatched";
  EXPECT_EQ(FindIn(r, Id(2)), nullptr) << "vanished: recorded as lost";
}

TEST(Reconciler, AFailedDescribeChangesNothingAndIsRetriedNextPass) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  w.cloud.describe_error = Status::Throttled("slow down");
  w.cloud.instances.clear();  // would look vanished if the failure were read as "nothing runs"
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(r.state(0).instances.size(), 3u);
  EXPECT_EQ(r.inventory_failures(), 1);
  EXPECT_TRUE(w.Logged("inventory_failed"));
}

TEST(Reconciler, NothingIsLaunchedWhenTheDecisionCannotBeWrittenFirst) {
  World w;
  w.store.fail = true;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  EXPECT_TRUE(w.cloud.launches.empty());
  EXPECT_FALSE(r.store_status().ok());
  EXPECT_TRUE(w.Logged("state_commit_failed"));
  EXPECT_TRUE(w.log.all.empty()) << "activities are told only once committed";
  w.store.fail = false;
  w.clock.now = 1;
  r.Tick();
  EXPECT_EQ(w.cloud.launches.size(), 3u);
  EXPECT_TRUE(r.store_status().ok());
}

TEST(Reconciler, ADecisionsActivitiesAndStateAreCommittedTogetherBeforeTheCalls) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  ASSERT_FALSE(w.store.commits.empty());
  // The first commit holds the plan: three pending launches with their
  // tokens, written before any launch call answered.
  const FakeStore::Committed& first = w.store.commits.front();
  ASSERT_EQ(first.states.count("web"), 1u);
  EXPECT_EQ(first.states.at("web").launches.size(), 3u);
  EXPECT_TRUE(first.states.at("web").instances.empty());
  EXPECT_EQ(w.store.states.at("web").instances.size(), 3u) << "the outcomes are committed after the calls";
}

TEST(Reconciler, ANoticeDrainsAndTheDrainedInstanceIsTerminated) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  const InstanceId victim = Id(1);
  w.cloud.events.push_back({"web", {victim, InstanceEvent::kHealthy, kNever, ""}});
  w.clock.now = 20;
  r.Tick();
  w.cloud.events.push_back({"web", {victim, InstanceEvent::kNotice, 140, ""}});
  w.clock.now = 21;
  r.Tick();
  EXPECT_EQ(w.traffic.drained.count(victim), 1u);
  EXPECT_EQ(w.cloud.launches.size(), 4u) << "replacement launched at once";
  w.cloud.events.push_back({"web", {victim, InstanceEvent::kDrained, kNever, ""}});
  w.clock.now = 30;
  r.Tick();
  EXPECT_EQ(std::count(w.cloud.terminate_calls.begin(), w.cloud.terminate_calls.end(), victim), 1);
  EXPECT_EQ(w.traffic.registered.count(victim), 0u);
}

TEST(Reconciler, MetricsOfEachCompletedMinuteReachTheAlarmsAndTheStore) {
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
  ASSERT_EQ(w.store.metrics["web"].size(), 1u);
  EXPECT_EQ(w.store.metrics["web"][0].minute, 0);
  EXPECT_EQ(w.store.metrics["web"][0].cpu.max, 90);
}

TEST(Reconciler, RestoreBindsAPendingLaunchToTheInstanceCarryingItsToken) {
  World w;
  GroupSpec g = Group();
  g.desired = 1;
  {
    // A daemon planned a launch, the cloud made it, and the daemon died
    // before it learned the id.
    Reconciler first({g}, w.ports());
    w.cloud.launch_errors = {Status::Unavailable("crash")};
    w.cloud.lose_answer = true;
    first.Tick();
  }
  ASSERT_EQ(w.store.states.at("web").launches.size(), 1u);
  ASSERT_EQ(w.cloud.RunningCount(), 1);
  Reconciler second({g}, w.ports());
  ASSERT_TRUE(second.Restore().ok());
  EXPECT_TRUE(second.state(0).launches.empty());
  ASSERT_EQ(second.state(0).instances.size(), 1u);
  EXPECT_EQ(second.state(0).instances[0].launch_token, "web-1-0");
  EXPECT_EQ(w.log.Count(ActivityKind::kInventory), 0) << "the normal end of a lost answer, not a surprise";
  w.clock.now = 1;
  second.Tick();
  EXPECT_EQ(w.cloud.RunningCount(), 1) << "never launched twice";
}

TEST(Reconciler, RestoreRebuildsTheAlarmHistoryFromStoredMetrics) {
  World w;
  GroupSpec g = Group();
  AlarmSpec high;
  high.name = "high";
  high.comparison = Comparison::kGreaterThanOrEqual;
  high.threshold = 50;
  high.evaluation_periods = 3;
  high.datapoints_to_alarm = 3;
  PolicySpec out;
  out.name = "out";
  out.alarm = "high";
  out.scaling_adjustment = 1;
  out.cooldown = 0;
  g.alarms = {high};
  g.policies = {out};
  {
    Reconciler first({g}, w.ports());
    for (std::int64_t m = 0; m <= 2; ++m) {
      w.metrics.cpu[m] = 90;
      w.clock.now = m * 60;
      first.Tick();
    }
  }
  // Restarted: two hot minutes are stored; a third makes three of three.
  Reconciler second({g}, w.ports());
  ASSERT_TRUE(second.Restore().ok());
  w.metrics.cpu[2] = 90;
  w.clock.now = 180;
  second.Tick();
  EXPECT_EQ(second.state(0).desired, 4) << "the alarm saw minutes 0 and 1 from before the restart";
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
  w.cloud.events.push_back({"spot", {Id(1), InstanceEvent::kNotice, 120, ""}});
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

TEST(Reconciler, ASetDesiredThatCannotBeWrittenChangesNothing) {
  World w;
  Reconciler r({Group()}, w.ports());
  w.store.fail = true;
  EXPECT_EQ(r.SetDesired("web", 5, "operator").code(), StatusCode::kIoError);
  EXPECT_EQ(r.state(0).desired, 3);
}

TEST(Reconciler, AReconfigureThatCannotBeWrittenChangesNothing) {
  World w;
  Reconciler r({Group()}, w.ports());
  r.Tick();
  w.store.fail = true;
  GroupSpec bigger = Group();
  bigger.max = 20;
  Result<std::vector<std::string>> done = r.Reconfigure({bigger, Group("api")});
  EXPECT_FALSE(done.ok());
  ASSERT_EQ(r.groups().size(), 1u);
  EXPECT_EQ(r.groups()[0].max, 10);
  EXPECT_EQ(r.FindGroup("api"), -1);
}

// `shoal apply` of a changed controller section: a shorter inventory
// period applies from now, not after the pass the old one scheduled.
TEST(Reconciler, SetOptionsBringsTheNextInventoryPassForward) {
  World w;
  ControllerOptions hourly;
  hourly.inventory_period = kHour;
  Reconciler r({Group()}, w.ports(), hourly);
  r.Tick();  // the first pass runs at once; the next is due in an hour
  w.cloud.describe_error = Status::Unavailable("down");  // counts the passes that run
  w.clock.now = 60;
  r.Tick();
  EXPECT_EQ(r.inventory_failures(), 0) << "no pass before the hour";
  ControllerOptions every_minute = hourly;
  every_minute.inventory_period = 60;
  r.SetOptions(every_minute);
  w.clock.now = 119;
  r.Tick();
  EXPECT_EQ(r.inventory_failures(), 0);
  w.clock.now = 120;
  r.Tick();
  EXPECT_EQ(r.inventory_failures(), 1) << "a minute after the new period was set";
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

TEST(Reconciler, ADeployThatCannotBeWrittenChangesNothingAndOneThatIsIsStored) {
  World w;
  Reconciler r({Group()}, w.ports());
  DeployRequest request;
  request.to_version = 2;
  request.ref = "2";
  request.cause = "test";
  w.store.fail = true;
  EXPECT_EQ(r.StartDeploy("web", request).code(), StatusCode::kIoError);
  EXPECT_FALSE(r.state(0).deploy) << "not stored: not begun";
  EXPECT_EQ(r.state(0).deploys, 0);
  EXPECT_EQ(r.Revert("web", DeploySettings{}).code(), StatusCode::kInvalidArgument) << "refused before any write";
  w.store.fail = false;
  ASSERT_TRUE(r.StartDeploy("web", request).ok());
  ASSERT_TRUE(r.state(0).deploy);
  EXPECT_EQ(r.state(0).deploy->id, 1);
  EXPECT_EQ(r.StartDeploy("web", request).code(), StatusCode::kConflict);
  EXPECT_EQ(r.StartDeploy("api", request).code(), StatusCode::kNotFound);
  w.store.fail = true;
  EXPECT_EQ(r.Revert("web", DeploySettings{}).code(), StatusCode::kIoError);
  EXPECT_EQ(r.state(0).deploy->phase, DeployPhase::kRolling) << "a rollback not stored is not begun";
}

}  // namespace
}  // namespace shoal
