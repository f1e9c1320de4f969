// Recording the outcome of calls to the outside: pending launches, retries
// with backoff, conditions, confirmations.
#include <gtest/gtest.h>

#include <set>

#include "core/decide.h"
#include "decide_test_util.h"
#include "test_ids.h"

namespace shoal {
namespace {

using testing::CountActions;
using testing::Driver;
using testing::Obs;
using testing::SpotGroup;

TEST(RetryDelay, DoublesFromFiveSecondsToFiveMinutesWithBoundedJitter) {
  for (int attempt = 1; attempt <= 12; ++attempt) {
    Seconds cap = 5;
    for (int i = 1; i < attempt && cap < 300; ++i) cap *= 2;
    cap = std::min<Seconds>(cap, 300);
    std::set<Seconds> seen;
    for (int salt = 0; salt < 200; ++salt) {
      const Seconds d = RetryDelay(attempt, "i-" + std::to_string(salt));
      EXPECT_GE(d, cap / 2) << attempt;
      EXPECT_LE(d, cap) << attempt;
      seen.insert(d);
    }
    if (cap >= 10) {
      EXPECT_GT(seen.size(), 3u) << "jitter spreads instances out, attempt " << attempt;
    }
  }
  EXPECT_EQ(RetryDelay(3, "x"), RetryDelay(3, "x")) << "deterministic";
}

TEST(LaunchToken, NamesGroupDecisionAndSlotWithinSixtyFourCharacters) {
  EXPECT_EQ(LaunchToken("web", 12, 3), "web-12-3");
  const std::string long_name(63, 'a');
  const std::string t = LaunchToken(long_name, 9223372036854775807LL, 999);
  EXPECT_LE(t.size(), 64u);
  EXPECT_NE(LaunchToken(long_name, 1, 0), LaunchToken(std::string(62, 'a') + "b", 1, 0))
      << "long names differ by their hash";
}

TEST(RecordLaunchOutcome, AnUnknownOutcomeKeepsThePendingLaunchUntilItGivesUp) {
  GroupSpec g = SpotGroup();
  GroupState s = InitialState(g);
  Plan p = Decide(g, s, Obs(g, false), 0);
  ASSERT_EQ(s.launches.size(), 2u);
  const std::string token = s.launches[0].token;
  std::vector<Activity> acts;
  Seconds now = 0;
  for (int attempt = 1; attempt < kMaxLaunchAttempts; ++attempt) {
    EXPECT_FALSE(RecordLaunchOutcome(g, s, token, Status::Unavailable("timeout"), 0, now, &acts));
    ASSERT_NE(s.FindLaunch(token), nullptr) << attempt;
    EXPECT_EQ(s.FindLaunch(token)->retry.attempts, attempt);
    now = s.FindLaunch(token)->retry.next_at;
  }
  EXPECT_TRUE(acts.empty());
  RecordLaunchOutcome(g, s, token, Status::Unavailable("timeout"), 0, now, &acts);
  EXPECT_EQ(s.FindLaunch(token), nullptr) << "given up";
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0].kind, ActivityKind::kLaunchFailed);
  EXPECT_NE(acts[0].cause.find("given up"), std::string::npos);
  ASSERT_EQ(s.conditions.size(), 1u) << "a retryable error that keeps failing shows as a condition";
}

TEST(RecordLaunchOutcome, ASpotCapacityErrorDropsTheLaunchAndAvoidsThePool) {
  GroupSpec g = SpotGroup();
  GroupState s = InitialState(g);
  Decide(g, s, Obs(g, false), 0);
  const PendingLaunch spot = *std::find_if(s.launches.begin(), s.launches.end(),
                                           [](const PendingLaunch& l) { return l.market == Market::kSpot; });
  EXPECT_TRUE(RecordLaunchOutcome(g, s, spot.token, Status::InsufficientCapacity("none"), 0, 10, nullptr));
  EXPECT_EQ(s.FindLaunch(spot.token), nullptr);
  EXPECT_EQ(s.pool_avoid_until[spot.pool], 10 + g.spot.avoid_pool_after_capacity_error);
}

TEST(RecordLaunchOutcome, SuccessTurnsThePendingLaunchIntoAnInstanceWithItsToken) {
  GroupSpec g = SpotGroup();
  GroupState s = InitialState(g);
  Decide(g, s, Obs(g, false), 0);
  const PendingLaunch first = s.launches[0];
  RecordLaunchOutcome(g, s, first.token, LaunchedInstance{Id(42), {"10.0.0.42", 80}}, 0, 3, nullptr);
  const Instance* in = s.Find(Id(42));
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(in->launch_token, first.token);
  EXPECT_EQ(in->address.ToString(), "10.0.0.42:80");
  EXPECT_EQ(in->market, first.market);
  EXPECT_EQ(in->state, InstanceState::kPending);
  EXPECT_FALSE(in->registered);
  EXPECT_EQ(s.FindLaunch(first.token), nullptr);
  // The cloud answering a retried token with the same instance adds nothing.
  s.launches.push_back(first);
  RecordLaunchOutcome(g, s, first.token, LaunchedInstance{Id(42), {"10.0.0.42", 80}}, 0, 4, nullptr);
  EXPECT_EQ(s.instances.size(), 1u);
}

TEST(Decide, PendingLaunchesCountSoNothingIsLaunchedTwice) {
  GroupSpec g = SpotGroup();
  GroupState s = InitialState(g);
  Plan first = Decide(g, s, Obs(g, false), 0);
  EXPECT_EQ(CountActions(first, ActionKind::kLaunch), 2);
  for (const PendingLaunch& p : std::vector<PendingLaunch>(s.launches)) {
    RecordLaunchOutcome(g, s, p.token, Status::Unavailable("timeout"), 0, 0, nullptr);
  }
  Plan again = Decide(g, s, Obs(g, false), 1);
  EXPECT_EQ(CountActions(again, ActionKind::kLaunch), 0) << "waiting for the retries, not launching more";
  Plan later = Decide(g, s, Obs(g, false), 300);
  EXPECT_EQ(CountActions(later, ActionKind::kLaunch), 2);
  for (const Action& a : later.actions) {
    if (a.kind == ActionKind::kLaunch) {
      EXPECT_NE(s.FindLaunch(a.token), nullptr) << "a retry, same token";
    }
  }
}

TEST(Decide, ATerminatedInstanceStaysTerminatingUntilConfirmed) {
  Driver d(SpotGroup());
  d.Step(0);
  d.AllHealthy(10);
  d.spec().min = 0;
  d.state().desired = 1;
  // Scale-in drains one; once drained it is terminated.
  d.Step(20);
  InstanceId leaving = Id(0);
  for (const Instance& in : d.state().instances) {
    if (in.state == InstanceState::kDraining) leaving = in.id;
  }
  ASSERT_FALSE(leaving.empty());
  ASSERT_TRUE(d.Observe(leaving, InstanceEvent::kDrained, 25).ok());
  GroupState& s = d.state();
  Plan p = Decide(d.spec(), s, Obs(d.spec(), false), 26);
  ASSERT_EQ(CountActions(p, ActionKind::kTerminate), 1);
  ASSERT_NE(s.Find(leaving), nullptr);
  EXPECT_EQ(s.Find(leaving)->state, InstanceState::kTerminating);
  // The call failed: it comes back after its backoff, not before.
  Action term;
  term.kind = ActionKind::kTerminate;
  term.instance = leaving;
  RecordOutcome(s, term, Status::Unavailable("timeout"), 26);
  const Seconds retry_at = s.Find(leaving)->retry.next_at;
  EXPECT_EQ(CountActions(Decide(d.spec(), s, Obs(d.spec(), false), retry_at - 1), ActionKind::kTerminate), 0);
  EXPECT_EQ(CountActions(Decide(d.spec(), s, Obs(d.spec(), false), retry_at), ActionKind::kTerminate), 1);
  RecordOutcome(s, term, Status::Ok(), retry_at);
  EXPECT_TRUE(s.Find(leaving)->terminate_requested);
  EXPECT_EQ(CountActions(Decide(d.spec(), s, Obs(d.spec(), false), retry_at + 10), ActionKind::kTerminate), 0);
  // Unconfirmed for too long: asked again.
  EXPECT_EQ(CountActions(Decide(d.spec(), s, Obs(d.spec(), false), retry_at + kTerminateConfirmTimeout),
                         ActionKind::kTerminate),
            1);
  ASSERT_TRUE(d.Observe(leaving, InstanceEvent::kTerminated, retry_at + 301).ok());
  EXPECT_EQ(s.Find(leaving), nullptr);
}

TEST(Decide, ATerminatingInstanceDoesNotCountTowardCapacity) {
  Driver d(SpotGroup());
  d.Step(0);
  d.AllHealthy(10);
  const InstanceId victim = d.Ids()[0];
  ASSERT_TRUE(d.Observe(victim, InstanceEvent::kUnhealthy, 20).ok());
  GroupState& s = d.state();
  Plan p = Decide(d.spec(), s, Obs(d.spec(), false), 21);
  EXPECT_EQ(s.Find(victim)->state, InstanceState::kTerminating);
  EXPECT_EQ(CountActions(p, ActionKind::kLaunch), 1) << "replaced at once, not after the cloud confirms";
}

TEST(Conditions, ANonRetryableErrorSetsOneAndSuccessClearsIt) {
  GroupState s;
  SetCondition(s, "LaunchFailing", Status::LimitExceeded("instance quota reached"), 10);
  SetCondition(s, "LaunchFailing", Status::LimitExceeded("still"), 20);
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0].since, 10);
  EXPECT_EQ(s.conditions[0].last_seen, 20);
  EXPECT_EQ(s.conditions[0].count, 2);
  EXPECT_EQ(s.conditions[0].message, "still");
  ClearCondition(s, "LaunchFailing");
  EXPECT_TRUE(s.conditions.empty());
}

TEST(Conditions, ACallsConditionEndsWhenNoInstanceRetriesItEvenWithoutASuccess) {
  Driver d(SpotGroup());
  d.Step(0);
  d.AllHealthy(10);
  const InstanceId victim = d.Ids()[0];
  ASSERT_TRUE(d.Observe(victim, InstanceEvent::kUnhealthy, 20).ok());
  GroupState& s = d.state();
  Decide(d.spec(), s, Obs(d.spec(), false), 21);
  ASSERT_EQ(s.Find(victim)->state, InstanceState::kTerminating);
  Action term;
  term.kind = ActionKind::kTerminate;
  term.instance = victim;
  Seconds now = 21;
  for (int i = 0; i < 3; ++i) {  // throttled three times in a row: the condition shows
    RecordOutcome(s, term, Status::Throttled("Request limit exceeded"), now);
    now = s.Find(victim)->retry.next_at;
  }
  ASSERT_EQ(s.conditions.size(), 1u);
  EXPECT_EQ(s.conditions[0].type, "TerminateFailing");
  Decide(d.spec(), s, Obs(d.spec(), false), now - 1);
  EXPECT_EQ(s.conditions.size(), 1u) << "still retrying";
  // The cloud confirms it gone (a listing, a spot interruption): no call
  // succeeded, but none is failing any more.
  ASSERT_TRUE(d.Observe(victim, InstanceEvent::kTerminated, now).ok());
  Decide(d.spec(), s, Obs(d.spec(), false), now + 1);
  EXPECT_TRUE(s.conditions.empty());
}

TEST(AdoptInstance, AnInstanceCarryingAPendingTokenBecomesThatLaunch) {
  GroupSpec g = SpotGroup();
  GroupState s = InitialState(g);
  Decide(g, s, Obs(g, false), 0);
  const PendingLaunch p = s.launches[1];
  Instance described;
  described.id = Id(7);
  described.launch_token = p.token;
  AdoptInstance(s, described, 50);
  EXPECT_EQ(s.FindLaunch(p.token), nullptr);
  ASSERT_NE(s.Find(Id(7)), nullptr);
  EXPECT_EQ(s.Find(Id(7))->pool, p.pool);
  EXPECT_EQ(s.Find(Id(7))->market, p.market);
  EXPECT_EQ(s.launches.size(), 1u);
}

}  // namespace
}  // namespace shoal
