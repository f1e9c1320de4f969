#include "sim/control_plane.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace shoal {
namespace {

constexpr Seconds kMaxDowntime = 30;  // a supervisor restarts a crashed daemon within this

Result<std::string> MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/shoal-world-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::IoError("cannot create a temporary directory for the simulated state store (" + pattern + ")");
  }
  return pattern;
}

}  // namespace

Result<std::unique_ptr<SimControlPlane>> SimControlPlane::Create(std::vector<GroupSpec> groups, SimWorld* world,
                                                                  ActivitySink* activities, Logger* log,
                                                                  const std::optional<FaultSpec>& faults,
                                                                  std::uint64_t seed) {
  std::unique_ptr<SimControlPlane> cp(new SimControlPlane());
  cp->groups_ = std::move(groups);
  cp->world_ = world;
  cp->activities_ = activities;
  cp->log_ = log;
  if (!faults) {
    cp->controller_ = std::make_unique<Reconciler>(
        cp->groups_, ControllerPorts{world, world, world, world, activities, nullptr, log});
    return cp;
  }
  cp->faults_ = std::make_unique<FaultInjector>(*faults, seed, world);
  cp->cloud_ = std::make_unique<FaultyCloud>(world, cp->faults_.get(), &cp->ledger_);
  cp->traffic_ = std::make_unique<FaultyTraffic>(world, cp->faults_.get());
  cp->faulty_log_ = std::make_unique<FaultyLogger>(log, cp->faults_.get());
  Result<std::string> dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  cp->store_dir_ = *dir;
  SHOAL_RETURN_IF_ERROR(cp->Start(world->Now()));
  return cp;
}

SimControlPlane::~SimControlPlane() {
  controller_.reset();
  faulty_store_.reset();
  store_.reset();
  if (!store_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(store_dir_, ec);  // a leftover temp dir is harmless; nothing to report to
  }
}

Status SimControlPlane::Start(Seconds now) {
  // What a restarted daemon does: open its store, build the controller,
  // Restore (load, then adopt what the cloud runs). It may crash again here.
  Result<std::unique_ptr<SqliteStateStore>> store =
      SqliteStateStore::Open(store_dir_ + "/shoal.db", /*durable=*/false);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  faulty_store_ = std::make_unique<FaultyStore>(store_.get(), faults_.get());
  faults_->Restarted();
  faults_->BeginTick();
  controller_ = std::make_unique<Reconciler>(
      groups_, ControllerPorts{world_, cloud_.get(), traffic_.get(), world_, activities_, faulty_store_.get(),
                               faulty_log_.get()});
  if (Status s = controller_->Restore(); !s.ok()) {
    LogWarn(faulty_log_.get(), "restore_incomplete").With("error", s.message()).With("at", now);
  }
  // The daemon's loop ticks as soon as it has restored.
  if (!faults_->crashed()) controller_->Tick();
  faults_->EndTick();
  if (faults_->crashed()) {
    controller_.reset();
    restart_at_ = now + static_cast<Seconds>(faults_->Uniform() * kMaxDowntime);
  }
  return Status::Ok();
}

void SimControlPlane::EachMinute() {
  if (faults_ != nullptr) faults_->EachMinute(*world_);
}

Status SimControlPlane::Tick(Seconds now) {
  if (faults_ == nullptr) {
    controller_->Tick();
    return Status::Ok();
  }
  if (controller_ == nullptr) {
    if (now < restart_at_) return Status::Ok();
    ++restarts_;
    faulty_store_.reset();
    store_.reset();
    return Start(now);
  }
  faults_->BeginTick();
  controller_->Tick();
  faults_->EndTick();
  if (faults_->crashed()) {
    // The process is gone: its memory with it. The store keeps what it
    // committed; the world keeps running.
    controller_.reset();
    restart_at_ = now + static_cast<Seconds>(faults_->Uniform() * kMaxDowntime);
    LogInfo(log_, "control_plane_crashed").With("at", now).With("restart_at", restart_at_);
  }
  return Status::Ok();
}

Status SimControlPlane::StartDeploy(const std::string& group, DeployRequest request) {
  if (controller_ == nullptr) return Status::Unavailable("the control plane is down");
  return controller_->StartDeploy(group, std::move(request));
}

}  // namespace shoal
