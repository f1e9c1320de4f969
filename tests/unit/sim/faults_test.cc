// The fault injector answers as the cloud it stands for: a launch token the
// cloud has made an instance for is answered with that instance or a
// transient error, never a definitive refusal (EC2's ClientToken contract).
#include "adapters/sim/faults.h"
#include "test_ids.h"

#include <gtest/gtest.h>

namespace shoal {
namespace {

class FixedClock final : public Clock {
 public:
  Seconds Now() const override { return 100; }
};

// A cloud that makes one instance per token and answers replays with it.
class TokenCloud final : public Cloud {
 public:
  Result<LaunchedInstance> Launch(const LaunchRequest& r) override {
    auto [it, fresh] = by_token_.emplace(r.launch_token, Id(by_token_.size() + 1));
    return LaunchedInstance{it->second, {}};
  }
  Status Terminate(InstanceId) override { return Status::Ok(); }
  Status Stop(InstanceId) override { return Status::Ok(); }
  Status Start(InstanceId) override { return Status::Ok(); }
  std::vector<GroupInstanceEvent> Poll() override { return {}; }
  PoolObservation Pool(const std::string&, const std::string&) override { return {}; }
  double OnDemandPrice(const std::string&) override { return 0; }
  Result<std::vector<DescribedInstance>> Describe() override { return std::vector<DescribedInstance>{}; }

 private:
  std::map<std::string, InstanceId> by_token_;
};

LaunchRequest Spot(const std::string& token) {
  LaunchRequest r;
  r.group = "web";
  r.market = Market::kSpot;
  r.pool = "a";
  r.launch_token = token;
  return r;
}

TEST(FaultyCloud, AReplayedTokenThatMadeAnInstanceFailsOnlyTransiently) {
  FixedClock clock;
  TokenCloud inner;
  LaunchLedger ledger;
  FaultSpec lose;
  lose.launch_lost = 1;  // made, answer lost
  FaultInjector losing(lose, 1, &clock);
  FaultyCloud first(&inner, &losing, &ledger);
  ASSERT_EQ(first.Launch(Spot("web-1-0")).status().code(), StatusCode::kUnavailable);

  FaultSpec fail;
  fail.launch_error = 1;  // every call fails
  FaultInjector failing(fail, 2, &clock);
  FaultyCloud again(&inner, &failing, &ledger);
  std::map<StatusCode, int> replayed, fresh;
  for (int i = 0; i < 300; ++i) {
    ++replayed[again.Launch(Spot("web-1-0")).status().code()];
    ++fresh[again.Launch(Spot("web-2-" + std::to_string(i))).status().code()];
  }
  for (const auto& [code, n] : replayed) {
    EXPECT_TRUE(IsRetryable(code)) << ToString(code) << " x" << n;
  }
  EXPECT_GT(replayed[StatusCode::kUnavailable], 0);
  EXPECT_GT(replayed[StatusCode::kThrottled], 0);
  // A token the cloud never made anything for may still be refused outright.
  EXPECT_GT(fresh[StatusCode::kInsufficientCapacity] + fresh[StatusCode::kPermissionDenied] +
                fresh[StatusCode::kInvalidArgument] + fresh[StatusCode::kLimitExceeded],
            0);
}

}  // namespace
}  // namespace shoal
