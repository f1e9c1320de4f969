// The simulated world: a virtual clock, a cloud with boot and provisioning
// delays, capacity errors, spot prices and interruptions (from SpotMarket), a
// load balancer whose health checks put instances in service, and the
// traffic of each service, split evenly over the capacity that serves it.
// Time moves only through AdvanceTo; events at equal times run in the order
// they were scheduled, so a seed gives one history.
#pragma once

#include <cstdint>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "adapters/sim/spot_market.h"
#include "ports/clock.h"
#include "ports/cloud.h"
#include "ports/traffic.h"

namespace shoal {

// What no operator chooses: the same for every config compared.
struct SimEnvironment {
  double capacity_per_unit_rpm = 1;  // requests per minute one capacity unit serves at 100% CPU
  Seconds boot_seconds = 180;        // mean launch → in service (boot + provisioning + checks)
  double jitter = 0.2;               // each delay is scaled by U(1 - jitter, 1 + jitter)
  Seconds health_interval = 10;      // load-balancer check interval
  int health_rise = 2;               // passing checks needed
  Seconds notice_seconds = 120;      // spot notice → termination
  Seconds imds_poll_seconds = 5;     // the agent sees a notice within this
  Seconds drain_seconds = 10;        // in-flight requests finish within this
  Seconds start_offset = 0;          // simulated time of the trace's minute 0
  // The warm pool (docs/POLICY.md, Warm pools). A stopped instance that is
  // started joins in about a minute: its boot is a resume, provisioning is
  // done, only the health checks remain (mean, jittered as the boot is).
  Seconds warm_start_seconds = 60;
  // While stopped only its EBS volume is billed: gp3 at $0.08 per GB-month
  // (us-east-1, aws.amazon.com/ebs/pricing) on an 8 GiB root volume (the
  // Amazon Linux AMIs' default), i.e. about $0.00088 per hour.
  double stopped_disk_usd_per_gb_month = 0.08;
  double disk_gb = 8;
  double burst_hit_probability = 0.5;  // share of a pool's instances a burst interrupts
  // EC2 rebalance recommendations (docs/ARCHITECTURE.md, Simulator):
  // the share of burst interruptions preceded by one, and how long before
  // the notice it comes, uniform in [min, max]. 0 turns them off.
  double rebalance_fraction = 0.6;
  Seconds rebalance_lead_min = 10 * kMinute;
  Seconds rebalance_lead_max = 60 * kMinute;
  std::uint64_t seed = 1;
};

// One minute of a service, for the report and the plot.
struct MinuteRecord {
  double demand = 0;           // requests
  double capacity_units = 0;   // time-averaged units in service
  double on_demand_units = 0;
  double lost = 0;             // requests above capacity
  std::vector<float> pool_units;  // per market pool, time-averaged
};

struct InstanceBill {
  std::string group;
  Market market = Market::kOnDemand;
  Seconds launched = 0;
  Seconds ended = 0;
  double cost = 0;               // including stopped_disk_cost
  double stopped_disk_cost = 0;  // while stopped in a warm pool
  Seconds stopped_seconds = 0;   // billed time spent stopped (not an instance-hour)
};

// An instance as the world knows it, for the fault swarm's invariants.
struct WorldInstance {
  InstanceId id;
  std::string group;
  std::string launch_token;
  double weight = 1;
  bool serving = false;  // counted as capacity right now
  Seconds launched = 0;
};

// How the instances of one release behave in the simulator (a deploy's
// replay: `shoal simulate --deploy`). Releases not described are good.
struct SimRelease {
  bool healthy = true;         // false: never passes its health checks
  double error_percent = 0;    // share of its requests answered 5xx
  double response_ms = 20;     // its mean response time
};

class SimWorld final : public Clock, public Cloud, public Traffic, public Metrics {
 public:
  // `group_service[g]` names the service of group g (by group name);
  // `demand[s]` is the requests per trace minute of service s.
  SimWorld(SimEnvironment env, const SpotMarket* market, std::vector<MarketPool> market_pools,
           std::map<std::string, std::string> group_service,
           std::map<std::string, const std::vector<double>*> service_demand);

  // Clock
  Seconds Now() const override { return now_; }
  // Cloud
  Result<LaunchedInstance> Launch(const LaunchRequest& request) override;
  Status Terminate(InstanceId id) override;
  Status Stop(InstanceId id) override;
  Status Start(InstanceId id) override;
  // Cloud and load-balancer facts both come from here (the one override
  // serves both ports), in the order they happened.
  std::vector<GroupInstanceEvent> Poll() override;
  PoolObservation Pool(const std::string& instance_type, const std::string& zone) override;
  double OnDemandPrice(const std::string& instance_type) override;
  Result<std::vector<DescribedInstance>> Describe() override;
  std::uint64_t DescribeVersion() const override { return describe_version_; }
  // Traffic (Poll is above)
  Status Register(const std::string& group, InstanceId id, const InstanceAddress& address) override;
  Status Drain(const std::string& group, InstanceId id) override;
  bool CanHold() const override { return true; }
  Status RegisterHeld(const std::string& group, InstanceId id, const InstanceAddress& address) override;
  Status SetServing(const std::string& group, InstanceId id, bool serving) override;
  Status Deregister(const std::string& group, InstanceId id) override;
  // Metrics
  Datapoint Read(const std::string& group, MetricName metric, std::int64_t minute) override;
  // Per release: the group's share of the minute's requests by its serving
  // units of that release, errors and response times as SimRelease says.
  std::vector<ReleaseTraffic> ReadReleases(const std::string& group, std::int64_t minute) override;
  void SetRelease(int version, SimRelease behaviour) { releases_[version] = behaviour; }

  // Time: the next scheduled event (kNever if none), and moving to `t`
  // (running every event at or before it and closing finished minutes).
  Seconds NextEventTime() const;
  void AdvanceTo(Seconds t);
  // Ends the run at `t`: bills every instance still alive up to t.
  void Finish(Seconds t);

  // Faults the swarm injects (see adapters/sim/faults.h).
  // The load balancer restarts: for `outage` nothing it fronts is served;
  // then its adapter re-adds the servers it knew (as HaproxyTraffic does).
  void RestartLoadBalancer(Seconds outage);
  // Spot notices for about `fraction` of the instances of one market pool
  // (drawn with `draw`, in [0, 1)); returns how many were issued.
  int InterruptSomePool(double fraction, double draw);
  // Every instance alive (billed) now.
  std::vector<WorldInstance> AliveInstances() const;

  // Results.
  const std::vector<MinuteRecord>& Minutes(const std::string& service) const;
  const std::vector<InstanceBill>& Bills() const { return bills_; }
  // What everything has cost up to `t` (at or after the last event run):
  // the bills of instances gone plus what those alive have run up, as if
  // the run were finished at t. Splits a run's cost at a minute.
  double AccruedCost(Seconds t) const;
  // Notices that reached a live instance, and rebalance recommendations.
  int interruptions() const { return interruptions_; }
  int recommendations() const { return recommendations_; }
  int max_instances() const { return max_instances_; }

 private:
  enum class Phase : std::uint8_t { kBooting, kProvisioning, kChecking, kServing, kDraining, kGone, kStopped };
  enum class EventType : std::uint8_t {
    kBooted, kProvisioned, kHealthy, kNotice, kReclaim, kDrained, kBurst, kPriceChange, kLbBack,
    kBurstWarning,   // a burst's hits are drawn early, so their recommendations can precede them
    kRecommendation  // the agent sees a rebalance recommendation
  };
  struct Event {
    Seconds time;
    std::uint64_t seq;
    EventType type;
    std::uint64_t subject;  // instance serial, or pool index for market events
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
  };
  struct SimInstance {
    Seconds notice_issued = kNever;
    InstanceId id;               // InstanceId::FromCounter(serial)
    std::uint64_t serial = 0;    // the subject of its events
    InstanceAddress address;
    std::string group;
    int service = 0;
    int group_index = 0;
    Market market = Market::kOnDemand;
    int pool = -1;  // market pool, -1 on-demand
    std::string instance_type;
    double bid = 0;
    double weight = 1;
    int version = 0;  // the release it boots: the launch's, when it names a number
    Phase phase = Phase::kBooting;
    bool serving_counted = false;
    bool registered = false;
    bool held = false;  // blue/green: checked, sent no requests (counts as no serving capacity)
    bool noticed = false;
    Seconds launched = 0;
    std::string launch_token;
    // Billing across stops and starts (the warm pool).
    Seconds run_from = 0;          // running (billed at its price) since
    Seconds stopped_at = kNever;   // stopped (billed for its disk) since
    double billed = 0;             // closed intervals so far
    double disk_billed = 0;
    Seconds stopped_seconds = 0;
    Seconds healthy_not_before = 0;  // a check scheduled before a stop passes nothing after a start
  };
  struct GroupAccum {
    std::string name;
    int service = 0;
    double serving_units = 0;
    double unit_seconds = 0;   // in the current minute
    std::map<int, double> serving_by_version;       // units in service per release
    std::map<int, double> version_unit_seconds;     // in the current minute
    std::vector<std::vector<ReleaseTraffic>> releases;  // per simulated minute
    std::vector<Datapoint> cpu;  // per simulated minute
    std::vector<Datapoint> rpt;
  };
  struct ServiceAccum {
    std::string name;
    const std::vector<double>* demand = nullptr;
    std::vector<MinuteRecord> minutes;
    double lost_in_minute = 0;
    double serving_od_units = 0;
    std::vector<double> serving_pool_units;  // per market pool
    double od_unit_seconds = 0;
    std::vector<double> pool_unit_seconds;
  };

  void Schedule(Seconds t, EventType type, std::uint64_t subject);
  void Run(const Event& e);
  void Integrate(Seconds until);
  void CloseMinute(std::int64_t minute);
  double DemandRps(int service, std::int64_t minute) const;
  Seconds Jittered(double seconds);
  void SetServing(SimInstance& in, bool serving);
  void StartNotice(SimInstance& in, Seconds issued);
  bool RecommendationsOn() const;
  void DrawBurstHit(SimInstance& in, const Burst& burst);
  void MaybeRecommend(SimInstance& in, Seconds notice_issued);
  void End(SimInstance& in, Seconds t);
  // An instance's bill if it ended at t.
  InstanceBill BillAt(const SimInstance& in, Seconds t) const;
  double SpotCost(int pool, Seconds from, Seconds to) const;
  double RunCost(const SimInstance& in, Seconds from, Seconds to) const;  // billed from start_offset on
  double DiskCost(Seconds from, Seconds to) const;
  int MarketIndex(const std::string& type, const std::string& zone) const;
  void Emit(const SimInstance& in, InstanceEvent ev, Seconds deadline = kNever);

  SimEnvironment env_;
  const SpotMarket* market_;
  std::vector<MarketPool> market_pools_;
  std::vector<std::string> pool_names_;  // "type/zone" per market pool, built once (Describe runs every inventory pass)
  std::mt19937_64 rng_;
  Seconds now_ = 0;
  std::int64_t open_minute_ = 0;  // the minute being integrated
  Seconds integrated_until_ = 0;
  std::uint64_t seq_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::map<InstanceId, SimInstance> instances_;  // alive ones
  std::uint64_t describe_version_ = 1;           // bumped when instances_ gains or loses one
  std::map<std::string, LaunchedInstance> launched_by_token_;  // every token ever launched (EC2 ClientToken)
  std::uint64_t next_serial_ = 1;
  std::vector<GroupAccum> groups_;
  std::map<std::string, int> group_index_;
  std::vector<ServiceAccum> services_;
  std::vector<GroupInstanceEvent> pending_;   // facts not yet polled
  std::vector<InstanceBill> bills_;
  std::vector<std::vector<InstanceId>> pool_members_;  // alive spot instances per market pool
  int interruptions_ = 0;
  int recommendations_ = 0;
  // Per burst whose warning ran and which has not started: the instances
  // drawn at the warning (the start draws only the others).
  std::map<std::uint64_t, std::set<std::uint64_t>> drawn_at_warning_;
  std::map<int, SimRelease> releases_;
  int max_instances_ = 0;
  Seconds lb_down_until_ = 0;  // a restarted load balancer serves nothing before this
};

}  // namespace shoal
