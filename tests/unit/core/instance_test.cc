#include "core/instance.h"
#include "test_ids.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

namespace shoal {
namespace {

using S = InstanceState;

const std::vector<S> kAllStates = {S::kPending,    S::kProvisioning, S::kInService, S::kDraining,
                                   S::kTerminated, S::kUnhealthy,    S::kInterrupted};

// The diagram in instance.h, written out pair by pair.
const std::set<std::pair<S, S>> kLegal = {
    {S::kPending, S::kProvisioning},     {S::kPending, S::kUnhealthy},
    {S::kPending, S::kInterrupted},      {S::kPending, S::kTerminated},
    {S::kProvisioning, S::kInService},   {S::kProvisioning, S::kUnhealthy},
    {S::kProvisioning, S::kInterrupted}, {S::kProvisioning, S::kTerminated},
    {S::kInService, S::kDraining},       {S::kInService, S::kUnhealthy},
    {S::kInService, S::kInterrupted},    {S::kInService, S::kTerminated},
    {S::kUnhealthy, S::kDraining},       {S::kUnhealthy, S::kTerminated},
    {S::kInterrupted, S::kDraining},     {S::kInterrupted, S::kTerminated},
    {S::kDraining, S::kTerminated},
};

TEST(InstanceStateTest, NamesRoundTrip) {
  const std::vector<std::pair<S, std::string_view>> cases = {
      {S::kPending, "pending"},       {S::kProvisioning, "provisioning"},
      {S::kInService, "in-service"},  {S::kDraining, "draining"},
      {S::kTerminated, "terminated"}, {S::kUnhealthy, "unhealthy"},
      {S::kInterrupted, "interrupted"},
  };
  for (const auto& [state, name] : cases) {
    EXPECT_EQ(ToString(state), name);
    S parsed = S::kTerminated == state ? S::kPending : S::kTerminated;
    ASSERT_TRUE(ParseInstanceState(name, &parsed)) << name;
    EXPECT_EQ(parsed, state) << name;
  }
}

TEST(InstanceStateTest, ParseRejectsUnknownAndLeavesOutput) {
  for (std::string_view bad : {"", "InService", "in_service", "running", "pending "}) {
    S out = S::kDraining;
    EXPECT_FALSE(ParseInstanceState(bad, &out)) << bad;
    EXPECT_EQ(out, S::kDraining) << bad;
  }
}

TEST(InstanceStateTest, MarketNames) {
  EXPECT_EQ(ToString(Market::kOnDemand), "on-demand");
  EXPECT_EQ(ToString(Market::kSpot), "spot");
}

TEST(InstanceStateTest, CountsTowardCapacityOnlyWhileComingOrServing) {
  for (S s : kAllStates) {
    const bool expected = s == S::kPending || s == S::kProvisioning || s == S::kInService;
    EXPECT_EQ(CountsTowardCapacity(s), expected) << ToString(s);
  }
}

TEST(InstanceTransitionTest, FullMatrixMatchesDiagram) {
  int legal = 0;
  for (S from : kAllStates) {
    for (S to : kAllStates) {
      const bool expected = kLegal.count({from, to}) > 0;
      EXPECT_EQ(IsLegalTransition(from, to), expected) << ToString(from) << " -> " << ToString(to);
      legal += IsLegalTransition(from, to) ? 1 : 0;
    }
  }
  EXPECT_EQ(legal, 17);
}

TEST(InstanceTransitionTest, NoStateGoesToItselfAndTerminatedIsFinal) {
  for (S s : kAllStates) {
    EXPECT_FALSE(IsLegalTransition(s, s)) << ToString(s);
    EXPECT_FALSE(IsLegalTransition(S::kTerminated, s)) << ToString(s);
  }
}

Instance MakeInstance(S state) {
  Instance inst;
  inst.id = Id(0x2a);
  inst.state = state;
  inst.launched_at = 100;
  inst.state_since = 150;
  inst.in_service_at = kNever;
  return inst;
}

TEST(InstanceTransitionTest, EveryMatrixPairAppliesOrRefusesAsDiagramSays) {
  for (S from : kAllStates) {
    for (S to : kAllStates) {
      Instance inst = MakeInstance(from);
      const Status s = Transition(inst, to, 500);
      if (kLegal.count({from, to}) > 0) {
        ASSERT_TRUE(s.ok()) << s.message();
        EXPECT_EQ(inst.state, to);
        EXPECT_EQ(inst.state_since, 500);
      } else {
        EXPECT_EQ(s.code(), StatusCode::kIllegalTransition);
        EXPECT_EQ(inst.state, from);
        EXPECT_EQ(inst.state_since, 150);
      }
    }
  }
}

TEST(InstanceTransitionTest, RefusalNamesInstanceAndStatesAndChangesNothing) {
  Instance inst = MakeInstance(S::kDraining);
  inst.in_service_at = 120;
  const Instance before = inst;
  const Status s = Transition(inst, S::kInService, 900);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIllegalTransition);
  EXPECT_EQ(s.message(), "instance i-000000000000002a cannot go from draining to in-service");
  EXPECT_EQ(inst.state, before.state);
  EXPECT_EQ(inst.state_since, before.state_since);
  EXPECT_EQ(inst.in_service_at, before.in_service_at);
}

TEST(InstanceTransitionTest, EnteringServiceStampsInServiceAt) {
  Instance inst = MakeInstance(S::kPending);
  ASSERT_TRUE(Transition(inst, S::kProvisioning, 200).ok());
  EXPECT_EQ(inst.in_service_at, kNever);
  ASSERT_TRUE(Transition(inst, S::kInService, 260).ok());
  EXPECT_EQ(inst.in_service_at, 260);
  EXPECT_EQ(inst.state_since, 260);
  // Leaving service keeps the moment it started serving.
  ASSERT_TRUE(Transition(inst, S::kDraining, 400).ok());
  EXPECT_EQ(inst.in_service_at, 260);
  EXPECT_EQ(inst.state_since, 400);
  ASSERT_TRUE(Transition(inst, S::kTerminated, 430).ok());
  EXPECT_EQ(inst.state, S::kTerminated);
  EXPECT_EQ(inst.launched_at, 100);
}

TEST(InstanceIdTest, CounterIdsAreSixteenLowercaseHexDigitsAndSortLikeTheirNumbers) {
  const std::vector<std::pair<std::uint64_t, std::string>> cases = {
      {0, "i-0000000000000000"},
      {1, "i-0000000000000001"},
      {0xabcdef, "i-0000000000abcdef"},
      {0x0123456789abcdefULL, "i-0123456789abcdef"},
      {~0ULL, "i-ffffffffffffffff"},
  };
  for (const auto& [n, text] : cases) {
    EXPECT_EQ(InstanceId::FromCounter(n).str(), text);
    EXPECT_EQ(InstanceId::FromCounter(n).Counter(), n);
  }
  EXPECT_LT(InstanceId::FromCounter(9), InstanceId::FromCounter(10));
  EXPECT_LT(InstanceId::FromCounter(0xff), InstanceId::FromCounter(0x100));
}

// Ids compare their buffers a word at a time (instance_id.h); the order and
// equality must be those of the texts, including where one is a prefix of
// the other and where they differ only past the first words or in the last
// byte of a 63-character id.
TEST(InstanceIdTest, ComparisonIsThatOfTheTexts) {
  const std::string long_a(63, 'a');
  std::string long_b = long_a;
  long_b.back() = 'b';
  const std::vector<std::string> texts = {
      "a", "ab", "abc", "b", "i-0", "i-00000000", "i-000000000", "i-0000000000000001",
      "i-0000000000000010", "i-0123456789abcdef0", "i-1a2b3c4d", "web-7", "web-7.a", "web-70",
      "vm_12.zone-a", "Z", "0", "9-", long_a, long_b, long_a.substr(0, 62), long_a.substr(0, 56),
      long_a.substr(0, 57) + "b"};
  for (const std::string& x : texts) {
    for (const std::string& y : texts) {
      const auto a = InstanceId::Parse(x);
      const auto b = InstanceId::Parse(y);
      ASSERT_TRUE(a && b) << x << " " << y;
      EXPECT_EQ(*a == *b, x == y) << x << " == " << y;
      EXPECT_EQ(*a <=> *b, x <=> y) << x << " <=> " << y;
    }
  }
}

TEST(InstanceIdTest, AnyCloudsIdsParseAndOnlyCounterFormsHaveACounter) {
  // EC2's 17 digits, its older 8, and names another provider might use.
  for (const char* text : {"i-0123456789abcdef0", "i-1a2b3c4d", "web-7", "vm_12.zone-a"}) {
    const std::optional<InstanceId> id = InstanceId::Parse(text);
    ASSERT_TRUE(id.has_value()) << text;
    EXPECT_EQ(id->str(), text);
  }
  EXPECT_EQ(InstanceId::Parse("i-2A")->Counter(), 42u);
  EXPECT_EQ(InstanceId::Parse("i-0123456789abcdef0")->Counter(), std::nullopt);  // 17 digits
  EXPECT_EQ(InstanceId::Parse("web-7")->Counter(), std::nullopt);
  EXPECT_TRUE(InstanceId().empty());
  EXPECT_FALSE(InstanceId::FromCounter(0).empty());
}

TEST(InstanceIdTest, ParseRefusesWhatCouldNotBeAFileNameOrAServerName) {
  const std::string too_long(InstanceId::kMaxLength + 1, 'a');
  for (std::string bad : {std::string(), std::string("-i"), std::string(".."), std::string("i-2a/.."),
                          std::string("i- 2a"), std::string("i-2a\n"), std::string("i-2a\0", 5),
                          std::string("i-\xc3\xa9"), too_long}) {
    EXPECT_FALSE(InstanceId::Parse(bad).has_value()) << bad;
  }
  EXPECT_TRUE(InstanceId::Parse(std::string(InstanceId::kMaxLength, 'a')).has_value());
}

}  // namespace
}  // namespace shoal
