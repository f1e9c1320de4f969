#include "adapters/sim/faults.h"

#include <array>
#include <charconv>
#include <cmath>

namespace shoal {
namespace {

struct Knob {
  const char* name;
  double FaultSpec::*rate;
};

constexpr std::array<Knob, 12> kKnobs = {{
    {"launch_error", &FaultSpec::launch_error},
    {"launch_lost", &FaultSpec::launch_lost},
    {"terminate_error", &FaultSpec::terminate_error},
    {"register_error", &FaultSpec::register_error},
    {"drain_error", &FaultSpec::drain_error},
    {"poll_error", &FaultSpec::poll_error},
    {"describe_error", &FaultSpec::describe_error},
    {"store_error", &FaultSpec::store_error},
    {"throttle_burst", &FaultSpec::throttle_burst},
    {"lb_restart", &FaultSpec::lb_restart},
    {"notice_burst", &FaultSpec::notice_burst},
    {"crash", &FaultSpec::crash},
}};

constexpr Seconds kMinThrottle = 30;
constexpr Seconds kMaxThrottle = 300;
constexpr Seconds kLbOutage = 3;  // a soft restart and the adapter's next poll

Status Dead() { return Status::Unavailable("the control plane crashed (simulated)"); }

}  // namespace

bool FaultSpec::any() const {
  for (const Knob& k : kKnobs) {
    if (this->*k.rate > 0) return true;
  }
  return false;
}

FaultSpec DefaultFaultSpec() {
  FaultSpec s;
  s.launch_error = 0.05;
  s.launch_lost = 0.03;
  s.terminate_error = 0.05;
  s.register_error = 0.03;
  s.drain_error = 0.03;
  s.poll_error = 0.02;
  s.describe_error = 0.1;
  s.store_error = 0.002;
  s.throttle_burst = 0.002;
  s.lb_restart = 0.001;
  s.notice_burst = 0.002;
  s.crash = 0.002;
  return s;
}

Result<FaultSpec> ParseFaultSpec(std::string_view text) {
  if (text == "default") return DefaultFaultSpec();
  FaultSpec spec;
  if (text == "none" || text.empty()) return spec;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(start, end - start);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("--faults: '" + std::string(part) +
                                     "' is not kind=rate (or use \"default\" or \"none\")");
    }
    const std::string_view name = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    const Knob* knob = nullptr;
    for (const Knob& k : kKnobs) {
      if (name == k.name) knob = &k;
    }
    if (knob == nullptr) {
      std::string known;
      for (const Knob& k : kKnobs) known += std::string(known.empty() ? "" : ", ") + k.name;
      return Status::InvalidArgument("--faults: unknown fault '" + std::string(name) + "' (known: " + known + ")");
    }
    double rate = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), rate);
    if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(rate) || rate < 0 || rate > 1) {
      return Status::InvalidArgument("--faults: " + std::string(name) + "=" + std::string(value) +
                                     ": the rate must be a number from 0 to 1");
    }
    spec.*knob->rate = rate;
    start = end + 1;
  }
  return spec;
}

std::string FormatFaultSpec(const FaultSpec& spec) {
  std::string out;
  for (const Knob& k : kKnobs) {
    if (spec.*k.rate <= 0) continue;
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, spec.*k.rate);
    out += (out.empty() ? "" : ",") + std::string(k.name) + "=" + std::string(buf, ec == std::errc() ? end : buf);
  }
  return out.empty() ? "none" : out;
}

// --- Injector ------------------------------------------------------------------

FaultInjector::FaultInjector(FaultSpec spec, std::uint64_t seed, const Clock* clock)
    : spec_(spec), rng_(seed ^ 0xfa017c0ffeeULL), clock_(clock) {}

bool FaultInjector::active() const { return spec_.stop_at < 0 || clock_->Now() < spec_.stop_at; }

bool FaultInjector::Throttled() const { return active() && clock_->Now() < throttled_until_; }

bool FaultInjector::Draw(double rate, const char* kind) {
  if (rate <= 0 || !active()) return false;
  if (uniform_(rng_) >= rate) return false;
  ++counts_[kind];
  return true;
}

void FaultInjector::EachMinute(SimWorld& world) {
  if (Draw(spec_.throttle_burst, "throttle_burst")) {
    std::uniform_int_distribution<Seconds> length(kMinThrottle, kMaxThrottle);
    throttled_until_ = clock_->Now() + length(rng_);
  }
  if (Draw(spec_.lb_restart, "lb_restart")) world.RestartLoadBalancer(kLbOutage);
  if (Draw(spec_.notice_burst, "notice_burst")) {
    counts_["notice_burst_notices"] += world.InterruptSomePool(0.5, uniform_(rng_));
  }
}

void FaultInjector::BeginTick() {
  calls_this_tick_ = 0;
  crash_at_call_ = -1;
  if (crashed_ || !Draw(spec_.crash, "crash")) return;
  // Somewhere among the calls a tick makes; a tick that makes fewer calls
  // crashes at its end (the next one's start, for the world).
  std::uniform_int_distribution<std::int64_t> at(0, 40);
  crash_at_call_ = at(rng_);
}

void FaultInjector::EndTick() {
  if (crashed_ || crash_at_call_ < 0) return;
  crashed_ = true;
  ++counts_["crash_between_ticks"];
}

bool FaultInjector::Enter(bool* answer_lost) {
  *answer_lost = false;
  if (crashed_) return false;
  const std::int64_t call = calls_this_tick_++;
  if (call != crash_at_call_) return true;
  crashed_ = true;
  if (uniform_(rng_) < 0.5) {
    ++counts_["crash_before_call"];
    return false;
  }
  ++counts_["crash_after_call"];
  *answer_lost = true;
  return true;
}

// --- Cloud ---------------------------------------------------------------------

FaultyCloud::FaultyCloud(Cloud* inner, FaultInjector* faults, LaunchLedger* ledger)
    : inner_(inner), faults_(faults), ledger_(ledger) {}

Result<LaunchedInstance> FaultyCloud::Launch(const LaunchRequest& request) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  if (faults_->Throttled()) {
    faults_->Count("launch_throttled");
    return Status::Throttled("Request limit exceeded (burst)");
  }
  const FaultSpec& spec = faults_->spec();
  if (faults_->Draw(spec.launch_error, "launch_error")) {
    const double pick = faults_->Uniform();
    // EC2 answers a ClientToken it has made an instance for with that
    // instance, before any capacity, quota or parameter check: a replay can
    // only fail on the way (unavailable, throttled), never definitively.
    if (ledger_->made.contains(request.launch_token)) {
      faults_->Count("launch_error_on_replay");
      if (pick < 0.6) return Status::Unavailable("launch: service unavailable");
      return Status::Throttled("launch: request limit exceeded");
    }
    if (pick < 0.3) return Status::Unavailable("launch: service unavailable");
    if (pick < 0.5) return Status::Throttled("launch: request limit exceeded");
    if (pick < 0.7 && request.market == Market::kSpot) {
      return Status::InsufficientCapacity("launch: insufficient capacity in " + request.pool);
    }
    if (pick < 0.8) return Status::PermissionDenied("launch: not authorized (simulated)");
    if (pick < 0.9) return Status::LimitExceeded("launch: instance limit exceeded (simulated)");
    return Status::InvalidArgument("launch: invalid parameter (simulated)");
  }
  if (!request.launch_token.empty()) {
    auto [it, fresh] = ledger_->first_request.emplace(request.launch_token, request);
    const LaunchRequest& first = it->second;
    if (!fresh && (first.group != request.group || first.market != request.market || first.pool != request.pool ||
                   first.instance_type != request.instance_type)) {
      ledger_->mismatches.push_back("token " + request.launch_token + " first launched " + first.group + "/" +
                                    first.pool + " " + first.instance_type + ", asked again for " + request.group +
                                    "/" + request.pool + " " + request.instance_type);
    }
  }
  Result<LaunchedInstance> id = inner_->Launch(request);
  if (id.ok() && !request.launch_token.empty()) ledger_->made.insert(request.launch_token);
  if (lost) return Dead();
  if (id.ok() && faults_->Draw(spec.launch_lost, "launch_lost")) {
    return Status::Unavailable("launch: the answer was lost (timeout)");
  }
  return id;
}

Status FaultyCloud::Terminate(InstanceId id) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  if (faults_->Throttled()) {
    faults_->Count("terminate_throttled");
    return Status::Throttled("Request limit exceeded (burst)");
  }
  if (faults_->Draw(faults_->spec().terminate_error, "terminate_error")) {
    const double pick = faults_->Uniform();
    if (pick < 0.6) return Status::Unavailable("terminate: service unavailable");
    if (pick < 0.9) return Status::Throttled("terminate: request limit exceeded");
    return Status::PermissionDenied("terminate: not authorized (simulated)");
  }
  const Status s = inner_->Terminate(id);
  return lost ? Dead() : s;
}

// The warm pool's calls: no faults of their own, but a dead controller
// makes none and a lost answer is lost.
Status FaultyCloud::Stop(InstanceId id) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  const Status s = inner_->Stop(id);
  return lost ? Dead() : s;
}

Status FaultyCloud::Start(InstanceId id) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  const Status s = inner_->Start(id);
  return lost ? Dead() : s;
}

std::vector<GroupInstanceEvent> FaultyCloud::Poll() {
  bool lost = false;
  if (!faults_->Enter(&lost)) return {};
  // A failed poll leaves the facts where they are: a later poll gets them.
  if (faults_->Draw(faults_->spec().poll_error, "poll_error")) return {};
  std::vector<GroupInstanceEvent> events = inner_->Poll();
  // Facts polled by a controller that died right after are lost with it;
  // the new one learns the state from Describe and the load balancer.
  return lost ? std::vector<GroupInstanceEvent>{} : events;
}

PoolObservation FaultyCloud::Pool(const std::string& instance_type, const std::string& zone) {
  return inner_->Pool(instance_type, zone);
}

double FaultyCloud::OnDemandPrice(const std::string& instance_type) { return inner_->OnDemandPrice(instance_type); }

Result<std::vector<DescribedInstance>> FaultyCloud::Describe() {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  if (faults_->Throttled()) {
    faults_->Count("describe_throttled");
    return Status::Throttled("Request limit exceeded (burst)");
  }
  if (faults_->Draw(faults_->spec().describe_error, "describe_error")) {
    return Status::Unavailable("describe: service unavailable");
  }
  Result<std::vector<DescribedInstance>> out = inner_->Describe();
  if (lost) return Dead();
  return out;
}

// --- Traffic -------------------------------------------------------------------

FaultyTraffic::FaultyTraffic(Traffic* inner, FaultInjector* faults) : inner_(inner), faults_(faults) {}

Status FaultyTraffic::Register(const std::string& group, InstanceId id, const InstanceAddress& address) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  if (faults_->Draw(faults_->spec().register_error, "register_error")) {
    return Status::Unavailable("register: the load balancer's socket refused the connection");
  }
  const Status s = inner_->Register(group, id, address);
  return lost ? Dead() : s;
}

Status FaultyTraffic::Drain(const std::string& group, InstanceId id) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  if (faults_->Draw(faults_->spec().drain_error, "drain_error")) {
    return Status::Unavailable("drain: the load balancer's socket refused the connection");
  }
  const Status s = inner_->Drain(group, id);
  return lost ? Dead() : s;
}

Status FaultyTraffic::Deregister(const std::string& group, InstanceId id) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  const Status s = inner_->Deregister(group, id);
  return lost ? Dead() : s;
}

std::vector<GroupInstanceEvent> FaultyTraffic::Poll() {
  bool lost = false;
  if (!faults_->Enter(&lost)) return {};
  if (faults_->Draw(faults_->spec().poll_error, "poll_error")) return {};
  std::vector<GroupInstanceEvent> events = inner_->Poll();
  return lost ? std::vector<GroupInstanceEvent>{} : events;
}

// --- Store ---------------------------------------------------------------------

FaultyStore::FaultyStore(StateStore* inner, FaultInjector* faults) : inner_(inner), faults_(faults) {}

Status FaultyStore::Commit(const StoreWrite& write) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  if (faults_->Draw(faults_->spec().store_error, "store_error")) {
    return Status::IoError("commit: disk full (simulated)");
  }
  const Status s = inner_->Commit(write);
  return lost ? Dead() : s;
}

Result<std::vector<MetricRow>> FaultyStore::LoadMetrics(const std::string& group, std::int64_t from_minute) {
  if (faults_->crashed()) return Dead();
  return inner_->LoadMetrics(group, from_minute);
}

Status FaultyStore::PruneActivities(Seconds before) {
  bool lost = false;
  if (!faults_->Enter(&lost)) return Dead();
  const Status s = inner_->PruneActivities(before);
  return lost ? Dead() : s;
}

Result<std::optional<GroupState>> FaultyStore::LoadGroupState(const GroupSpec& spec) {
  if (faults_->crashed()) return Dead();
  return inner_->LoadGroupState(spec);
}

Result<std::vector<StoredActivity>> FaultyStore::ListActivities(const std::string& group, std::int64_t after_seq,
                                                               int limit) {
  return inner_->ListActivities(group, after_seq, limit);
}

Result<std::vector<StoredActivity>> FaultyStore::ListLatestActivities(const std::string& group,
                                                                     std::int64_t before_seq, std::int64_t since,
                                                                     int limit) {
  return inner_->ListLatestActivities(group, before_seq, since, limit);
}

Status FaultyStore::SaveLastConfig(const ConfigRecord& record) { return inner_->SaveLastConfig(record); }

Result<std::optional<ConfigRecord>> FaultyStore::LoadLastConfig() { return inner_->LoadLastConfig(); }

}  // namespace shoal
