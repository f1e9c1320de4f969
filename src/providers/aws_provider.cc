#include "providers/aws_provider.h"

#include <fstream>
#include <set>
#include <sstream>

#include "adapters/aws/environment.h"
#include "adapters/data/prices.h"
#include "adapters/system/system_clock.h"

namespace shoal {
namespace {

// The queue's long poll: the reader thread stops within this.
constexpr int kQueueWaitSeconds = 5;

// The client's environment, with the config's endpoint (if any) in place of
// every AWS_ENDPOINT_URL variable: the file says where to go, for every service.
aws::EnvLookup EnvWithEndpoint(const std::string& endpoint) {
  aws::EnvLookup process = aws::ProcessEnv();
  if (endpoint.empty()) return process;
  return [process, endpoint](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL" || name.rfind("AWS_ENDPOINT_URL_", 0) == 0) return endpoint;
    return process(name);
  };
}

Result<std::unique_ptr<aws::AwsClient>> MakeClient(const AwsProviderSpec& spec, const Clock* clock, Logger* log) {
  aws::ClientOptions options;
  options.region = spec.region;
  options.profile = spec.profile;
  aws::ClientDeps deps;
  deps.clock = clock;
  deps.log = log;
  deps.env = EnvWithEndpoint(spec.endpoint);
  return aws::AwsClient::Create(options, deps);
}

// The on-demand price table (bundled data/ondemand_prices.csv): no AWS API
// gives prices without the Pricing service's separate endpoint and account scope.
std::map<TypeRegion, double> OnDemandPrices(const ProviderContext& c) {
  if (c.on_demand_csv.empty()) return {};
  std::ifstream in(c.on_demand_csv);
  std::stringstream text;
  text << in.rdbuf();
  Result<std::map<TypeRegion, double>> prices = ParseOnDemandPrices(text.str(), c.on_demand_csv);
  if (!prices.ok()) {
    LogWarn(c.log, "on_demand_prices_unavailable").With("error", prices.status().message());
    return {};
  }
  return *prices;
}

aws::Elbv2TrafficOptions TrafficOptions(const Config& config) {
  aws::Elbv2TrafficOptions o;
  for (const GroupSpec& g : config.groups) o.groups[g.name] = {g.launch.aws.target_group, g.drain_timeout};
  return o;
}

std::string SpotNoticeSources(bool queue, bool agent) {
  if (queue && agent) return "queue+agents";
  if (queue) return "queue";
  return agent ? "agents" : "none";
}

aws::AgentBootstrap AgentOf(const AwsAgentSpec& a) {
  return {a.report_url, a.binary, a.binary_url, a.binary_sha256};
}

// EC2's limit on user data, before base64.
constexpr std::size_t kMaxUserData = 16 * 1024;

Status Spot(const std::string& what) {
  return Status::InvalidArgument(what +
                                 " plays the local provider's spot market; EC2's cannot be told to. On AWS, "
                                 "interrupt spot instances with AWS FIS (action "
                                 "aws:ec2:send-spot-instance-interruptions)");
}

}  // namespace

Status AwsProvider::Prepare(Config* config) {
  const AwsProviderSpec& a = config->provider.aws;
  if (a.image.empty()) {
    return Status::InvalidArgument(config->source +
                                   ": provider.aws.image is required for provider.type aws (the AMI every "
                                   "group boots, like ami-0123456789abcdef0)");
  }
  for (const GroupSpec& g : config->groups) {
    if (g.warm_pool.size > 0) {
      if (WarmPoolIndex(g) != kOnDemandPool) {
        return Status::InvalidArgument(config->source + ": group '" + g.name + "': warm_pool.pool is the spot pool '" +
                                       g.warm_pool.pool +
                                       "'; on AWS a warm pool is on-demand (a one-time spot instance cannot be "
                                       "stopped): set warm_pool.pool to on-demand");
      }
      if (!a.agent.enabled()) {
        return Status::InvalidArgument(config->source + ": group '" + g.name +
                                       "' has a warm_pool: set provider.aws.agent, whose agent tells the daemon when "
                                       "a warm instance's service answers so it is stopped into the pool (EC2 cannot "
                                       "tell when an instance's user data has finished; docs/AWS.md)");
      }
      aws::AgentBootstrap agent = AgentOf(a.agent);
      agent.ready_url = aws::WarmReadyUrl(g.launch.aws.port, g.health_check.path);
      if (const Status ok = aws::CheckAgentBootstrap(agent); !ok.ok()) {
        return Status::InvalidArgument(config->source + ": group '" + g.name + "': " + ok.message());
      }
    }
    if (g.deploy.strategy == DeployStrategy::kBlueGreen) {
      return Status::InvalidArgument(config->source + ": group '" + g.name +
                                     "' has deploy.strategy blue-green, which provider.type aws does not support: "
                                     "an ELBv2 target group sends requests to every healthy registered target, so "
                                     "it cannot hold the new release registered and checked without traffic; use "
                                     "deploy.strategy rolling (with analysis for a canary check)");
    }
    if (g.launch.aws.port == 0) {
      return Status::InvalidArgument(config->source + ": group '" + g.name +
                                     "' has no launch.aws.port: the port its service listens on in the "
                                     "instance, where the target group sends requests");
    }
    if (g.launch.aws.target_group.empty()) {
      return Status::InvalidArgument(config->source + ": group '" + g.name +
                                     "' has no launch.aws.target_group: the ELBv2 target group (ARN or name) "
                                     "its instances serve in (create it first, see docs/AWS.md)");
    }
    if (!g.launch.release.empty() && !a.agent.enabled()) {
      return Status::InvalidArgument(config->source + ": group '" + g.name + "': launch.release (" +
                                     g.launch.release +
                                     ") is booted by Shoal's part of the user data: set provider.aws.agent "
                                     "(docs/AWS.md step 5, docs/RELEASES.md)");
    }
    if (!g.launch.release.empty() && config->releases.store.rfind("s3://", 0) != 0) {
      return Status::InvalidArgument(config->source + ": group '" + g.name + "': launch.release (" +
                                     g.launch.release + ") on AWS needs releases.store to be an s3:// URL the "
                                     "instances can read (their instance profile), not \"" +
                                     config->releases.store + "\"");
    }
    if (a.agent.enabled()) {
      const Status fits = aws::CheckUserDataForAgent(g.launch.aws.user_data);
      if (!fits.ok()) {
        return Status::InvalidArgument(config->source + ": group '" + g.name + "': launch.aws." + fits.message() +
                                       " (provider.aws.agent puts the agent's part before it)");
      }
      // The credential is 64 hex digits whatever the launch.
      // With the log part at its longest: every pool name and a release
      // version of ten digits.
      std::optional<aws::LogShipping> logs;
      if (!config->logs.kafka_brokers.empty()) {
        logs = aws::LogShipping{config->logs.kafka_brokers, config->logs.kafka_topic, g.name, "", "1234567890"};
        for (const PoolSpec& p : g.capacity.spot_pools) {
          if (p.name.size() > logs->pool.size()) logs->pool = p.name;
        }
        if (const Status ok = aws::CheckLogShipping(*logs); !ok.ok()) {
          return Status::InvalidArgument(config->source + ": group '" + g.name + "': " + ok.message());
        }
      }
      const std::size_t size = aws::AgentUserData(AgentOf(a.agent), std::string(64, '0'), g.launch.aws.user_data,
                                                  nullptr, logs ? &*logs : nullptr)
                                   .size();
      if (size > kMaxUserData) {
        return Status::InvalidArgument(config->source + ": group '" + g.name + "': with the agent's part, its user " +
                                       "data is " + std::to_string(size) +
                                       " bytes; EC2 takes at most 16384 (fetch a larger script from S3 in it)");
      }
    }
  }
  return Status::Ok();
}

AwsProvider::AwsProvider(const Config& config, ProviderContext context)
    : config_(config), context_(std::move(context)) {}

AwsProvider::~AwsProvider() {
  notices_.reset();  // its thread reads the queue: stopped first
}

std::map<std::string, aws::Ec2LaunchOptions> AwsProvider::LaunchOptions(const Config& config) const {
  std::map<std::string, aws::Ec2LaunchOptions> out;
  const AwsProviderSpec& a = config.provider.aws;
  for (const GroupSpec& g : config.groups) {
    aws::Ec2LaunchOptions o;
    o.image_id = a.image;
    o.subnets = a.subnets;
    o.security_groups = a.security_groups;
    o.instance_profile = a.instance_profile;
    o.key_name = a.key_name;
    o.user_data = g.launch.aws.user_data;
    o.extra_tags = a.tags;
    o.service_port = g.launch.aws.port;
    o.ready_path = g.health_check.path;
    o.service = g.service;
    if (a.agent.enabled()) o.agent = AgentOf(a.agent);
    if (a.agent.enabled() && !config.logs.kafka_brokers.empty()) {
      o.logs = aws::LogShipping{config.logs.kafka_brokers, config.logs.kafka_topic, "", "", ""};
    }
    out[g.name] = std::move(o);
  }
  return out;
}

Result<std::unique_ptr<AwsProvider>> AwsProvider::Start(const Config& config, ProviderContext context) {
  std::unique_ptr<AwsProvider> p(new AwsProvider(config, std::move(context)));
  const ProviderContext& c = p->context_;
  const AwsProviderSpec& a = config.provider.aws;
  Result<std::unique_ptr<aws::AwsClient>> client = MakeClient(a, c.clock, c.log);
  if (!client.ok()) return client.status().WithContext("provider aws");
  p->client_ = std::move(*client);

  aws::Ec2CloudOptions eo;
  eo.owner = a.owner;
  eo.groups = p->LaunchOptions(config);
  eo.on_demand_prices = OnDemandPrices(c);
  eo.agent_credential = c.launch_credential;
  p->releases_ = std::make_unique<ReleaseResolver>(c.data_dir, config.releases);
  eo.resolve_release = [resolver = p->releases_.get()](const std::string& service,
                                                        const std::string& ref) -> Result<aws::Ec2Release> {
    Result<ReleaseToBoot> r = resolver->Resolve(service, ref);
    if (!r.ok()) return r.status();
    return aws::Ec2Release{r->version, r->store_url, r->env};
  };
  p->ec2_ = std::make_unique<aws::Ec2Cloud>(std::move(eo), p->client_.get(), c.clock, c.log);
  p->traffic_ = std::make_unique<aws::Elbv2Traffic>(TrafficOptions(config), p->client_.get(), c.clock, c.log);

  // CloudWatch names a target group by its ARN: a group that gives a name
  // is looked up once, here, so a missing target group stops the start.
  aws::CloudWatchMetricsOptions mo;
  for (const GroupSpec& g : config.groups) {
    Result<std::string> arn = p->traffic_->TargetGroupArn(g.name);
    if (!arn.ok()) {
      return arn.status().WithContext("group " + g.name + ": target group '" + g.launch.aws.target_group + "'");
    }
    mo.groups[g.name] = {*arn, ""};
  }
  mo.instances_of = [raw = p.get()](const std::string& group) { return raw->InService(group); };
  p->cloudwatch_ = std::make_unique<aws::CloudWatchMetrics>(std::move(mo), p->client_.get(), c.clock, c.log);

  if (!a.spot_queue.empty()) {
    aws::SpotEventQueueOptions qo;
    qo.queue_url = a.spot_queue;
    qo.wait_time_seconds = kQueueWaitSeconds;
    Result<std::unique_ptr<aws::SpotEventQueue>> queue =
        aws::SpotEventQueue::Create(qo, p->client_.get(), c.log);
    if (!queue.ok()) return queue.status().WithContext("provider.aws.spot_queue");
    p->queue_ = std::move(*queue);
    p->notices_ = std::make_unique<AwsSpotNotices>(p->queue_.get(), c.log);
  }
  if (a.spot_queue.empty() && !a.agent.enabled()) {
    LogWarn(c.log, "spot_notices_off")
        .With("why", "neither provider.aws.spot_queue nor provider.aws.agent is set: an interruption is seen "
                     "only when EC2 lists the instance as going, with no two minutes to replace it");
  }
  return p;
}

std::string AwsProvider::Started() {
  return "provider=aws region=" + client_->region() + " owner=" + config_.provider.aws.owner +
         " spot_notices=" + SpotNoticeSources(notices_ != nullptr, config_.provider.aws.agent.enabled());
}

std::vector<std::string> AwsProvider::InService(const std::string& group) {
  std::lock_guard lock(members_mu_);
  const auto it = in_service_.find(group);
  return it == in_service_.end() ? std::vector<std::string>{} : it->second;
}

void AwsProvider::BeforeTick(Seconds /*now*/, const std::vector<const GroupState*>& states) {
  std::map<std::string, std::vector<std::string>> serving;
  std::map<InstanceId, std::string> group_of;
  for (std::size_t g = 0; g < config_.groups.size() && g < states.size(); ++g) {
    const std::string& name = config_.groups[g].name;
    std::vector<std::string>& ids = serving[name];
    for (const Instance& in : states[g]->instances) {
      group_of[in.id] = name;
      if (in.state == InstanceState::kInService) ids.push_back(in.id.str());
    }
  }
  {
    std::lock_guard lock(members_mu_);
    in_service_ = std::move(serving);
  }
  if (notices_) notices_->SetMembers(std::move(group_of));
}

std::vector<GroupInstanceEvent> AwsProvider::NoticedCloud::Poll() {
  std::vector<GroupInstanceEvent> out = p_->ec2_->Poll();
  if (p_->notices_) {
    for (GroupInstanceEvent& e : p_->notices_->Poll()) out.push_back(std::move(e));
  }
  return out;
}

Datapoint AwsProvider::LaggedMetrics::Read(const std::string& group, MetricName metric, std::int64_t minute) {
  return p_->cloudwatch_->Read(group, metric, minute - p_->config_.provider.aws.metrics_delay / 60);
}

Status AwsProvider::Reconfigure(const Config& next) {
  // Target groups of new or changed groups are checked before anything changes.
  std::map<std::string, aws::CloudWatchGroupOptions> metric_groups;
  auto traffic = std::make_unique<aws::Elbv2Traffic>(TrafficOptions(next), client_.get(), context_.clock,
                                                     context_.log);
  for (const GroupSpec& g : next.groups) {
    Result<std::string> arn = traffic->TargetGroupArn(g.name);
    if (!arn.ok()) {
      return arn.status().WithContext("group " + g.name + ": target group '" + g.launch.aws.target_group + "'");
    }
    metric_groups[g.name] = {*arn, ""};
  }
  ec2_->SetGroups(LaunchOptions(next));
  releases_->SetSpec(next.releases);
  traffic_->SetGroups(TrafficOptions(next).groups);
  cloudwatch_->SetGroups(std::move(metric_groups));
  config_ = next;
  return Status::Ok();
}

Result<int> AwsProvider::ResolveRelease(const std::string& service, const std::string& ref) {
  if (!config_.provider.aws.agent.enabled()) {
    return Status::InvalidArgument("deploying release " + ref + " of " + service +
                                   ": on AWS, Shoal's part of the user data boots releases: set provider.aws.agent");
  }
  Result<ReleaseToBoot> r = releases_->Resolve(service, ref);
  if (!r.ok()) return r.status();
  return r->version;
}

Result<DrillNotice> AwsProvider::Interrupt(InstanceId, Seconds) { return Spot("`shoal interrupt`"); }

Result<std::vector<DrillNotice>> AwsProvider::InterruptPool(const std::string&, Seconds) {
  return Spot("`shoal interrupt --pool`");
}

Status AwsProvider::SetShortage(const std::string&, Seconds) { return Spot("`shoal shortage`"); }

Status AwsProvider::TearDown(const Config& config, std::ostream& out) {
  SystemClock clock;
  Result<std::unique_ptr<aws::AwsClient>> client = MakeClient(config.provider.aws, &clock, nullptr);
  if (!client.ok()) return client.status();
  aws::Ec2CloudOptions eo;
  eo.owner = config.provider.aws.owner;
  aws::Ec2Cloud ec2(std::move(eo), client->get(), &clock, nullptr);
  Result<std::vector<DescribedInstance>> running = ec2.Describe();
  if (!running.ok()) return running.status().WithContext("listing the instances of owner " + config.provider.aws.owner);
  int asked = 0;
  int failed = 0;
  for (const DescribedInstance& d : *running) {
    if (!d.running) continue;
    if (Status s = ec2.Terminate(d.id); !s.ok()) {
      out << "warning: cannot terminate " << d.id.str() << ": " << s.message() << "\n";
      ++failed;
      continue;
    }
    ++asked;
  }
  out << "asked EC2 to terminate " << asked << " instance(s) of owner " << config.provider.aws.owner
      << " (region " << (*client)->region() << "); the target groups drop them as they go\n";
  if (failed > 0) return Status::Unavailable(std::to_string(failed) + " instance(s) could not be terminated; run `shoal down` again");
  return Status::Ok();
}

}  // namespace shoal
