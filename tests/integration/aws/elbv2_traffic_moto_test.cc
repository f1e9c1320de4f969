// Elbv2Traffic against a real moto_server on a free loopback port: a
// target group made through the client itself, instances launched in moto,
// register / poll / drain / deregister, and what DescribeTargetHealth shows
// after each. moto's health is not checked against anything: a registered
// target of a running instance is `healthy` at once, of a stopped one
// `unused` (Target.InvalidState); nothing is ever sent to the instances'
// made-up addresses.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/aws/client.h"
#include "adapters/aws/elbv2_traffic.h"
#include "adapters/aws/elbv2_wire.h"
#include "adapters/system/system_clock.h"
#include "aws_support.h"

namespace shoal::aws {
namespace {

class Elbv2TrafficMotoTest : public testing::MotoClientSuite {
 protected:
  void SetUp() override {
    MotoClientSuite::SetUp();
    if (HasFatalFailure()) return;

    auto vpcs = client_->Query(Service::kEc2, "DescribeVpcs", {});
    ASSERT_TRUE(vpcs.ok()) << vpcs.status().message();
    const std::string vpc = vpcs->Root().Text("vpcSet/item/vpcId");
    ASSERT_FALSE(vpc.empty());
    // One target group per test: the suite shares one moto.
    tg_name_ = std::string("tg-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    tg_name_.resize(std::min<std::size_t>(tg_name_.size(), 32));  // ELB's limit on names
    auto tg = client_->Query(Service::kElbv2, "CreateTargetGroup",
                             {{"Name", tg_name_}, {"Protocol", "HTTP"}, {"Port", "80"}, {"VpcId", vpc},
                              {"TargetType", "instance"}});
    ASSERT_TRUE(tg.ok()) << tg.status().message();
    tg_arn_ = tg->Root().Text("CreateTargetGroupResult/TargetGroups/member/TargetGroupArn");
    ASSERT_TRUE(IsTargetGroupArn(tg_arn_)) << tg_arn_;

    Elbv2TrafficOptions options;
    options.groups["web"] = {tg_name_, 30};  // by name: looked up through DescribeTargetGroups
    options.poll_interval = 0;               // every Poll asks: the test drives the pace
    traffic_ = std::make_unique<Elbv2Traffic>(std::move(options), client_.get(), &clock_, &log_);
  }

  InstanceId RunInstance() {
    auto images = client_->Query(Service::kEc2, "DescribeImages", {{"Owner.1", "amazon"}});
    EXPECT_TRUE(images.ok()) << images.status().message();
    if (!images.ok()) return {};
    auto run = client_->Query(Service::kEc2, "RunInstances",
                              {{"ImageId", images->Root().Text("imagesSet/item/imageId")},
                               {"InstanceType", "t3.micro"},
                               {"MinCount", "1"},
                               {"MaxCount", "1"}},
                              1);
    EXPECT_TRUE(run.ok()) << run.status().message();
    if (!run.ok()) return {};
    return InstanceId::Parse(run->Root().Text("instancesSet/item/instanceId")).value_or(InstanceId());
  }

  Status Ec2(const std::string& action, InstanceId id) {
    auto doc = client_->Query(Service::kEc2, action, {{"InstanceId.1", id.str()}}, 1);
    return doc.ok() ? Status::Ok() : doc.status();
  }

  // What moto's DescribeTargetHealth shows for the target group.
  std::vector<Elbv2TargetHealth> Listed() {
    auto doc = client_->Query(Service::kElbv2, "DescribeTargetHealth", {{"TargetGroupArn", tg_arn_}});
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    return doc.ok() ? ParseTargetHealth(doc->Root()) : std::vector<Elbv2TargetHealth>{};
  }

  std::string Attribute(const std::string& key) {
    auto doc = client_->Query(Service::kElbv2, "DescribeTargetGroupAttributes", {{"TargetGroupArn", tg_arn_}});
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    if (!doc.ok()) return "";
    for (const XmlNode& a : doc->Root().All("DescribeTargetGroupAttributesResult/Attributes/member")) {
      if (a.Text("Key") == key) return a.Text("Value");
    }
    return "<none>";
  }

  static InstanceAddress Address() { return {"10.0.0.1", 8080}; }  // moto's kind of address: never contacted

  std::unique_ptr<Elbv2Traffic> traffic_;
  std::string tg_name_;
  std::string tg_arn_;
};

TEST_F(Elbv2TrafficMotoTest, RegisterPollDrainAndDeregisterAnInstance) {
  const InstanceId id = RunInstance();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(traffic_->Register("web", id, Address()).ok());
  ASSERT_TRUE(traffic_->Register("web", id, Address()).ok());  // idempotent
  auto arn = traffic_->TargetGroupArn("web");
  ASSERT_TRUE(arn.ok()) << arn.status().message();
  EXPECT_EQ(*arn, tg_arn_);
  EXPECT_EQ(Attribute("deregistration_delay.timeout_seconds"), "30");
  auto listed = Listed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, id.str());
  EXPECT_EQ(listed[0].port, 8080);
  EXPECT_EQ(listed[0].state, "healthy");

  auto healthy = traffic_->Poll();
  ASSERT_EQ(healthy.size(), 1u);
  EXPECT_EQ(healthy[0].group, "web");
  EXPECT_EQ(healthy[0].observation.id, id);
  EXPECT_EQ(healthy[0].observation.event, InstanceEvent::kHealthy);
  EXPECT_TRUE(traffic_->Poll().empty());

  ASSERT_TRUE(traffic_->Drain("web", id).ok());
  EXPECT_TRUE(Listed().empty());  // moto drops it at once: no `draining` phase
  auto drained = traffic_->Poll();
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0].observation.event, InstanceEvent::kDrained);
  EXPECT_TRUE(traffic_->Poll().empty());

  // Gone already, and again: both fine.
  EXPECT_TRUE(traffic_->Deregister("web", id).ok());
  EXPECT_TRUE(traffic_->Deregister("web", id).ok());
}

TEST_F(Elbv2TrafficMotoTest, DeregisterTakesARegisteredInstanceOutAndIsSafeToRepeat) {
  const InstanceId id = RunInstance();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(traffic_->Register("web", id, Address()).ok());
  ASSERT_EQ(Listed().size(), 1u);
  ASSERT_TRUE(traffic_->Deregister("web", id).ok());
  EXPECT_TRUE(Listed().empty());
  // moto answers InvalidTarget to a second DeregisterTargets; the adapter
  // no longer knows the target, finds it nowhere and is done.
  auto again = client_->Query(Service::kElbv2, "DeregisterTargets",
                              TargetsParams(tg_arn_, {{id.str(), 8080}}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
  EXPECT_NE(again.status().message().find("InvalidTarget"), std::string::npos);
  EXPECT_TRUE(traffic_->Deregister("web", id).ok());
  EXPECT_TRUE(traffic_->Poll().empty());
}

TEST_F(Elbv2TrafficMotoTest, AStoppedInstanceTurnsUnhealthyWithElbsReason) {
  const InstanceId id = RunInstance();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(traffic_->Register("web", id, Address()).ok());
  ASSERT_EQ(traffic_->Poll().size(), 1u);
  ASSERT_TRUE(Ec2("StopInstances", id).ok());
  auto listed = Listed();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].state, "unused");
  auto unhealthy = traffic_->Poll();
  ASSERT_EQ(unhealthy.size(), 1u);
  EXPECT_EQ(unhealthy[0].observation.event, InstanceEvent::kUnhealthy);
  EXPECT_NE(unhealthy[0].observation.reason.find("Target.InvalidState"), std::string::npos)
      << unhealthy[0].observation.reason;
  EXPECT_TRUE(traffic_->Poll().empty());
}

TEST_F(Elbv2TrafficMotoTest, AStoppedInstanceCannotBeRegisteredYetTheRefusalIsRetryable) {
  const InstanceId id = RunInstance();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(Ec2("StopInstances", id).ok());
  const Status s = traffic_->Register("web", id, Address());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("not in a running state"), std::string::npos) << s.message();
  EXPECT_TRUE(Listed().empty());
}

TEST_F(Elbv2TrafficMotoTest, ATerminatedInstanceLeavesTheTargetGroupAndIsReportedUnhealthy) {
  const InstanceId id = RunInstance();
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(traffic_->Register("web", id, Address()).ok());
  ASSERT_EQ(traffic_->Poll().size(), 1u);
  ASSERT_TRUE(Ec2("TerminateInstances", id).ok());
  EXPECT_TRUE(Listed().empty());
  auto gone = traffic_->Poll();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].observation.event, InstanceEvent::kUnhealthy);
  EXPECT_EQ(gone[0].observation.reason, "is no longer registered in its ELB target group");
}

TEST_F(Elbv2TrafficMotoTest, ATargetGroupThatDoesNotExistIsNotFound) {
  Elbv2TrafficOptions options;
  options.groups["web"] = {"no-such-tg", 30};
  Elbv2Traffic traffic(std::move(options), client_.get(), &clock_, &log_);
  const Status s = traffic.Register("web", *InstanceId::Parse("i-0123456789abcdef0"), Address());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("no-such-tg"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace shoal::aws
