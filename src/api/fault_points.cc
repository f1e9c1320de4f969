#include "api/fault_points.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace shoal {
namespace {

class KillAfterLaunchCloud final : public Cloud {
 public:
  KillAfterLaunchCloud(Cloud* inner, long after) : inner_(inner), left_(after) {}

  Result<LaunchedInstance> Launch(const LaunchRequest& request) override {
    Result<LaunchedInstance> id = inner_->Launch(request);
    if (--left_ == 0) ::kill(::getpid(), SIGKILL);  // no cleanup, no save: a crash
    return id;
  }
  Status Terminate(InstanceId id) override { return inner_->Terminate(id); }
  Status Stop(InstanceId id) override { return inner_->Stop(id); }
  Status Start(InstanceId id) override { return inner_->Start(id); }
  std::vector<GroupInstanceEvent> Poll() override { return inner_->Poll(); }
  PoolObservation Pool(const std::string& type, const std::string& zone) override { return inner_->Pool(type, zone); }
  double OnDemandPrice(const std::string& type) override { return inner_->OnDemandPrice(type); }
  Result<std::vector<DescribedInstance>> Describe() override { return inner_->Describe(); }

 private:
  Cloud* inner_;
  long left_;
};

}  // namespace

Cloud* ArmCloudFaultPoints(Cloud* cloud, std::unique_ptr<Cloud>* holder, Logger* log) {
  const char* kill_after = std::getenv("SHOAL_FAULT_KILL_AFTER_LAUNCH");
  if (kill_after == nullptr || *kill_after == '\0') return cloud;
  char* end = nullptr;
  const long n = std::strtol(kill_after, &end, 10);
  if (*end != '\0' || n < 1) {
    LogError(log, "fault_point_ignored").With("SHOAL_FAULT_KILL_AFTER_LAUNCH", kill_after).With("why", "not a positive integer");
    return cloud;
  }
  LogWarn(log, "fault_point_armed").With("kill_after_launch", n).With("note", "for tests only");
  *holder = std::make_unique<KillAfterLaunchCloud>(cloud, n);
  return holder->get();
}

}  // namespace shoal
