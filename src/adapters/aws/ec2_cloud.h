// Ec2Cloud: the Cloud port on Amazon EC2, through the shared AwsClient.
//
// An instance is one RunInstances (spot: a one-time request that terminates
// on interruption), tagged with the owner, group, market, pool, weight and
// launch token (ec2_wire.h), so Describe finds every instance this owner
// runs after a restart. A launch token is sent as the ClientToken, and an
// instance already tagged with it is returned instead of a new one (moto
// ignores ClientToken; real EC2 would answer the same).
//
// Poll compares successive DescribeInstances views: kBooted when an
// instance is first seen running, kTerminated when it is going or gone (a
// warm-pool instance, tagged shoal:warm, lives on while stopped).
// Health comes from the load balancer, not from here.
//
// Failed calls are logged once, by the client; this adds context to the
// Status it returns. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapters/aws/agent_user_data.h"
#include "adapters/aws/client.h"
#include "adapters/aws/ec2_wire.h"
#include "adapters/data/prices.h"
#include "ports/clock.h"
#include "ports/cloud.h"
#include "ports/log.h"

namespace shoal::aws {

// How one group's instances are launched.
struct Ec2LaunchOptions {
  std::string image_id;                       // required
  std::vector<std::string> subnets;           // ids, one per zone; empty: EC2's default subnet
  std::vector<std::string> security_groups;   // ids
  std::string instance_profile;               // name; "" for none
  std::string key_name;                       // "" for none
  std::string user_data;                      // plain text (the adapter encodes it)
  std::vector<std::pair<std::string, std::string>> extra_tags;
  int service_port = 0;                       // the address's port (what the load balancer targets)
  // A warm-pool launch's agent reports "provisioned" once
  // http://127.0.0.1:<service_port><ready_path> answers (the health check).
  std::string ready_path = "/health";
  // Set: the user data starts the spot agent first (agent_user_data.h),
  // with the credential Ec2CloudOptions::agent_credential gives the launch.
  std::optional<AgentBootstrap> agent;
  std::string service;  // the group's service: the release a launch names is this service's
  // With `agent`: the agent's part also points the instance's rsyslogd at
  // these brokers and topic (LogShipping; group, pool and release are filled
  // per launch).
  std::optional<LogShipping> logs;
};

// What a launch's release resolved to (`Ec2CloudOptions::resolve_release`).
struct Ec2Release {
  int version = 0;
  std::string store_url;  // s3://...
  std::string env;
};

struct Ec2CloudOptions {
  std::string owner;  // the value of the shoal:owner tag: tells this daemon's instances from others'
  std::map<std::string, Ec2LaunchOptions> groups;
  // The credential of the agent of the instance a launch token makes
  // (needed when a group has `agent`); the daemon checks it on each report.
  std::function<std::string(const std::string& launch_token)> agent_credential;
  // Resolves a launch's release ("latest-stable", "latest", "N") of a
  // service; needed when a group boots a release (Shoal's user-data part
  // runs the bootstrap, so the group needs `agent` too). A failure fails
  // the launch before anything is asked of EC2.
  std::function<Result<Ec2Release>(const std::string& service, const std::string& ref)> resolve_release;
  std::map<TypeRegion, double> on_demand_prices;  // USD/h (data/ondemand_prices.csv)
  Seconds spot_price_ttl = 300;                    // how long a pool's spot price is reused
  // EC2's lists are eventually consistent: an instance just launched may be
  // missing from them for a while. One launched but never listed for this
  // long is reported terminated (e.g. a spot request EC2 ended at once).
  Seconds list_grace = 300;
  // Poll lists the instances at most this often (the reconciler asks every
  // tick): one DescribeInstances per 5 s is 12 a minute, whatever the fleet's
  // size, well inside EC2's limits for Describe calls.
  Seconds poll_interval = 5;
};

class Ec2Cloud final : public Cloud {
 public:
  // `client`, `clock` and `log` (may be null) must outlive it.
  Ec2Cloud(Ec2CloudOptions options, AwsClient* client, const Clock* clock, Logger* log);

  Result<LaunchedInstance> Launch(const LaunchRequest& request) override;
  Status Terminate(InstanceId id) override;
  // The warm pool (on-demand instances only: a one-time spot instance cannot
  // be stopped): StopInstances / StartInstances. EC2 answers a repeated
  // call with the state the instance is already in, so both are safe to repeat.
  Status Stop(InstanceId id) override;
  Status Start(InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;
  PoolObservation Pool(const std::string& instance_type, const std::string& zone) override;
  double OnDemandPrice(const std::string& instance_type) override;
  Result<std::vector<DescribedInstance>> Describe() override;

  // New launch options (after `shoal apply`): later launches use them.
  void SetGroups(std::map<std::string, Ec2LaunchOptions> groups);

 private:
  // An instance Poll watches: from its launch, or from the first list that shows it.
  struct Seen {
    std::string group;
    bool listed = false;  // a DescribeInstances answer has shown it
    bool booted = false;  // kBooted reported
    Seconds launched_at = 0;
  };
  struct CachedPrice {
    double price = 0;
    Seconds at = 0;
  };

  // Every instance of this owner in `states` (and with `token`'s tag when given), all pages.
  Result<std::vector<Ec2Instance>> List(const std::vector<std::string>& states, const std::string& token);
  // The subnet of `group` in `zone` ("" when the group names none).
  Result<std::string> SubnetFor(const std::string& group, const Ec2LaunchOptions& launch, const std::string& zone);
  // Each subnet's zone, asked once (DescribeSubnets) and then kept.
  Status LearnSubnetZones(const std::vector<std::string>& subnets);

  // The launch options of `group` (a copy: an apply may replace them meanwhile).
  std::optional<Ec2LaunchOptions> LaunchOptionsOf(const std::string& group);

  Ec2CloudOptions options_;  // `groups` under mu_; the rest fixed
  AwsClient* client_;
  const Clock* clock_;
  Logger* log_;

  std::mutex mu_;  // guards everything below
  std::map<std::string, std::string> subnet_zone_;
  std::map<std::string, std::uint64_t> next_subnet_;  // per group: on-demand launches rotate through subnets
  std::map<std::pair<std::string, std::string>, CachedPrice> spot_prices_;
  std::map<std::string, bool> price_unknown_logged_;
  std::set<std::pair<std::string, std::string>> price_missing_logged_;
  std::map<InstanceId, Seen> seen_;  // Poll's previous view, plus launches not listed yet
  Seconds polled_at_ = kNever;       // the last Poll that listed
};

}  // namespace shoal::aws
