// The local provider: instances are processes on this machine (LocalCloud),
// behind one HAProxy (HaproxyTraffic), with a simulated spot market fed by
// the bundled price data, instance metadata endpoints for the agents, and
// CPU and request rates sampled every tick (LiveMetrics).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/haproxy/haproxy.h"
#include "adapters/local/imds_server.h"
#include "adapters/local/local_cloud.h"
#include "adapters/local/spot_market.h"
#include "adapters/sim/spot_market.h"
#include "adapters/local/live_metrics.h"
#include "providers/provider.h"
#include "providers/release_resolver.h"

namespace shoal {

class LocalProvider final : public Provider {
 public:
  // Starts HAProxy with the config's services; fails (nothing left running)
  // when it cannot.
  static Result<std::unique_ptr<LocalProvider>> Start(const Config& config, ProviderContext context);
  ~LocalProvider() override;

  // What the local provider needs of a config (a launch command and a
  // listen port per group, no port of the API's); makes launch commands
  // relative to the config file absolute.
  static Status Prepare(Config* config, const std::string& config_path, int api_port);
  // `shoal down`: stops every instance left in `data_dir` and its HAProxy.
  // Prints what it did to `out`.
  static Status TearDown(const std::string& data_dir, std::ostream& out);

  Cloud* cloud() override { return cloud_.get(); }
  Traffic* traffic() override { return traffic_.get(); }
  Metrics* metrics() override { return &metrics_; }
  std::string Started() override;
  void BeforeTick(Seconds now, const std::vector<const GroupState*>& states) override;
  Status Reconfigure(const Config& next) override;
  Result<int> ResolveRelease(const std::string& service, const std::string& ref) override;
  Result<DrillNotice> Interrupt(InstanceId id, Seconds now) override;
  Result<std::vector<DrillNotice>> InterruptPool(const std::string& pool, Seconds now) override;
  Status SetShortage(const std::string& pool, Seconds until) override;

 private:
  LocalProvider(const Config& config, ProviderContext context);
  void SampleMetrics(Seconds now, const std::vector<const GroupState*>& states);
  // Restarts HAProxy when it no longer runs, with the servers it had.
  void WatchLoadBalancer(Seconds now, const std::vector<const GroupState*>& states);
  void RecordLoadBalancer(Seconds now, const std::vector<const GroupState*>& states,
                          const std::function<std::string(const GroupSpec&)>& cause_of);

  Config config_;
  ProviderContext context_;
  std::unique_ptr<SpotMarket> prices_;  // may be null: flat prices
  std::unique_ptr<LocalSpotMarket> market_;
  std::unique_ptr<ImdsServer> imds_;
  std::unique_ptr<LocalCloud> cloud_;
  HaproxyOptions haproxy_options_;
  std::unique_ptr<HaproxyProcess> haproxy_;
  std::unique_ptr<HaproxyRuntime> runtime_;
  std::unique_ptr<HaproxyTraffic> traffic_;
  LiveMetrics metrics_;
  std::unique_ptr<ReleaseResolver> releases_;
  Seconds last_sample_ = 0;
  // Restarts of a stopped HAProxy that failed in a row, and when to try again.
  int haproxy_failures_ = 0;
  Seconds haproxy_retry_at_ = 0;
};

}  // namespace shoal
