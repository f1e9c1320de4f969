// The AWS provider: instances are EC2 instances (Ec2Cloud), their traffic
// comes through each group's ELBv2 target group (Elbv2Traffic), their
// metrics from CloudWatch (CloudWatchMetrics), and spot notices from the
// instances' agents or, with `provider.aws.spot_queue`, from the SQS queue
// EventBridge feeds (AwsSpotNotices). One AwsClient serves them all, so one
// set of credentials, retries and per-API rate limits covers every call.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/cloudwatch_metrics.h"
#include "adapters/aws/ec2_cloud.h"
#include "adapters/aws/elbv2_traffic.h"
#include "adapters/aws/spot_event_queue.h"
#include "providers/aws_spot_notices.h"
#include "providers/provider.h"
#include "providers/release_resolver.h"

namespace shoal {

class AwsProvider final : public Provider {
 public:
  // What the AWS provider needs of a config: an image, and per group the
  // service's port and its target group.
  static Status Prepare(Config* config);
  static Result<std::unique_ptr<AwsProvider>> Start(const Config& config, ProviderContext context);
  // `shoal down`: terminates every instance tagged with the config's owner.
  static Status TearDown(const Config& config, std::ostream& out);
  ~AwsProvider() override;

  Cloud* cloud() override { return &cloud_; }
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
  // EC2 with the queue's notices added to what its Poll reports.
  class NoticedCloud final : public Cloud {
   public:
    explicit NoticedCloud(AwsProvider* p) : p_(p) {}
    Result<LaunchedInstance> Launch(const LaunchRequest& r) override { return p_->ec2_->Launch(r); }
    Status Terminate(InstanceId id) override { return p_->ec2_->Terminate(id); }
    Status Stop(InstanceId id) override { return p_->ec2_->Stop(id); }
    Status Start(InstanceId id) override { return p_->ec2_->Start(id); }
    std::vector<GroupInstanceEvent> Poll() override;
    PoolObservation Pool(const std::string& type, const std::string& zone) override {
      return p_->ec2_->Pool(type, zone);
    }
    double OnDemandPrice(const std::string& type) override { return p_->ec2_->OnDemandPrice(type); }
    Result<std::vector<DescribedInstance>> Describe() override { return p_->ec2_->Describe(); }

   private:
    AwsProvider* p_;
  };
  // CloudWatch's data lands minutes late: minute M is read as M - lag, so
  // alarms see complete minutes (as CloudWatch alarms do), `lag` behind.
  class LaggedMetrics final : public Metrics {
   public:
    explicit LaggedMetrics(AwsProvider* p) : p_(p) {}
    Datapoint Read(const std::string& group, MetricName metric, std::int64_t minute) override;

   private:
    AwsProvider* p_;
  };

  AwsProvider(const Config& config, ProviderContext context);
  std::map<std::string, aws::Ec2LaunchOptions> LaunchOptions(const Config& config) const;
  std::vector<std::string> InService(const std::string& group);

  Config config_;
  ProviderContext context_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<aws::Ec2Cloud> ec2_;
  std::unique_ptr<ReleaseResolver> releases_;  // the store launches and deploys resolve releases in
  std::unique_ptr<aws::Elbv2Traffic> traffic_;
  std::unique_ptr<aws::CloudWatchMetrics> cloudwatch_;
  std::unique_ptr<aws::SpotEventQueue> queue_;
  std::unique_ptr<AwsSpotNotices> notices_;  // null without a spot queue
  NoticedCloud cloud_{this};
  LaggedMetrics metrics_{this};

  std::mutex members_mu_;  // in_service_ is read by CloudWatch calls
  std::map<std::string, std::vector<std::string>> in_service_;  // group -> instance ids
};

}  // namespace shoal
