// Ec2Cloud on a scripted HTTP client: the parameters it sends (spot
// options, token, tags, subnet choice), how it reads RunInstances,
// DescribeInstances (pages) and DescribeSpotPriceHistory answers, and what
// Poll reports from successive views.
#include "adapters/aws/ec2_cloud.h"

#include <gtest/gtest.h>

#include "adapters/aws/ec2_wire.h"
#include "aws_test_util.h"
#include "scripted_client_fixture.h"

namespace shoal::aws {
namespace {

using testing::FakeSleeper;
using testing::ManualClock;
using testing::ScriptedClientTest;
using testing::ScriptedHttp;

constexpr Seconds kNow = 1768465800;

// The form fields of a query-protocol request body, decoded.
std::multimap<std::string, std::string> FormOf(const HttpRequest& request) {
  httplib::Params params;
  httplib::detail::parse_query_text(request.body, params);
  return {params.begin(), params.end()};
}

std::string Field(const std::multimap<std::string, std::string>& form, const std::string& key) {
  const auto it = form.find(key);
  return it == form.end() ? "<none>" : it->second;
}

// The value of tag `key` in a RunInstances form.
std::string TagValue(const std::multimap<std::string, std::string>& form, const std::string& key) {
  for (const auto& [name, value] : form) {
    if (name.rfind("TagSpecification.1.Tag.", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".Key" &&
        value == key) {
      return Field(form, name.substr(0, name.size() - 4) + ".Value");
    }
  }
  return "<none>";
}

std::string InstanceXml(const std::string& id, const std::string& state, const std::string& ip,
                        const std::string& group, const std::string& token) {
  return "<item><instanceId>" + id + "</instanceId><instanceType>m5.large</instanceType><instanceState><name>" +
         state + "</name></instanceState><placement><availabilityZone>us-east-1b</availabilityZone></placement>"
         "<launchTime>2026-01-15T08:30:00.000Z</launchTime><privateIpAddress>" + ip +
         "</privateIpAddress><instanceLifecycle>spot</instanceLifecycle><tagSet>"
         "<item><key>shoal:owner</key><value>me</value></item>"
         "<item><key>shoal:group</key><value>" + group + "</value></item>"
         "<item><key>shoal:market</key><value>spot</value></item>"
         "<item><key>shoal:pool</key><value>m5.large-b</value></item>"
         "<item><key>shoal:weight</key><value>2</value></item>"
         "<item><key>shoal:launch-token</key><value>" + token + "</value></item></tagSet></item>";
}

std::string DescribeXml(const std::string& instances, const std::string& next_token = "") {
  return "<DescribeInstancesResponse><reservationSet><item><instancesSet>" + instances +
         "</instancesSet></item></reservationSet>" +
         (next_token.empty() ? "" : "<nextToken>" + next_token + "</nextToken>") + "</DescribeInstancesResponse>";
}

const char* kSubnets =
    "<DescribeSubnetsResponse><subnetSet>"
    "<item><subnetId>subnet-a</subnetId><availabilityZone>us-east-1a</availabilityZone></item>"
    "<item><subnetId>subnet-b</subnetId><availabilityZone>us-east-1b</availabilityZone></item>"
    "</subnetSet></DescribeSubnetsResponse>";

class Ec2CloudTest : public ScriptedClientTest {
 protected:
  Ec2CloudTest() : ScriptedClientTest(kNow) {}

  void SetUp() override {
    ScriptedClientTest::SetUp();
    if (HasFatalFailure()) return;
    cloud_ = std::make_unique<Ec2Cloud>(BaseOptions(), client_.get(), &clock_, &log_);
  }

  static Ec2CloudOptions BaseOptions() {
    Ec2CloudOptions options;
    options.owner = "me";
    options.poll_interval = 0;  // every Poll lists (PollListsAtMostEveryInterval sets one)
    Ec2LaunchOptions web;
    web.image_id = "ami-1";
    web.subnets = {"subnet-a", "subnet-b"};
    web.security_groups = {"sg-1", "sg-2"};
    web.instance_profile = "web-role";
    web.user_data = "#!/bin/sh\necho hi\n";
    web.extra_tags = {{"team", "blue"}};
    web.service_port = 8080;
    options.groups["web"] = web;
    options.on_demand_prices[{"m5.large", "us-east-1"}] = 0.096;
    return options;
  }

  static LaunchRequest SpotRequest() {
    LaunchRequest r;
    r.group = "web";
    r.market = Market::kSpot;
    r.instance_type = "m5.large";
    r.zone = "us-east-1b";
    r.pool = "m5.large-b";
    r.bid_usd_per_hour = 0.05;
    r.weight = 2;
    r.launch_token = "web-7";
    return r;
  }

  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    for (const HttpRequest& r : http_.requests()) out.push_back(Field(FormOf(r), "Action"));
    return out;
  }

  std::unique_ptr<Ec2Cloud> cloud_;
};

// A group that boots a release: the release is resolved before EC2 is
// asked, Shoal's user-data part bootstraps it, and the tag says which.
TEST_F(Ec2CloudTest, ALaunchThatBootsAReleaseResolvesItTagsItAndBootstrapsItInTheUserData) {
  Ec2CloudOptions options = BaseOptions();
  const AgentBootstrap agent{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""};
  options.groups["web"].agent = agent;
  options.groups["web"].service = "shop";
  options.agent_credential = [](const std::string&) { return std::string(64, 'c'); };
  std::vector<std::string> asked;
  options.resolve_release = [&asked](const std::string& service, const std::string& ref) -> Result<Ec2Release> {
    asked.push_back(service + ":" + ref);
    return Ec2Release{12, "s3://artifacts/releases", "prod"};
  };
  cloud_ = std::make_unique<Ec2Cloud>(std::move(options), client_.get(), &clock_, &log_);
  http_.Push(ScriptedHttp::Answer(200, "<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>"));
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0abc", "pending", "10.0.2.7", "web", "web-7") +
                                           "</instancesSet></RunInstancesResponse>"));
  LaunchRequest r = SpotRequest();
  r.release = "latest-stable";
  auto launched = cloud_->Launch(r);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  EXPECT_EQ(launched->version, 12);
  EXPECT_EQ(asked, (std::vector<std::string>{"shop:latest-stable"}));
  const auto run = FormOf(http_.requests()[2]);
  EXPECT_EQ(TagValue(run, "shoal:version"), "12");
  const ReleaseBootstrap boot{"s3://artifacts/releases", "shop", "prod", 12};
  EXPECT_EQ(Field(run, "UserData"), Base64(AgentUserData(agent, std::string(64, 'c'), "#!/bin/sh\necho hi\n", &boot)));
}

TEST_F(Ec2CloudTest, AReleaseThatCannotBeResolvedOrBootedAsksNothingOfEc2) {
  LaunchRequest r = SpotRequest();
  r.release = "7";
  auto no_agent = cloud_->Launch(r);
  ASSERT_FALSE(no_agent.ok());
  EXPECT_NE(no_agent.status().message().find("set provider.aws.agent"), std::string::npos) << no_agent.status().message();
  Ec2CloudOptions options = BaseOptions();
  options.groups["web"].agent = AgentBootstrap{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""};
  options.agent_credential = [](const std::string&) { return std::string(64, 'c'); };
  options.resolve_release = [](const std::string&, const std::string&) -> Result<Ec2Release> {
    return Status::Unavailable("the store did not answer");
  };
  cloud_ = std::make_unique<Ec2Cloud>(std::move(options), client_.get(), &clock_, &log_);
  http_.Push(ScriptedHttp::Answer(200, "<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>"));
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  auto down = cloud_->Launch(r);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  for (const std::string& action : Actions()) EXPECT_NE(action, "RunInstances");
}

TEST(Ec2WireTest, ClientTokenIsTheLaunchTokenUpTo64AsciiCharactersElseItsHash) {
  EXPECT_EQ(Ec2ClientToken("web-7"), "web-7");
  const std::string long_token(65, 'x');
  EXPECT_EQ(Ec2ClientToken(long_token).size(), 64u);
  EXPECT_EQ(Ec2ClientToken(long_token), Ec2ClientToken(long_token));
  EXPECT_NE(Ec2ClientToken(long_token), Ec2ClientToken(std::string(66, 'x')));
  EXPECT_EQ(Ec2ClientToken(std::string(64, 'y')), std::string(64, 'y'));
}

TEST(Ec2WireTest, OnDemandWithoutZoneHasNoMarketOptionsNorPlacement) {
  LaunchRequest r;
  r.group = "web";
  r.instance_type = "c5.large";
  const Params p = RunInstancesParams(r, {"me", "ami-1", "", {}, "", "", "", {}});
  for (const auto& [key, value] : p) {
    EXPECT_EQ(key.find("InstanceMarketOptions"), std::string::npos) << key;
    EXPECT_NE(key, "Placement.AvailabilityZone");
    EXPECT_NE(key, "SubnetId");
    EXPECT_NE(key, "ClientToken");
    EXPECT_NE(key, "UserData");
  }
}

TEST(Ec2WireTest, SpotPriceIsTheLatestLinuxPriceInTheZone) {
  auto doc = XmlDocument::Parse(
      "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet>"
      "<item><availabilityZone>us-east-1b</availabilityZone><productDescription>Linux/UNIX</productDescription>"
      "<spotPrice>0.031</spotPrice><timestamp>2026-01-15T08:00:00.000Z</timestamp></item>"
      "<item><availabilityZone>us-east-1b</availabilityZone><productDescription>Linux/UNIX (Amazon VPC)"
      "</productDescription><spotPrice>0.034</spotPrice><timestamp>2026-01-15T08:20:00.000Z</timestamp></item>"
      "<item><availabilityZone>us-east-1b</availabilityZone><productDescription>Windows</productDescription>"
      "<spotPrice>0.2</spotPrice><timestamp>2026-01-15T08:25:00.000Z</timestamp></item>"
      "<item><availabilityZone>us-east-1a</availabilityZone><productDescription>Linux/UNIX</productDescription>"
      "<spotPrice>0.5</spotPrice><timestamp>2026-01-15T08:29:00.000Z</timestamp></item>"
      "</spotPriceHistorySet></DescribeSpotPriceHistoryResponse>");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(LatestSpotPrice(doc->Root(), "us-east-1b"), 0.034);
  EXPECT_EQ(LatestSpotPrice(doc->Root(), "us-east-1c"), std::nullopt);
}

TEST(Ec2WireTest, Base64OfUserData) {
  EXPECT_EQ(Base64("#!/bin/sh\n"), "IyEvYmluL3NoCg==");
  EXPECT_EQ(Base64(""), "");
}

TEST_F(Ec2CloudTest, SpotLaunchLooksForTheTokenThenRunsOneTaggedInstanceInTheZonesSubnet) {
  http_.Push(ScriptedHttp::Answer(200, DescribeXml("")));
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0abc", "pending", "10.0.2.7", "web", "web-7") +
                                           "</instancesSet></RunInstancesResponse>"));
  auto launched = cloud_->Launch(SpotRequest());
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  EXPECT_EQ(launched->id.str(), "i-0abc");
  EXPECT_EQ(launched->address, (InstanceAddress{"10.0.2.7", 8080}));
  ASSERT_EQ(Actions(), (std::vector<std::string>{"DescribeInstances", "DescribeSubnets", "RunInstances"}));

  const auto lookup = FormOf(http_.requests()[0]);
  EXPECT_EQ(Field(lookup, "Filter.1.Name"), "tag:shoal:owner");
  EXPECT_EQ(Field(lookup, "Filter.1.Value.1"), "me");
  EXPECT_EQ(Field(lookup, "Filter.2.Name"), "instance-state-name");
  EXPECT_EQ(Field(lookup, "Filter.2.Value.1"), "pending");
  EXPECT_EQ(Field(lookup, "Filter.2.Value.2"), "running");
  // Stopped too: a warm-pool instance made for the token may be stopped already.
  EXPECT_EQ(Field(lookup, "Filter.2.Value.3"), "stopping");
  EXPECT_EQ(Field(lookup, "Filter.2.Value.4"), "stopped");
  EXPECT_EQ(Field(lookup, "Filter.3.Name"), "tag:shoal:launch-token");
  EXPECT_EQ(Field(lookup, "Filter.3.Value.1"), "web-7");

  const auto run = FormOf(http_.requests()[2]);
  EXPECT_EQ(Field(run, "MinCount"), "1");
  EXPECT_EQ(Field(run, "MaxCount"), "1");
  EXPECT_EQ(Field(run, "ImageId"), "ami-1");
  EXPECT_EQ(Field(run, "InstanceType"), "m5.large");
  EXPECT_EQ(Field(run, "ClientToken"), "web-7");
  EXPECT_EQ(Field(run, "SubnetId"), "subnet-b");
  EXPECT_EQ(Field(run, "Placement.AvailabilityZone"), "us-east-1b");
  EXPECT_EQ(Field(run, "SecurityGroupId.1"), "sg-1");
  EXPECT_EQ(Field(run, "SecurityGroupId.2"), "sg-2");
  EXPECT_EQ(Field(run, "IamInstanceProfile.Name"), "web-role");
  EXPECT_EQ(Field(run, "KeyName"), "<none>");
  EXPECT_EQ(Field(run, "UserData"), Base64("#!/bin/sh\necho hi\n"));
  EXPECT_EQ(Field(run, "InstanceMarketOptions.MarketType"), "spot");
  EXPECT_EQ(Field(run, "InstanceMarketOptions.SpotOptions.MaxPrice"), "0.05");
  EXPECT_EQ(Field(run, "InstanceMarketOptions.SpotOptions.SpotInstanceType"), "one-time");
  EXPECT_EQ(Field(run, "InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior"), "terminate");
  EXPECT_EQ(Field(run, "TagSpecification.1.ResourceType"), "instance");
  EXPECT_EQ(TagValue(run, "shoal:owner"), "me");
  EXPECT_EQ(TagValue(run, "shoal:group"), "web");
  EXPECT_EQ(TagValue(run, "shoal:market"), "spot");
  EXPECT_EQ(TagValue(run, "shoal:pool"), "m5.large-b");
  EXPECT_EQ(TagValue(run, "shoal:weight"), "2");
  EXPECT_EQ(TagValue(run, "shoal:version"), "0");  // releases are not booted on AWS yet
  EXPECT_EQ(TagValue(run, "shoal:launch-token"), "web-7");
  EXPECT_EQ(TagValue(run, "team"), "blue");
}

TEST_F(Ec2CloudTest, SpotWithoutABidLeavesMaxPriceOutSoEc2CapsAtOnDemand) {
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0abc", "pending", "10.0.2.7", "web", "") +
                                           "</instancesSet></RunInstancesResponse>"));
  LaunchRequest r = SpotRequest();
  r.bid_usd_per_hour = 0;
  r.launch_token.clear();
  ASSERT_TRUE(cloud_->Launch(r).ok());
  ASSERT_EQ(Actions(), (std::vector<std::string>{"DescribeSubnets", "RunInstances"}));
  const auto run = FormOf(http_.requests()[1]);
  EXPECT_EQ(Field(run, "InstanceMarketOptions.MarketType"), "spot");
  EXPECT_EQ(Field(run, "InstanceMarketOptions.SpotOptions.MaxPrice"), "<none>");
  EXPECT_EQ(Field(run, "ClientToken"), "<none>");
}

TEST_F(Ec2CloudTest, ALaunchTokenAlreadyUsedReturnsThatInstance) {
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-0old", "running", "10.0.2.9", "web", "web-7"))));
  auto launched = cloud_->Launch(SpotRequest());
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  EXPECT_EQ(launched->id.str(), "i-0old");
  EXPECT_EQ(launched->address, (InstanceAddress{"10.0.2.9", 8080}));
  EXPECT_EQ(Actions(), (std::vector<std::string>{"DescribeInstances"}));
}

TEST_F(Ec2CloudTest, AZoneWithoutASubnetIsAnErrorNamingIt) {
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  LaunchRequest r = SpotRequest();
  r.launch_token.clear();
  r.zone = "us-east-1c";
  auto launched = cloud_->Launch(r);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(launched.status().message().find("us-east-1c"), std::string::npos);
}

TEST_F(Ec2CloudTest, OnDemandLaunchesTakeTheSubnetsInTurnWithoutPlacement) {
  LaunchRequest r;
  r.group = "web";
  r.instance_type = "m5.large";
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0abc", "pending", "10.0.2.7", "web", "") +
                                           "</instancesSet></RunInstancesResponse>"));
  ASSERT_TRUE(cloud_->Launch(r).ok());
  ASSERT_TRUE(cloud_->Launch(r).ok());
  const auto first = FormOf(http_.requests()[0]);
  const auto second = FormOf(http_.requests()[1]);
  EXPECT_EQ(Field(first, "SubnetId"), "subnet-a");
  EXPECT_EQ(Field(second, "SubnetId"), "subnet-b");
  EXPECT_EQ(Field(first, "Placement.AvailabilityZone"), "<none>");
  EXPECT_EQ(Field(first, "InstanceMarketOptions.MarketType"), "<none>");
}

TEST_F(Ec2CloudTest, NoCapacityIsInsufficientCapacity) {
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  http_.Push(ScriptedHttp::Answer(
      500, "<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code><Message>none</Message></Error>"
           "</Errors><RequestID>r1</RequestID></Response>"));
  LaunchRequest r = SpotRequest();
  r.launch_token.clear();
  auto launched = cloud_->Launch(r);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().code(), StatusCode::kInsufficientCapacity);
}

TEST_F(Ec2CloudTest, UnknownGroupIsInvalid) {
  LaunchRequest r = SpotRequest();
  r.group = "nope";
  auto launched = cloud_->Launch(r);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(Ec2CloudTest, TerminatingAnUnknownInstanceIsOk) {
  http_.Push(ScriptedHttp::Answer(
      400, "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>gone</Message></Error>"
           "</Errors><RequestID>r1</RequestID></Response>"));
  EXPECT_TRUE(cloud_->Terminate(*InstanceId::Parse("i-0123")).ok());
  EXPECT_EQ(Field(FormOf(http_.requests()[0]), "InstanceId.1"), "i-0123");
}

TEST_F(Ec2CloudTest, DescribeReadsEveryPageAndTheTags) {
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-01", "running", "10.0.0.1", "web", "t1"), "page2")));
  http_.Push(ScriptedHttp::Answer(
      200, DescribeXml(InstanceXml("i-02", "stopping", "10.0.0.2", "web", "t2") +
                       InstanceXml("i-03", "running", "10.0.0.3", "", "t3"))));  // no group tag: not ours
  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  ASSERT_EQ(described->size(), 2u);
  const DescribedInstance& first = (*described)[0];
  EXPECT_EQ(first.id.str(), "i-01");
  EXPECT_EQ(first.group, "web");
  EXPECT_EQ(first.market, Market::kSpot);
  EXPECT_EQ(first.pool, "m5.large-b");
  EXPECT_EQ(first.instance_type, "m5.large");
  EXPECT_EQ(first.zone, "us-east-1b");
  EXPECT_EQ(first.weight, 2);
  EXPECT_EQ(first.launch_token, "t1");
  EXPECT_EQ(first.launched_at, kNow);
  EXPECT_EQ(first.address, (InstanceAddress{"10.0.0.1", 8080}));
  EXPECT_TRUE(first.running);
  EXPECT_FALSE((*described)[1].running);
  const auto page1 = FormOf(http_.requests()[0]);
  const auto page2 = FormOf(http_.requests()[1]);
  EXPECT_EQ(Field(page1, "NextToken"), "<none>");
  EXPECT_EQ(Field(page2, "NextToken"), "page2");
  EXPECT_EQ(Field(page1, "Filter.2.Value.5"), "shutting-down");
}

TEST_F(Ec2CloudTest, PollReportsBootOnceWhenRunningAndTerminationWhenGone) {
  auto kinds = [](const std::vector<GroupInstanceEvent>& events) {
    std::vector<std::pair<std::string, InstanceEvent>> out;
    for (const auto& e : events) out.emplace_back(e.observation.id.str(), e.observation.event);
    return out;
  };
  using Events = std::vector<std::pair<std::string, InstanceEvent>>;
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-01", "pending", "10.0.0.1", "web", ""))));
  EXPECT_EQ(kinds(cloud_->Poll()), Events{});
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-01", "running", "10.0.0.1", "web", "") +
                                                   InstanceXml("i-02", "running", "10.0.0.2", "web", ""))));
  EXPECT_EQ(kinds(cloud_->Poll()), (Events{{"i-01", InstanceEvent::kBooted}, {"i-02", InstanceEvent::kBooted}}));
  EXPECT_EQ(kinds(cloud_->Poll()), Events{});
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-02", "shutting-down", "10.0.0.2", "web", ""))));
  EXPECT_EQ(kinds(cloud_->Poll()), (Events{{"i-01", InstanceEvent::kTerminated}, {"i-02", InstanceEvent::kTerminated}}));
  EXPECT_EQ(kinds(cloud_->Poll()), Events{});
}

TEST_F(Ec2CloudTest, ALaunchNoListShowsIsReportedGoneOnlyAfterTheGrace) {
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0new", "pending", "10.0.2.7", "web", "") +
                                           "</instancesSet></RunInstancesResponse>"));
  LaunchRequest r = SpotRequest();
  r.launch_token.clear();
  ASSERT_TRUE(cloud_->Launch(r).ok());
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml("")));  // the list lags behind the launch
  EXPECT_TRUE(cloud_->Poll().empty());
  clock_.Set(kNow + 299);
  EXPECT_TRUE(cloud_->Poll().empty());
  clock_.Set(kNow + 300);
  const auto events = cloud_->Poll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].group, "web");
  EXPECT_EQ(events[0].observation.id.str(), "i-0new");
  EXPECT_EQ(events[0].observation.event, InstanceEvent::kTerminated);
  EXPECT_FALSE(events[0].observation.reason.empty());
  EXPECT_TRUE(cloud_->Poll().empty());
}

TEST_F(Ec2CloudTest, ALaunchThatWasListedIsGoneAsSoonAsItLeavesTheList) {
  http_.Push(ScriptedHttp::Answer(200, kSubnets));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0new", "pending", "10.0.2.7", "web", "") +
                                           "</instancesSet></RunInstancesResponse>"));
  LaunchRequest r = SpotRequest();
  r.launch_token.clear();
  ASSERT_TRUE(cloud_->Launch(r).ok());
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-0new", "pending", "10.0.2.7", "web", ""))));
  EXPECT_TRUE(cloud_->Poll().empty());
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml("")));
  const auto events = cloud_->Poll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].observation.event, InstanceEvent::kTerminated);
}

TEST_F(Ec2CloudTest, PollThatFailsReportsNothingGone) {
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-01", "running", "10.0.0.1", "web", ""))));
  ASSERT_EQ(cloud_->Poll().size(), 1u);
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(
      403, "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message></Error></Errors>"
           "</Response>"));
  EXPECT_TRUE(cloud_->Poll().empty());
}

TEST_F(Ec2CloudTest, PoolPriceIsCachedForTheTtl) {
  http_.Push(ScriptedHttp::Answer(
      200, "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet><item><availabilityZone>us-east-1b"
           "</availabilityZone><productDescription>Linux/UNIX</productDescription><spotPrice>0.031</spotPrice>"
           "<timestamp>2026-01-15T08:00:00.000Z</timestamp></item></spotPriceHistorySet>"
           "</DescribeSpotPriceHistoryResponse>"));
  PoolObservation p = cloud_->Pool("m5.large", "us-east-1b");
  EXPECT_EQ(p.price, 0.031);
  EXPECT_EQ(p.on_demand_price, 0.096);
  const auto form = FormOf(http_.requests()[0]);
  EXPECT_EQ(Field(form, "InstanceType.1"), "m5.large");
  EXPECT_EQ(Field(form, "AvailabilityZone"), "us-east-1b");
  EXPECT_EQ(Field(form, "ProductDescription.1"), "Linux/UNIX");
  clock_.Set(kNow + 299);
  EXPECT_EQ(cloud_->Pool("m5.large", "us-east-1b").price, 0.031);
  EXPECT_EQ(http_.requests().size(), 1u);
  clock_.Set(kNow + 300);
  EXPECT_EQ(cloud_->Pool("m5.large", "us-east-1b").price, 0.031);
  EXPECT_EQ(http_.requests().size(), 2u);
}

TEST_F(Ec2CloudTest, PoolWithoutAPriceFallsBackToOnDemandAndIsLoggedOnce) {
  http_.Push(ScriptedHttp::Answer(
      200, "<DescribeSpotPriceHistoryResponse><spotPriceHistorySet/></DescribeSpotPriceHistoryResponse>"));
  EXPECT_EQ(cloud_->Pool("m5.large", "us-east-1b").price, 0.096);
  EXPECT_EQ(cloud_->Pool("m5.large", "us-east-1b").price, 0.096);
  int logged = 0;
  for (const LogEvent& e : log_.events()) logged += e.event == "ec2_spot_price_missing";
  EXPECT_EQ(logged, 1);
}

TEST_F(Ec2CloudTest, OnDemandPriceOfAnUnknownTypeIsZeroAndLoggedOnce) {
  EXPECT_EQ(cloud_->OnDemandPrice("m5.large"), 0.096);
  EXPECT_EQ(cloud_->OnDemandPrice("x9.huge"), 0);
  EXPECT_EQ(cloud_->OnDemandPrice("x9.huge"), 0);
  int logged = 0;
  for (const LogEvent& e : log_.events()) logged += e.event == "ec2_on_demand_price_unknown";
  EXPECT_EQ(logged, 1);
}

}  // namespace
}  // namespace shoal::aws

namespace shoal::aws {
namespace {

TEST_F(Ec2CloudTest, PollListsAtMostEveryInterval) {
  Ec2CloudOptions options;
  options.owner = "me";
  options.poll_interval = 5;
  Ec2Cloud cloud(std::move(options), client_.get(), &clock_, &log_);
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(InstanceXml("i-01", "running", "10.0.0.1", "web", ""))));
  ASSERT_EQ(cloud.Poll().size(), 1u);
  const std::size_t calls = http_.requests().size();
  clock_.Set(kNow + 4);
  EXPECT_TRUE(cloud.Poll().empty());
  EXPECT_EQ(http_.requests().size(), calls) << "no call within the interval";
  clock_.Set(kNow + 5);
  EXPECT_TRUE(cloud.Poll().empty()) << "booted already";
  EXPECT_EQ(http_.requests().size(), calls + 1);
}

}  // namespace
}  // namespace shoal::aws

namespace shoal::aws {
namespace {

// InstanceXml's instance, tagged as launched into the warm pool.
std::string WarmInstanceXml(const std::string& id, const std::string& state) {
  std::string xml = InstanceXml(id, state, "10.0.3.1", "web", "");
  xml.replace(xml.find("</tagSet>"), 9, "<item><key>shoal:warm</key><value>true</value></item></tagSet>");
  return xml;
}

LaunchRequest WarmRequest() {
  LaunchRequest r;
  r.group = "web";
  r.market = Market::kOnDemand;
  r.instance_type = "m5.large";
  r.launch_token = "web-9";
  r.warm = true;
  return r;
}

// A warm-pool launch is on-demand, tagged shoal:warm, and its agent is told
// to ask the service's health path: once it answers, the agent reports
// "provisioned" and the daemon stops the instance into the pool.
TEST_F(Ec2CloudTest, AWarmPoolLaunchIsTaggedAndItsAgentAsksTheHealthPath) {
  Ec2CloudOptions options = BaseOptions();
  options.groups["web"].agent = AgentBootstrap{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""};
  options.groups["web"].ready_path = "/ready";
  options.agent_credential = [](const std::string&) { return std::string(64, 'c'); };
  cloud_ = std::make_unique<Ec2Cloud>(std::move(options), client_.get(), &clock_, &log_);
  http_.Push(ScriptedHttp::Answer(200, DescribeXml("")));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" + WarmInstanceXml("i-0w1", "pending") +
                                           "</instancesSet></RunInstancesResponse>"));
  ASSERT_TRUE(cloud_->Launch(WarmRequest()).ok());
  const auto run = FormOf(http_.requests()[1]);
  EXPECT_EQ(Field(run, "Action"), "RunInstances");
  EXPECT_EQ(TagValue(run, "shoal:warm"), "true");
  EXPECT_EQ(Field(run, "InstanceMarketOptions.MarketType"), "<none>");
  const std::string user_data = Field(run, "UserData");
  AgentBootstrap expected{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""};
  expected.ready_url = "http://127.0.0.1:8080/ready";
  EXPECT_EQ(user_data, Base64(AgentUserData(expected, std::string(64, 'c'), "#!/bin/sh\necho hi\n")));
  EXPECT_NE(AgentScript(expected, std::string(64, 'c')).find("--ready 'http://127.0.0.1:8080/ready'"),
            std::string::npos);

  // An ordinary launch carries neither.
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml("")));
  http_.Push(ScriptedHttp::Answer(200, "<RunInstancesResponse><instancesSet>" +
                                           InstanceXml("i-0n1", "pending", "10.0.3.2", "web", "web-10") +
                                           "</instancesSet></RunInstancesResponse>"));
  LaunchRequest plain = WarmRequest();
  plain.warm = false;
  plain.launch_token = "web-10";
  ASSERT_TRUE(cloud_->Launch(plain).ok());
  const auto plain_run = FormOf(http_.requests()[3]);
  EXPECT_EQ(TagValue(plain_run, "shoal:warm"), "<none>");
  EXPECT_EQ(Field(plain_run, "UserData"),
            Base64(AgentUserData(AgentBootstrap{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""},
                                 std::string(64, 'c'), "#!/bin/sh\necho hi\n")));
}

TEST_F(Ec2CloudTest, AWarmPoolLaunchOnSpotOrWithoutTheAgentAsksNothingOfEc2) {
  LaunchRequest spot = WarmRequest();
  auto no_agent = cloud_->Launch(spot);
  ASSERT_FALSE(no_agent.ok());
  EXPECT_EQ(no_agent.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_agent.status().message().find("needs provider.aws.agent"), std::string::npos);
  Ec2CloudOptions options = BaseOptions();
  options.groups["web"].agent = AgentBootstrap{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""};
  options.agent_credential = [](const std::string&) { return std::string(64, 'c'); };
  cloud_ = std::make_unique<Ec2Cloud>(std::move(options), client_.get(), &clock_, &log_);
  spot.market = Market::kSpot;
  spot.zone = "us-east-1b";
  EXPECT_FALSE(cloud_->Launch(spot).ok());
  EXPECT_TRUE(http_.requests().empty());
}

// A stopped warm instance lives on (the pool holds it); any other instance
// that stops is on its way out, as before.
TEST_F(Ec2CloudTest, AStoppedWarmInstanceIsNotGoneButAnyOtherStoppedOneIs) {
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(WarmInstanceXml("i-0aa", "running") +
                                                   InstanceXml("i-0bb", "running", "10.0.0.2", "web", ""))));
  EXPECT_EQ(cloud_->Poll().size(), 2u);  // both booted
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(WarmInstanceXml("i-0aa", "stopped") +
                                                   InstanceXml("i-0bb", "stopped", "10.0.0.2", "web", ""))));
  const auto events = cloud_->Poll();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].observation.id.str(), "i-0bb");
  EXPECT_EQ(events[0].observation.event, InstanceEvent::kTerminated);
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(200, DescribeXml(WarmInstanceXml("i-0aa", "stopping"))));
  auto listed = cloud_->Describe();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].running) << "the controller keeps it";
}

TEST_F(Ec2CloudTest, StopAndStartAskEc2ForThatInstance) {
  http_.Push(ScriptedHttp::Answer(200, "<StopInstancesResponse/>"));
  http_.Push(ScriptedHttp::Answer(200, "<StartInstancesResponse/>"));
  ASSERT_TRUE(cloud_->Stop(*InstanceId::Parse("i-0aa")).ok());
  ASSERT_TRUE(cloud_->Start(*InstanceId::Parse("i-0aa")).ok());
  ASSERT_EQ(http_.requests().size(), 2u);
  EXPECT_EQ(Field(FormOf(http_.requests()[0]), "Action"), "StopInstances");
  EXPECT_EQ(Field(FormOf(http_.requests()[0]), "InstanceId.1"), "i-0aa");
  EXPECT_EQ(Field(FormOf(http_.requests()[1]), "Action"), "StartInstances");
  EXPECT_EQ(Field(FormOf(http_.requests()[1]), "InstanceId.1"), "i-0aa");
  http_.ClearScript();
  http_.Push(ScriptedHttp::Answer(400, "<Response><Errors><Error><Code>IncorrectInstanceState</Code><Message>"
                                       "The instance is not in a state from which it can be started."
                                       "</Message></Error></Errors></Response>"));
  const Status refused = cloud_->Start(*InstanceId::Parse("i-0aa"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("starting i-0aa from the warm pool"), std::string::npos) << refused.message();
  const Status not_stopped = cloud_->Stop(*InstanceId::Parse("i-0aa"));
  ASSERT_FALSE(not_stopped.ok());
  EXPECT_NE(not_stopped.message().find("stopping i-0aa into the warm pool"), std::string::npos)
      << not_stopped.message();
}

}  // namespace
}  // namespace shoal::aws
