// The local provider (see local_cloud.h).
//
// Termination runs on a small background thread (the "stopper"): Terminate
// sends SIGTERM to the process group and returns at once; the thread
// watches the group every 100 ms, sends SIGKILL when terminate_grace has
// passed, and removes the cgroup and marks instance.json once no process of
// the group is left. A daemon that exits while a termination is still in its
// grace period sends SIGKILL at once (the instance was going anyway).
//
// Liveness: an instance runs while its leader (pid = pgid, the launcher that
// exec'd the command) is alive. The agent shares the process group, so "any
// process of the group" would keep a crashed service looking alive. A leader
// that exits — crash, external kill, failed provisioning — is reported once
// as kUnhealthy (the controller replaces it through its usual path) and the
// rest of its group is stopped; Describe says running=false from then on.
//
// Children are reaped per pid (waitpid(pgid, WNOHANG)), not with
// waitpid(-1): other adapters in the same daemon (HAProxy) wait for their
// own children and must not have them stolen. Adopted instances (started by
// an earlier daemon) are usually not our children; /proc tells whether they
// live (a zombie counts as dead).
#include "adapters/local/local_cloud.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "adapters/local/cgroup.h"
#include "adapters/local/imds_server.h"
#include "adapters/local/instance_record.h"
#include "adapters/local/launch_plan.h"
#include "adapters/local/launcher.h"
#include "adapters/local/proc_stat.h"
#include "adapters/local/spot_market.h"

namespace shoal {
namespace {

namespace fs = std::filesystem;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr auto kStopperPeriod = std::chrono::milliseconds(100);
constexpr int kPortAttempts = 32;

// The local provider's notional on-demand prices (USD/h): the us-east-1 list
// prices of the types the examples use, so reports read like the simulator's.
// Nothing is billed; any other type costs the m4.large price.
double NotionalOnDemandPrice(const std::string& type) {
  if (type == "m4.large") return 0.10;
  if (type == "m5.large") return 0.096;
  if (type == "c5.large") return 0.085;
  return 0.10;
}

constexpr const char* kLoopbackHost = "127.0.0.1";  // local instances listen here only

std::string MarketPoolName(const std::string& type, const std::string& zone) { return type + "/" + zone; }

bool FileExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
int PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool IsLiveState(const std::string& state) {
  return state == kRecordRunning || state == kRecordLaunching || state == kRecordStopped;
}

// The CPUs this process may run on (taskset and container cpusets count).
double MachineCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
}

}  // namespace

struct LocalCloud::Impl {
  struct Runtime {
    InstanceRecord rec;
    std::string dir;
    double cores = 1;  // cpu_share × weight
    bool reaped = false;
    int exit_status = -1;  // waitpid status of the leader, when we reaped it
    bool booted_reported = false;
    bool provisioned_reported = false;
    bool gone_reported = false;  // kUnhealthy / kTerminated sent, or terminated by request
    // Terminate was asked: once nothing of it is left, Poll confirms it
    // (kTerminated) once, so the controller can forget it.
    bool termination_asked = false;
    bool termination_confirmed = false;
    // Stopping (SIGTERM sent; SIGKILL at kill_deadline).
    bool stopping = false;
    bool killed = false;
    std::string final_state;
    SteadyTime kill_deadline;
    // CPU baseline.
    std::uint64_t last_ticks = 0;
    SteadyTime last_sample;
  };

  LocalCloudOptions options;
  const Clock* clock;
  std::map<std::string, GroupSpec> groups;
  LocalSpotMarket* market;
  ImdsServer* imds;
  CpuControl cpu;
  std::string instances_dir;
  std::string owner;   // InstanceOwner(data_dir): the tag our instances carry
  double capacity = 1; // cores the instances may use together

  std::mutex mu;
  std::condition_variable wake;
  bool shutting_down = false;
  std::map<InstanceId, Runtime> instances;
  std::uint64_t next_id = 1;  // the counter of the next id (InstanceId::FromCounter)
  std::thread stopper;

  // ---- Files ----

  std::string DirFor(InstanceId id) const { return instances_dir + "/" + InstanceDirName(id); }

  // Ids restart at 1 in every data directory, and daemons, test runs and
  // restarts share the host's cgroup tree: qualify the id by the directory.
  std::string CgroupName(InstanceId id) const { return owner + "-" + InstanceDirName(id); }

  Status Persist(const Runtime& rt) { return WriteRecord(rt.dir, rt.rec); }

  // A record rewrite whose failure must not stop what is under way: the
  // process is tracked in memory; a restarted daemon finds it by its tags.
  void PersistOrLog(const Runtime& rt, std::string_view what) {
    if (Status s = Persist(rt); !s.ok()) {
      LogWarn(options.log, "instance_record_not_written")
          .With("instance", rt.rec.id.str())
          .With("while", what)
          .With("error", s.message());
    }
  }

  std::uint64_t ReadNextIdFile() const {
    Result<std::string> text = ReadLocalFile(options.data_dir + "/next-id");
    if (!text.ok()) return 1;
    try {
      return static_cast<std::uint64_t>(std::stoull(*text));
    } catch (const std::exception&) {
      return 1;
    }
  }

  // Ids only grow, across restarts too: next-id is written before the id is used.
  Result<InstanceId> AllocateId() {
    const std::uint64_t n = next_id;
    SHOAL_RETURN_IF_ERROR(WriteLocalFileAtomic(options.data_dir + "/next-id", std::to_string(n + 1) + "\n"));
    next_id = n + 1;
    return InstanceId::FromCounter(n);
  }

  double CoresOf(const InstanceRecord& rec) const {
    auto g = groups.find(rec.group);
    const double share = g != groups.end() ? g->second.launch.cpu_share : 1.0;
    return std::max(1e-3, share * rec.weight);
  }

  // ---- Processes ----

  // Also tries adopted instances: one adopted from an earlier LocalCloud in
  // this same process is still our child (and ECHILD says when it is not).
  void ReapOwnChildren() {
    for (auto& [id, rt] : instances) {
      if (rt.reaped || rt.rec.pgid <= 1) continue;
      // A recycled pid may be another adapter's child now: never reap that.
      const std::optional<ProcStat> st = ReadProcStat(rt.rec.pgid);
      if (st && rt.rec.start_ticks != 0 && st->start_ticks != rt.rec.start_ticks) {
        rt.reaped = true;
        continue;
      }
      int status = 0;
      const pid_t r = ::waitpid(rt.rec.pgid, &status, WNOHANG);
      if (r == rt.rec.pgid) rt.exit_status = status;
      if (r == rt.rec.pgid || (r < 0 && errno == ECHILD)) rt.reaped = true;
    }
  }

  // The leader is the instance: alive, still leading its group, and the same
  // process as at launch (a recycled pid has another start time).
  static bool LeaderAlive(const InstanceRecord& rec) {
    if (rec.pgid <= 1) return false;
    const std::optional<ProcStat> st = ReadProcStat(rec.pgid);
    return st && st->Alive() && st->pgrp == rec.pgid &&
           (rec.start_ticks == 0 || st->start_ticks == rec.start_ticks);
  }

  // Never signal a group whose leader pid now belongs to another process.
  // Whether the signal went out.
  static bool SignalGroup(const InstanceRecord& rec, int sig) {
    if (rec.pgid <= 1) return false;  // kill(-0) / kill(-1) would hit the daemon or everything
    const std::optional<ProcStat> st = ReadProcStat(rec.pgid);
    if (st && rec.start_ticks != 0 && st->start_ticks != rec.start_ticks) return false;
    return ::kill(-rec.pgid, sig) == 0;
  }

  static std::set<int> LiveGroups() {
    std::set<int> out;
    for (const ProcStat& p : ScanProcesses()) {
      if (p.Alive()) out.insert(p.pgrp);
    }
    return out;
  }

  // Starts stopping an instance: SIGTERM now, SIGKILL after the grace (the
  // stopper thread), `final_state` in instance.json once nothing is left.
  void BeginStop(Runtime& rt, const std::string& final_state) {
    if (rt.stopping) return;
    const bool held = rt.rec.state == kRecordStopped;
    rt.rec.state = final_state == kRecordTerminated ? kRecordTerminating : final_state;
    PersistOrLog(rt, "stopping");
    if (imds != nullptr) imds->Stop(rt.rec.id);
    if (market != nullptr) market->Forget(rt.rec.id);
    SignalGroup(rt.rec, SIGTERM);
    if (held) SignalGroup(rt.rec, SIGCONT);  // a stopped group gets its SIGTERM only once resumed
    rt.stopping = true;
    rt.killed = false;
    rt.final_state = final_state;
    rt.kill_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.terminate_grace);
    wake.notify_all();
  }

  // One pass of the stopper; returns whether any stop is still under way.
  bool AdvanceStops() {
    ReapOwnChildren();
    const std::set<int> live = LiveGroups();
    const SteadyTime now = std::chrono::steady_clock::now();
    bool pending = false;
    for (auto& [id, rt] : instances) {
      if (!rt.stopping) continue;
      if (rt.rec.pgid <= 1 || !live.contains(rt.rec.pgid)) {
        rt.stopping = false;
        rt.rec.state = rt.final_state;
        PersistOrLog(rt, "stopped");
        RemoveInstanceCgroup(cpu, CgroupName(id));
        continue;
      }
      if (!rt.killed && now >= rt.kill_deadline) {
        SignalGroup(rt.rec, SIGKILL);
        rt.killed = true;
      }
      pending = true;
    }
    return pending;
  }

  void StopperLoop() {
    std::unique_lock lock(mu);
    while (!shutting_down) {
      if (AdvanceStops()) {
        wake.wait_for(lock, kStopperPeriod);
      } else {
        wake.wait(lock);
      }
    }
  }

  bool WaitForStops(std::chrono::milliseconds timeout) {
    const SteadyTime deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mu);
        bool pending = false;
        for (const auto& [id, rt] : instances) pending = pending || rt.stopping;
        if (!pending) return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(kStopperPeriod);
    }
  }

  // ---- Adoption ----

  void Adopt(InstanceRecord rec, const std::string& dir) {
    Runtime rt;
    rt.dir = dir;
    rt.cores = CoresOf(rec);
    rt.rec = std::move(rec);
    const InstanceId id = rt.rec.id;
    if (const std::optional<std::uint64_t> n = id.Counter()) next_id = std::max(next_id, *n + 1);
    if (rt.rec.state == kRecordLaunching && rt.rec.pgid <= 1) {
      rt.rec.state = kRecordExited;  // the daemon stopped before the launcher existed
      PersistOrLog(rt, "adopting");
    }
    rt.gone_reported = !IsLiveState(rt.rec.state);
    auto [it, inserted] = instances.emplace(id, std::move(rt));
    Runtime& r = it->second;
    if (r.rec.state == kRecordTerminating) {
      BeginStop(r, kRecordTerminated);  // finish what the previous daemon started
      return;
    }
    if (!IsLiveState(r.rec.state) || !LeaderAlive(r.rec)) return;  // Poll reports a dead one
    if (imds != nullptr) {
      Result<int> port =
          imds->Serve({id, r.rec.instance_type, r.rec.zone, r.rec.market == Market::kSpot}, r.rec.imds_port);
      if (!port.ok()) {
        // Its agent will not see notices; the provider's own Poll still reports them.
        LogWarn(options.log, "imds_not_served")
            .With("instance", id.str())
            .With("port", r.rec.imds_port)
            .With("error", port.status().message());
      }
    }
    if (market != nullptr && r.rec.market == Market::kSpot && r.rec.interrupt_at == kNever) {
      market->Track(id, MarketPoolName(r.rec.instance_type, r.rec.zone), r.rec.bid);
    }
    r.last_sample = std::chrono::steady_clock::now();
    r.last_ticks = GroupTicks(r.rec.pgid, ScanProcesses());
  }

  void LoadExisting() {
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(instances_dir, ec)) {
      if (!e.is_directory()) continue;
      Result<InstanceRecord> rec = ReadRecord(e.path().string());
      if (rec.ok()) Adopt(std::move(rec).value(), e.path().string());
      // An unreadable record is left for Describe to report.
    }
    next_id = std::max(next_id, ReadNextIdFile());
    RecoverUntracked();
  }

  static std::uint64_t GroupTicks(int pgid, const std::vector<ProcStat>& procs) {
    std::uint64_t sum = 0;
    for (const ProcStat& p : procs) {
      if (p.pgrp == pgid && p.Alive()) sum += p.utime + p.stime + p.cutime + p.cstime;
    }
    return sum;
  }

  // ---- Capacity ----

  double CoresInUse() const {
    double used = 0;
    for (const auto& [id, rt] : instances) {
      if (IsLiveState(rt.rec.state) && rt.rec.state != kRecordStopped && !rt.stopping) used += rt.cores;
    }
    return used;
  }

  static std::string FormatCores(double cores) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f", cores);
    return buf;
  }

  // ---- Records rebuilt from tags ----

  // Processes that carry our tags but whose instance has no record (its
  // instance.json was deleted, its directory lost): the record is rebuilt
  // from the tags and the process, so the instance is tracked and can be
  // terminated like any other. Returns how many were recovered.
  int RecoverUntracked() {
    int recovered = 0;
    for (const ProcStat& p : ScanProcesses()) {
      if (!p.Alive() || p.pid != p.pgrp) continue;  // the leader speaks for its group
      const std::optional<std::vector<std::string>> env = ReadProcEnviron(p.pid);
      if (!env) continue;
      std::optional<InstanceRecord> rec = RecordFromTags(*env, owner);
      if (!rec || instances.contains(rec->id)) continue;
      rec->pgid = p.pgrp;
      rec->start_ticks = p.start_ticks;
      const std::string dir = DirFor(rec->id);
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (Status s = WriteRecord(dir, *rec); !s.ok()) {
        LogWarn(options.log, "instance_record_not_rebuilt")
            .With("instance", rec->id.str())
            .With("error", s.message());
      }
      LogWarn(options.log, "instance_record_rebuilt")
          .With("instance", rec->id.str())
          .With("group", rec->group)
          .With("pgid", rec->pgid)
          .With("why", "a process carried this data dir's tags but its instance.json was missing");
      Adopt(std::move(*rec), dir);
      ++recovered;
    }
    return recovered;
  }

  // ---- Launch ----

  int ChoosePort() const {
    std::set<int> taken;
    for (const auto& [id, rt] : instances) {
      if (!IsLiveState(rt.rec.state)) continue;
      taken.insert(rt.rec.port);
      taken.insert(rt.rec.imds_port);
    }
    for (int i = 0; i < kPortAttempts; ++i) {
      const int port = PickFreePort();
      if (port > 0 && !taken.contains(port)) return port;
    }
    return 0;
  }

  std::optional<InstanceId> FindToken(const std::string& token) const {
    if (token.empty()) return std::nullopt;
    for (const auto& [id, rt] : instances) {
      if (rt.rec.launch_token == token) return id;
    }
    return std::nullopt;
  }

  void AppendLog(const std::string& dir, const std::string& line) {
    std::ofstream(dir + "/stderr.log", std::ios::app) << "shoal: " << line << "\n";
  }

  static InstanceAddress AddressOf(const InstanceRecord& rec) { return {kLoopbackHost, rec.port}; }

  Result<LaunchedInstance> Launch(const LaunchRequest& req) {
    std::lock_guard lock(mu);
    if (std::optional<InstanceId> same = FindToken(req.launch_token)) {
      const InstanceRecord& known = instances.at(*same).rec;
      return LaunchedInstance{*same, AddressOf(known), known.version};
    }
    auto g = groups.find(req.group);
    if (g == groups.end()) {
      return Status::NotFound("launch: unknown group \"" + req.group +
                              "\" (the local cloud has no spec for it)");
    }
    const GroupSpec& spec = g->second;
    const Seconds now = clock->Now();
    InstanceRecord rec;
    rec.group = req.group;
    rec.market = req.market;
    rec.instance_type = req.instance_type;
    rec.zone = req.zone.empty() ? "local" : req.zone;
    const std::string market_pool = MarketPoolName(rec.instance_type, rec.zone);
    rec.pool = req.market == Market::kSpot ? (req.pool.empty() ? market_pool : req.pool) : "";
    rec.weight = req.weight;
    rec.bid = req.bid_usd_per_hour > 0 ? req.bid_usd_per_hour : NotionalOnDemandPrice(rec.instance_type);
    std::optional<ReleaseToBoot> release;
    if (!req.release.empty()) {
      if (!options.resolve_release) {
        return Status::InvalidArgument("group " + req.group + " boots release " + req.release +
                                          ", but this cloud has no release store");
      }
      // A store read (a file, or one S3 GET) under the lock: launches are
      // made one at a time by the loop anyway.
      Result<ReleaseToBoot> resolved = options.resolve_release(spec.service, req.release);
      if (!resolved.ok()) {
        return resolved.status().WithContext("launch of group " + req.group + ": release " + req.release +
                                             " of service " + spec.service);
      }
      release = *resolved;
      rec.version = release->version;
    }
    rec.launch_token = req.launch_token;
    rec.launched_at = now;
    if (req.market == Market::kSpot && market != nullptr && !market->HasCapacity(market_pool, now)) {
      return Status::InsufficientCapacity("no spot capacity in pool " + market_pool + " now");
    }
    const double need = std::max(1e-3, spec.launch.cpu_share * rec.weight);
    if (const double used = CoresInUse(); used + need > capacity + 1e-9) {
      return Status::InsufficientCapacity(
          "this machine has " + FormatCores(capacity) + " cores for instances and " + FormatCores(used) +
          " are taken; an instance of group " + req.group + " needs " + FormatCores(need) +
          " (launch.cpu_share x weight; serve --cores sets the total)");
    }
    rec.port = ChoosePort();
    if (rec.port == 0) return Status::IoError("launch: no free port on 127.0.0.1");
    // A misconfigured group fails here, before an id or a directory exists,
    // so a controller retrying every tick leaves nothing behind.
    rec.id = InstanceId::FromCounter(next_id);
    const ReleaseToBoot* boot = release ? &*release : nullptr;
    if (Result<LauncherPlan> check = BuildLaunchPlan(spec, rec, DirFor(rec.id), options, boot); !check.ok())
      return check.status();
    Result<InstanceId> id = AllocateId();
    if (!id.ok()) return id.status();
    const std::string dir = DirFor(rec.id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError("launch: cannot create " + dir + ": " + ec.message());
    if (imds != nullptr) {
      Result<int> port = imds->Serve({rec.id, rec.instance_type, rec.zone, rec.market == Market::kSpot}, 0);
      if (!port.ok()) {
        return Abandon(
            rec, dir,
            Status::IoError("launch: IMDS for " + rec.id.str() + ": " + port.status().message()));
      }
      rec.imds_port = *port;
    }
    Result<LauncherPlan> plan = BuildLaunchPlan(spec, rec, dir, options, boot);  // again, now with the IMDS port
    if (!plan.ok()) return Abandon(rec, dir, plan.status());
    Runtime rt;
    rt.rec = rec;
    rt.dir = dir;
    rt.cores = CoresOf(rec);
    // The record exists before anything runs: a crash from here on leaves a
    // directory the next daemon understands.
    if (Status s = Persist(rt); !s.ok()) return Abandon(rec, dir, s);
    if (options.agent_credential) {
      // The agent's own credential: it may post this instance's events, nothing else.
      if (Status s = WriteLocalFileAtomic(dir + "/agent-token", options.agent_credential(rec.id) + "\n"); !s.ok()) {
        return Abandon(rec, dir, s);
      }
      std::error_code perm;
      fs::permissions(dir + "/agent-token", fs::perms::owner_read | fs::perms::owner_write, perm);
    }
    std::string why;
    plan->cgroup_procs = CreateInstanceCgroup(cpu, CgroupName(rec.id), rt.cores, &why);
    if (!why.empty()) AppendLog(dir, "no CPU quota for this instance: " + why);
    Result<int> pid = SpawnLauncher(*plan);
    if (!pid.ok()) return Abandon(rec, dir, pid.status());
    rt.rec.pgid = *pid;
    if (std::optional<ProcStat> st = ReadProcStat(*pid)) rt.rec.start_ticks = st->start_ticks;
    rt.rec.state = kRecordRunning;
    rt.last_sample = std::chrono::steady_clock::now();
    // If this rewrite fails, this daemon still tracks the process in memory,
    // and a restarted one finds it by its tags.
    PersistOrLog(rt, "launched");
    if (market != nullptr && rec.market == Market::kSpot) market->Track(rec.id, market_pool, rec.bid);
    instances.emplace(rec.id, std::move(rt));
    return LaunchedInstance{rec.id, AddressOf(rec), rec.version};
  }

  // A launch that failed before its process existed: nothing to stop. The
  // record keeps no launch token, so a retry with the same token tries
  // again rather than being handed an instance that never ran.
  Status Abandon(InstanceRecord rec, const std::string& dir, Status why) {
    if (imds != nullptr) imds->Stop(rec.id);
    RemoveInstanceCgroup(cpu, CgroupName(rec.id));
    rec.state = kRecordExited;
    rec.launch_token.clear();
    if (Status s = WriteRecord(dir, rec); !s.ok()) {
      LogWarn(options.log, "instance_record_not_written").With("instance", rec.id.str()).With("error", s.message());
    }
    std::ofstream(dir + "/provision-failed") << why.message() << "\n";
    return why;
  }

  // ---- Poll ----

  void TakeNotices(Seconds now, std::vector<GroupInstanceEvent>* out) {
    if (market == nullptr) return;
    for (const LocalNotice& n : market->TakeNotices(now)) {
      auto it = instances.find(n.id);
      if (it == instances.end() || it->second.gone_reported || it->second.stopping) continue;
      Runtime& rt = it->second;
      rt.rec.interrupt_at = n.terminate_at;
      PersistOrLog(rt, "spot notice");
      if (imds != nullptr) {
        // IMDS speaks wall-clock UTC; the controller's clock may be virtual.
        imds->SetInstanceAction(n.id, static_cast<std::int64_t>(std::time(nullptr)) + (n.terminate_at - now));
      }
      out->push_back({rt.rec.group, {n.id, InstanceEvent::kNotice, n.terminate_at, ""}});
    }
  }

  // Why an instance stopped before anyone asked, in words for its activity.
  std::string ExitReason(const Runtime& rt) const {
    if (Result<std::string> why = ReadLocalFile(rt.dir + "/provision-failed"); why.ok()) {
      std::string text = *why;
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      return "failed to start: " + text;
    }
    const std::string phase = rt.provisioned_reported ? "after provisioning" : "before provisioning finished";
    const int st = rt.exit_status;
    if (st >= 0 && WIFEXITED(st)) {
      return "exited with status " + std::to_string(WEXITSTATUS(st)) + " " + phase + " (see stderr.log)";
    }
    if (st >= 0 && WIFSIGNALED(st)) return "was killed by signal " + std::to_string(WTERMSIG(st)) + " " + phase;
    return "its process is gone (" + phase + ")";
  }

  void PollOne(Runtime& rt, Seconds now, std::vector<GroupInstanceEvent>* out) {
    const InstanceId id = rt.rec.id;
    auto emit = [&](InstanceEvent e, std::string reason = {}) {
      out->push_back({rt.rec.group, {id, e, kNever, std::move(reason)}});
    };
    if (!rt.booted_reported) {
      emit(InstanceEvent::kBooted);
      rt.booted_reported = true;
    }
    if (!rt.provisioned_reported && FileExists(rt.dir + "/health")) {
      emit(InstanceEvent::kProvisioned);
      rt.provisioned_reported = true;
    }
    if (rt.rec.interrupt_at != kNever && now >= rt.rec.interrupt_at) {
      BeginStop(rt, kRecordTerminated);  // the market takes it
      rt.gone_reported = true;
      emit(InstanceEvent::kTerminated);
      return;
    }
    if (FileExists(rt.dir + "/provision-failed") || !LeaderAlive(rt.rec)) {
      if (!rt.provisioned_reported && FileExists(rt.dir + "/health")) rt.provisioned_reported = true;
      ReapOwnChildren();  // the exit status, for the reason
      const std::string reason = ExitReason(rt);
      BeginStop(rt, kRecordExited);  // stops what is left of the group (the agent)
      rt.gone_reported = true;
      emit(InstanceEvent::kUnhealthy, reason);
    }
  }

  std::vector<GroupInstanceEvent> Poll() {
    std::lock_guard lock(mu);
    ReapOwnChildren();
    const Seconds now = clock->Now();
    std::vector<GroupInstanceEvent> out;
    TakeNotices(now, &out);
    for (auto& [id, rt] : instances) {
      if (!rt.gone_reported && !rt.stopping && IsLiveState(rt.rec.state)) PollOne(rt, now, &out);
      if (rt.termination_asked && !rt.termination_confirmed && !rt.stopping && !IsLiveState(rt.rec.state)) {
        out.push_back({rt.rec.group, {id, InstanceEvent::kTerminated, kNever, ""}});
        rt.termination_confirmed = true;
      }
    }
    return out;
  }

  // ---- Terminate, Describe, CPU ----

  Status Terminate(InstanceId id) {
    std::lock_guard lock(mu);
    auto it = instances.find(id);
    if (it == instances.end()) return Status::Ok();  // unknown or long gone
    Runtime& rt = it->second;
    rt.gone_reported = true;  // the controller asked: no further facts but the confirmation
    rt.termination_asked = true;
    if (rt.stopping || rt.rec.state == kRecordTerminated || rt.rec.state == kRecordExited)
      return Status::Ok();
    BeginStop(rt, kRecordTerminated);
    return Status::Ok();
  }

  // The warm pool: SIGSTOP / SIGCONT to the whole process group (the
  // service and its agent), persisted so a restart keeps it so.
  Status StopOrStart(InstanceId id, bool stop) {
    std::lock_guard lock(mu);
    auto it = instances.find(id);
    if (it == instances.end()) return Status::NotFound("no local instance " + id.str());
    Runtime& rt = it->second;
    if (rt.stopping || !IsLiveState(rt.rec.state) || !LeaderAlive(rt.rec)) {
      return Status::Conflict("instance " + id.str() + " does not run (" + rt.rec.state + ")");
    }
    const char* want = stop ? kRecordStopped : kRecordRunning;
    if (rt.rec.state == want) return Status::Ok();  // asked again
    if (!SignalGroup(rt.rec, stop ? SIGSTOP : SIGCONT)) {
      return Status::IoError(std::string(stop ? "SIGSTOP" : "SIGCONT") + " to process group " +
                             std::to_string(rt.rec.pgid) + " of " + id.str() + ": " + std::strerror(errno));
    }
    rt.rec.state = want;
    PersistOrLog(rt, stop ? "stopped" : "started");
    if (!stop) {
      rt.last_ticks = GroupTicks(rt.rec.pgid, ScanProcesses());
      rt.last_sample = std::chrono::steady_clock::now();
    }
    return Status::Ok();
  }

  Result<std::vector<DescribedInstance>> Describe() {
    std::lock_guard lock(mu);
    RecoverUntracked();
    std::vector<DescribedInstance> out;
    std::error_code ec;
    fs::directory_iterator it(instances_dir, ec);
    if (ec) return Status::IoError("cannot list " + instances_dir + ": " + ec.message());
    for (const fs::directory_entry& e : it) {
      const std::string dir = e.path().string();
      if (!e.is_directory() || !FileExists(dir + "/instance.json")) continue;  // not one of ours
      Result<InstanceRecord> rec = ReadRecord(dir);
      if (!rec.ok()) return rec.status();
      DescribedInstance d;
      d.id = rec->id;
      d.group = rec->group;
      d.market = rec->market;
      d.pool = rec->pool;
      d.instance_type = rec->instance_type;
      d.zone = rec->zone;
      d.weight = rec->weight;
      d.launched_at = rec->launched_at;
      d.launch_token = rec->launch_token;
      d.version = rec->version;
      d.address = AddressOf(*rec);
      d.running = (rec->state == kRecordRunning || rec->state == kRecordStopped) && LeaderAlive(*rec);
      out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

  // Process groups left by instances that no longer run (the leader is
  // gone), e.g. the spot agent of a launch that failed while no daemon
  // watched. A group with members is still the instance's: POSIX never gives
  // a new process the id of an active process group. Every record was read
  // at construction, and /proc is scanned once.
  int StopStragglers() {
    std::lock_guard lock(mu);
    const std::set<int> live = LiveGroups();
    int stopped = 0;
    for (const auto& [id, rt] : instances) {
      if (rt.stopping || !live.contains(rt.rec.pgid) || LeaderAlive(rt.rec)) continue;
      if (SignalGroup(rt.rec, SIGKILL)) ++stopped;
    }
    return stopped;
  }

  std::vector<CpuSample> SampleCpu() {
    std::lock_guard lock(mu);
    const std::vector<ProcStat> procs = ScanProcesses();
    const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const SteadyTime now = std::chrono::steady_clock::now();
    std::vector<CpuSample> out;
    for (auto& [id, rt] : instances) {
      if (rt.stopping || rt.rec.state != kRecordRunning || !LeaderAlive(rt.rec)) continue;
      const std::uint64_t ticks = GroupTicks(rt.rec.pgid, procs);
      const double elapsed = std::chrono::duration<double>(now - rt.last_sample).count();
      // Children that exited and were waited for count through their parent
      // (cutime); one reaped outside the group takes its ticks with it, so
      // never report negative use.
      const double used =
          ticks > rt.last_ticks ? static_cast<double>(ticks - rt.last_ticks) / ticks_per_second : 0;
      rt.last_ticks = ticks;
      rt.last_sample = now;
      if (elapsed <= 0) continue;
      // Without a quota a group can use more than its share; the metric is
      // "share used", so it saturates at 100 like a cgroup-capped one would.
      const double percent = std::clamp(100.0 * used / (elapsed * rt.cores), 0.0, 100.0);
      out.push_back({id, percent});
    }
    return out;
  }
};

void LocalCloud::SetGroups(std::map<std::string, GroupSpec> groups) {
  std::lock_guard lock(impl_->mu);
  impl_->groups = std::move(groups);
}

LocalCloud::LocalCloud(LocalCloudOptions options, const Clock* clock, std::map<std::string, GroupSpec> groups,
                       LocalSpotMarket* market, ImdsServer* imds)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = std::move(options);
  m.clock = clock;
  m.groups = std::move(groups);
  m.market = market;
  m.imds = imds;
  m.instances_dir = m.options.data_dir + "/instances";
  std::error_code ec;
  fs::create_directories(m.instances_dir, ec);
  m.cpu = DetectCpuControl(kCgroupRoot);
  cpu_enforcement_ = m.cpu.description;
  m.owner = InstanceOwner(m.options.data_dir);
  m.capacity = m.options.cores > 0 ? m.options.cores : MachineCores();
  {
    std::lock_guard lock(m.mu);
    m.LoadExisting();
  }
  m.stopper = std::thread([&m] { m.StopperLoop(); });
}

LocalCloud::~LocalCloud() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    m.shutting_down = true;
    for (auto& [id, rt] : m.instances) {
      if (rt.stopping && !rt.killed) Impl::SignalGroup(rt.rec, SIGKILL);
    }
  }
  m.wake.notify_all();
  m.stopper.join();
  std::lock_guard lock(m.mu);
  m.AdvanceStops();  // record what died; a later daemon finishes the rest
}

Result<LaunchedInstance> LocalCloud::Launch(const LaunchRequest& request) { return impl_->Launch(request); }
Status LocalCloud::Terminate(InstanceId id) { return impl_->Terminate(id); }
Status LocalCloud::Stop(InstanceId id) { return impl_->StopOrStart(id, true); }
Status LocalCloud::Start(InstanceId id) { return impl_->StopOrStart(id, false); }
std::vector<GroupInstanceEvent> LocalCloud::Poll() { return impl_->Poll(); }
Result<std::vector<DescribedInstance>> LocalCloud::Describe() { return impl_->Describe(); }
std::vector<CpuSample> LocalCloud::SampleCpu() { return impl_->SampleCpu(); }
int LocalCloud::StopStragglers() { return impl_->StopStragglers(); }
bool LocalCloud::WaitForStops(std::chrono::milliseconds timeout) { return impl_->WaitForStops(timeout); }

PoolObservation LocalCloud::Pool(const std::string& instance_type, const std::string& zone) {
  PoolObservation p;
  p.on_demand_price = NotionalOnDemandPrice(instance_type);
  if (impl_->market == nullptr) {
    p.price = p.on_demand_price;  // no market: spot is no cheaper
    return p;
  }
  const std::string pool = MarketPoolName(instance_type, zone);
  const Seconds now = impl_->clock->Now();
  p.price = impl_->market->Price(pool, now);
  p.capacity_score = impl_->market->HasCapacity(pool, now) ? 1.0 : 0.0;
  return p;
}

double LocalCloud::OnDemandPrice(const std::string& instance_type) {
  return NotionalOnDemandPrice(instance_type);
}

double LocalCloud::cores() const { return impl_->capacity; }

int LocalCloud::PortOf(InstanceId id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->instances.find(id);
  return it == impl_->instances.end() ? 0 : it->second.rec.port;
}

std::string LocalCloud::DirOf(InstanceId id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->instances.find(id);
  return it == impl_->instances.end() ? "" : it->second.dir;
}

}  // namespace shoal
