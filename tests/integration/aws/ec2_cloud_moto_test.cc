// Ec2Cloud against a real moto_server on a free loopback port: spot and
// on-demand launches with their tags, a repeated launch token, Describe,
// Poll, Terminate and the spot price. The instances' addresses are moto's
// inventions: nothing is ever sent to them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>

#include "adapters/aws/client.h"
#include "adapters/aws/ec2_cloud.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"

namespace shoal::aws {
namespace {

class Ec2CloudMotoTest : public testing::MotoClientSuite {
 protected:
  void SetUp() override {
    MotoClientSuite::SetUp();
    if (HasFatalFailure()) return;

    // moto's own images and default subnets (one per zone).
    auto images = client_->Query(Service::kEc2, "DescribeImages", {{"Owner.1", "amazon"}});
    ASSERT_TRUE(images.ok()) << images.status().message();
    const std::string image = images->Root().Text("imagesSet/item/imageId");
    ASSERT_FALSE(image.empty());
    auto subnets = client_->Query(Service::kEc2, "DescribeSubnets", {});
    ASSERT_TRUE(subnets.ok()) << subnets.status().message();
    Ec2LaunchOptions web;
    web.image_id = image;
    for (const XmlNode& s : subnets->Root().All("subnetSet/item")) {
      web.subnets.push_back(s.Text("subnetId"));
      if (s.Text("availabilityZone") == "us-east-1b") subnet_b_ = s.Text("subnetId");
    }
    ASSERT_FALSE(subnet_b_.empty());
    web.user_data = "#!/bin/sh\necho hello\n";
    web.service_port = 8080;
    Ec2CloudOptions options;
    // One owner per test: the suite shares one moto.
    options.owner = std::string("it-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    options.groups["web"] = web;
    options.poll_interval = 0;  // the test polls when it wants a view
    options.on_demand_prices[{"m5.large", "us-east-1"}] = 0.096;
    cloud_ = std::make_unique<Ec2Cloud>(std::move(options), client_.get(), &clock_, &log_);
  }

  static LaunchRequest Spot(const std::string& token) {
    LaunchRequest r;
    r.group = "web";
    r.market = Market::kSpot;
    r.instance_type = "m5.large";
    r.zone = "us-east-1b";
    r.pool = "m5.large-us-east-1b";
    r.bid_usd_per_hour = 0.05;
    r.weight = 2;
    r.launch_token = token;
    return r;
  }
  static LaunchRequest OnDemand(const std::string& token) {
    LaunchRequest r;
    r.group = "web";
    r.instance_type = "m5.large";
    r.launch_token = token;
    return r;
  }

  // What moto itself says of an instance: its private IP and subnet.
  std::pair<std::string, std::string> MotoView(InstanceId id) {
    auto doc = client_->Query(Service::kEc2, "DescribeInstances", {{"InstanceId.1", id.str()}});
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    if (!doc.ok()) return {};
    const XmlNode item = doc->Root().Find("reservationSet/item/instancesSet/item");
    return {item.Text("privateIpAddress"), item.Text("subnetId")};
  }

  const DescribedInstance* Find(const std::vector<DescribedInstance>& all, InstanceId id) {
    const auto it = std::find_if(all.begin(), all.end(), [&](const DescribedInstance& d) { return d.id == id; });
    return it == all.end() ? nullptr : &*it;
  }

  std::unique_ptr<Ec2Cloud> cloud_;
  std::string subnet_b_;
};

TEST_F(Ec2CloudMotoTest, LaunchesSpotAndOnDemandThatDescribeFindsByTag) {
  auto spot = cloud_->Launch(Spot("tok-spot"));
  ASSERT_TRUE(spot.ok()) << spot.status().message();
  auto on_demand = cloud_->Launch(OnDemand("tok-od"));
  ASSERT_TRUE(on_demand.ok()) << on_demand.status().message();

  const auto [spot_ip, spot_subnet] = MotoView(spot->id);
  EXPECT_FALSE(spot_ip.empty());
  EXPECT_EQ(spot->address, (InstanceAddress{spot_ip, 8080}));
  EXPECT_EQ(spot_subnet, subnet_b_);
  EXPECT_EQ(on_demand->address, (InstanceAddress{MotoView(on_demand->id).first, 8080}));

  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  ASSERT_EQ(described->size(), 2u);
  const DescribedInstance* s = Find(*described, spot->id);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->group, "web");
  EXPECT_EQ(s->market, Market::kSpot);
  EXPECT_EQ(s->pool, "m5.large-us-east-1b");
  EXPECT_EQ(s->launch_token, "tok-spot");
  EXPECT_EQ(s->instance_type, "m5.large");
  EXPECT_EQ(s->zone, "us-east-1b");
  EXPECT_EQ(s->weight, 2);
  EXPECT_EQ(s->address, spot->address);
  EXPECT_GT(s->launched_at, 0);
  EXPECT_TRUE(s->running);
  const DescribedInstance* o = Find(*described, on_demand->id);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->market, Market::kOnDemand);
  EXPECT_EQ(o->pool, "");
  EXPECT_EQ(o->launch_token, "tok-od");
}

TEST_F(Ec2CloudMotoTest, ASecondLaunchWithTheSameTokenReturnsTheSameInstance) {
  auto first = cloud_->Launch(Spot("tok-again"));
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = cloud_->Launch(Spot("tok-again"));
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->address, first->address);
  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  EXPECT_EQ(described->size(), 1u);
}

TEST_F(Ec2CloudMotoTest, TerminatedInstancesLeaveDescribeAndPollReportsThem) {
  auto launched = cloud_->Launch(OnDemand("tok-term"));
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  const auto booted = cloud_->Poll();
  ASSERT_EQ(booted.size(), 1u);
  EXPECT_EQ(booted[0].group, "web");
  EXPECT_EQ(booted[0].observation.id, launched->id);
  EXPECT_EQ(booted[0].observation.event, InstanceEvent::kBooted);

  ASSERT_TRUE(cloud_->Terminate(launched->id).ok());
  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  const DescribedInstance* d = Find(*described, launched->id);
  EXPECT_TRUE(d == nullptr || !d->running);
  const auto gone = cloud_->Poll();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].observation.id, launched->id);
  EXPECT_EQ(gone[0].observation.event, InstanceEvent::kTerminated);
  EXPECT_TRUE(cloud_->Poll().empty());
  // Again, and an instance that never was: both fine.
  EXPECT_TRUE(cloud_->Terminate(launched->id).ok());
  EXPECT_TRUE(cloud_->Terminate(*InstanceId::Parse("i-0123456789abcdef0")).ok());
}

// The warm pool on EC2: a warm launch is stopped (StopInstances) and
// started again (StartInstances); while stopped it stays in Describe as
// running for the controller and Poll does not report it gone. A repeated
// Stop or Start is answered, not refused; the same launch token finds the
// stopped instance instead of making another.
TEST_F(Ec2CloudMotoTest, AWarmInstanceStopsAndStartsAndLivesOnWhileStopped) {
  Ec2CloudOptions options;
  options.owner = std::string("it-warm-") + std::to_string(getpid());
  Ec2LaunchOptions web;
  {
    auto images = client_->Query(Service::kEc2, "DescribeImages", {{"Owner.1", "amazon"}});
    ASSERT_TRUE(images.ok()) << images.status().message();
    web.image_id = images->Root().Text("imagesSet/item/imageId");
  }
  web.service_port = 8080;
  web.agent = AgentBootstrap{"http://10.0.0.5:7400", "/usr/local/bin/shoal", "", ""};
  options.groups["web"] = web;
  options.poll_interval = 0;
  options.agent_credential = [](const std::string&) { return std::string(64, 'c'); };
  cloud_ = std::make_unique<Ec2Cloud>(std::move(options), client_.get(), &clock_, &log_);
  LaunchRequest warm = OnDemand("tok-warm");
  warm.warm = true;
  auto launched = cloud_->Launch(warm);
  ASSERT_TRUE(launched.ok()) << launched.status().message();
  ASSERT_EQ(cloud_->Poll().size(), 1u);  // booted
  auto state = [&] {
    auto doc = client_->Query(Service::kEc2, "DescribeInstances", {{"InstanceId.1", launched->id.str()}});
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    return doc.ok() ? doc->Root().Text("reservationSet/item/instancesSet/item/instanceState/name") : "";
  };
  EXPECT_EQ(state(), "running");

  ASSERT_TRUE(cloud_->Stop(launched->id).ok());
  EXPECT_EQ(state(), "stopped");
  EXPECT_TRUE(cloud_->Stop(launched->id).ok()) << "asked again";
  EXPECT_TRUE(cloud_->Poll().empty()) << "a stopped warm instance is not gone";
  auto described = cloud_->Describe();
  ASSERT_TRUE(described.ok()) << described.status().message();
  const DescribedInstance* d = Find(*described, launched->id);
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->running);
  auto again = cloud_->Launch(warm);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->id, launched->id) << "the token finds the stopped instance";

  ASSERT_TRUE(cloud_->Start(launched->id).ok());
  EXPECT_EQ(state(), "running");
  EXPECT_TRUE(cloud_->Start(launched->id).ok()) << "asked again";
  EXPECT_TRUE(cloud_->Poll().empty());
  ASSERT_TRUE(cloud_->Terminate(launched->id).ok());
  const auto gone = cloud_->Poll();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].observation.event, InstanceEvent::kTerminated);
}

TEST_F(Ec2CloudMotoTest, PoolReadsTheSpotPriceOfItsZone) {
  const PoolObservation p = cloud_->Pool("m5.large", "us-east-1b");
  EXPECT_GT(p.price, 0);
  EXPECT_LT(p.price, 0.096);  // moto's price, not the on-demand fallback
  EXPECT_EQ(p.on_demand_price, 0.096);
}

}  // namespace
}  // namespace shoal::aws
