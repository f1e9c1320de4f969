// The local provider, Shoal's embedded default cloud: an instance is a
// process group on this host, started from its group's LaunchSpec in its own
// directory and bound to 127.0.0.1 on its own port.
//
// Launch creates DATA/instances/<id>/ and writes instance.json (group,
// market, pool, port, launch token, ...) BEFORE anything runs, then forks a
// launcher that calls setsid() (the instance's process group), joins the
// instance's cgroup where the machine allows, starts the spot agent, runs the
// provision steps, writes the health file last and execs the command.
// stdout/stderr go to DATA/instances/<id>/{stdout,stderr}.log.
// Terminate sends SIGTERM to the group, waits the grace period, then SIGKILL.
// Instances outlive the daemon; Describe() reads the directories back, so a
// restarted daemon adopts what runs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/group.h"
#include "ports/clock.h"
#include "ports/cloud.h"
#include "ports/log.h"

namespace shoal {

class LocalSpotMarket;
class ImdsServer;

// How an instance of a group whose launch names a release boots it: the
// first provision step runs `shoal bootstrap`, which fetches that version
// from the store, verifies and unpacks it into <dir>/release.
struct ReleaseToBoot {
  int version = 0;
  std::string store_url;
  std::string env;
  std::string cache_dir;  // verified tars shared by instances ("" = none)
};

struct LocalCloudOptions {
  std::string data_dir;           // instances live in data_dir/instances/<id>/
  std::string agent_binary;       // the `shoal` binary (runs `shoal agent`); empty: no agent
  std::string agent_report_url;   // the daemon's API base, e.g. http://127.0.0.1:7400
  // The credential an instance's agent posts its reports with (only its
  // own instance's events); written to the instance's agent-token file
  // (0600). Empty function: the agent reports nothing.
  std::function<std::string(InstanceId)> agent_credential;
  // Resolves a launch's release ("latest-stable", "latest", "N") of a
  // service to what to boot; needed when a group names a release. A
  // failure (the store unreachable, no such release) fails the launch.
  std::function<Result<ReleaseToBoot>(const std::string& service, const std::string& ref)> resolve_release;
  Seconds terminate_grace = 10;   // SIGTERM → SIGKILL
  Seconds provision_timeout = 300;
  // CPU cores the instances may use together (each takes cpu_share ×
  // weight); a launch beyond it fails with insufficient capacity, as a real
  // pool that runs out does. 0: this machine's (the CPUs this process may run on).
  double cores = 0;
  Logger* log = nullptr;  // optional
};

// Per-instance CPU, relative to its share: 100 = using all of its cores.
struct CpuSample {
  InstanceId id;
  double percent = 0;
};

class LocalCloud final : public Cloud {
 public:
  // `launch` maps each group name to its spec. The market and the IMDS
  // server may be null (no spot behaviour / no metadata endpoint).
  LocalCloud(LocalCloudOptions options, const Clock* clock, std::map<std::string, GroupSpec> groups,
             LocalSpotMarket* market, ImdsServer* imds);
  ~LocalCloud() override;

  Result<LaunchedInstance> Launch(const LaunchRequest& request) override;
  Status Terminate(InstanceId id) override;
  // The warm pool: the instance's process group is held in SIGSTOP (its
  // record says "stopped", so a restarted daemon keeps it stopped and
  // tracked), and SIGCONT resumes it; its health checks decide when it
  // serves again. A stopped instance holds no cores (serve --cores).
  Status Stop(InstanceId id) override;
  Status Start(InstanceId id) override;
  std::vector<GroupInstanceEvent> Poll() override;  // booted, provisioned, notices, exits
  PoolObservation Pool(const std::string& instance_type, const std::string& zone) override;
  double OnDemandPrice(const std::string& instance_type) override;
  Result<std::vector<DescribedInstance>> Describe() override;

  // New group specs (after `shoal apply`): later launches use them.
  void SetGroups(std::map<std::string, GroupSpec> groups);

  // The port an instance listens on (0 if unknown).
  int PortOf(InstanceId id) const;
  std::string DirOf(InstanceId id) const;
  // Kills what is left of instances that no longer run (their leader exited,
  // e.g. the agent of a failed launch while no daemon watched). Returns how
  // many instances had processes left.
  int StopStragglers();
  // Blocks until every termination under way has finished (the group is
  // gone, its record final) or `timeout` passes; false on the timeout.
  bool WaitForStops(std::chrono::milliseconds timeout);
  // CPU since the previous call, per live instance.
  std::vector<CpuSample> SampleCpu();
  // Whether CPU shares are enforced (cgroup v1 cpu.cfs_quota_us writable) and how.
  const std::string& cpu_enforcement() const { return cpu_enforcement_; }
  // The cores instances may use together (see LocalCloudOptions::cores).
  double cores() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string cpu_enforcement_;
};

}  // namespace shoal
