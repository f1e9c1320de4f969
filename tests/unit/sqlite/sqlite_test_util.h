// A group spec and a state that sets every persisted field to a non-default
// value, and a field-by-field comparison, for the codec and store tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/decide.h"
#include "core/group.h"
#include "test_ids.h"

namespace shoal::sqlite_testing {

inline GroupSpec RichSpec() {
  GroupSpec g;
  g.name = "web";
  g.min = 1;
  g.max = 50;
  g.desired = 2;
  for (const char* zone : {"us-east-1a", "us-east-1b"}) {
    PoolSpec p;
    p.name = std::string("m4.large/") + zone;
    p.instance_type = "m4.large";
    p.zone = zone;
    g.capacity.spot_pools.push_back(p);
  }
  AlarmSpec high;
  high.name = "cpu-high";
  AlarmSpec low;
  low.name = "cpu-low";
  g.alarms = {high, low};
  PolicySpec out;
  out.name = "out";
  out.alarm = "cpu-high";
  PolicySpec in;
  in.name = "in";
  in.alarm = "cpu-low";
  g.policies = {out, in};
  return g;
}

inline Instance MakeInstance(InstanceId id, Market market, int pool, InstanceState state) {
  Instance in;
  in.id = id;
  in.group = 1;
  in.market = market;
  in.pool = pool;
  in.weight = 1.75;
  in.state = state;
  in.launched_at = 100 + static_cast<Seconds>(id.Counter().value_or(0) % 1000);
  in.state_since = 200;
  in.in_service_at = 250;
  in.notice_deadline = 9'000'000'000;  // beyond 32 bits
  in.rebalance_recommended_at = 8'000'000'000;
  in.notice_bumped = true;
  in.version = 7;
  in.scale_in_protected = true;
  in.replaces = Id(0xABCDEF0123456789);
  in.simple_activity = true;
  in.drained = true;
  in.launch_token = "web-" + id.str() + "-0";
  in.registered = true;
  in.drain_requested = state == InstanceState::kDraining;
  in.terminate_requested = false;
  in.address = {"10.0.0.7", 8080};
  in.retry = {2, 345};
  return in;
}

inline GroupState RichState(const GroupSpec& spec) {
  GroupState s = InitialState(spec);
  s.desired = 7;
  s.instances = {
      MakeInstance(Id(0x10), Market::kOnDemand, kOnDemandPool, InstanceState::kInService),
      MakeInstance(Id(0x22), Market::kSpot, 1, InstanceState::kInterrupted),
      MakeInstance(Id(0xFFFFFFFFFFFFFFFF), Market::kSpot, 0, InstanceState::kDraining),
  };
  s.instances[0].replaces = {};  // "no replacement" is written as null
  s.instances[0].notice_deadline = kNever;
  s.instances[0].rebalance_recommended_at = kNever;  // not at risk
  s.instances[0].notice_bumped = false;
  s.instances[1].address = {};  // not known yet: written as null
  s.alarm_states = {AlarmState::kAlarm, AlarmState::kOk};
  s.tt_high_states = {AlarmState::kOk, AlarmState::kAlarm};
  s.tt_low_states = {AlarmState::kAlarm, AlarmState::kInsufficientData};
  s.tt_last_scale_in = {kNever, 1234};
  s.simple_activity_open = true;
  s.simple_activity_started = 600;
  s.simple_cooldown = 300;
  s.simple_cooldown_until = 1500;
  s.pool_avoid_until = {0, 4200};
  s.last_evaluated_minute = 77;
  s.forecast_raise = {3, 70};
  s.replace_causes = {"spot notice on i-22 \"quoted\"", "unhealthy: provisioning failed ✓"};
  s.failed_launches = 2;
  s.launch_backoff_until = 777;
  s.launch_decisions = 41;
  s.launch_retry = {3, 888};
  PendingLaunch p;
  p.token = "web-41-1";
  p.market = Market::kSpot;
  p.pool = 1;
  p.weight = 2.5;
  p.replaces = Id(0x10);
  p.simple_activity = true;
  p.planned_at = 640;
  p.retry = {1, 650};
  p.last_error = StatusCode::kUnavailable;
  s.launches = {p};
  s.conditions = {{"LaunchFailing", StatusCode::kPermissionDenied, "not allowed: ec2:RunInstances", 600, 700, 4}};
  return s;
}

inline void ExpectSameInstance(const Instance& a, const Instance& b) {
  SCOPED_TRACE(a.id.str());
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.market, b.market);
  EXPECT_EQ(a.pool, b.pool);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.launched_at, b.launched_at);
  EXPECT_EQ(a.state_since, b.state_since);
  EXPECT_EQ(a.in_service_at, b.in_service_at);
  EXPECT_EQ(a.notice_deadline, b.notice_deadline);
  EXPECT_EQ(a.rebalance_recommended_at, b.rebalance_recommended_at);
  EXPECT_EQ(a.notice_bumped, b.notice_bumped);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.scale_in_protected, b.scale_in_protected);
  EXPECT_EQ(a.replaces, b.replaces);
  EXPECT_EQ(a.simple_activity, b.simple_activity);
  EXPECT_EQ(a.drained, b.drained);
  EXPECT_EQ(a.launch_token, b.launch_token);
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.registered, b.registered);
  EXPECT_EQ(a.drain_requested, b.drain_requested);
  EXPECT_EQ(a.terminate_requested, b.terminate_requested);
  EXPECT_EQ(a.retry.attempts, b.retry.attempts);
  EXPECT_EQ(a.retry.next_at, b.retry.next_at);
}

inline void ExpectSameLaunch(const PendingLaunch& a, const PendingLaunch& b) {
  SCOPED_TRACE(a.token);
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.market, b.market);
  EXPECT_EQ(a.pool, b.pool);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.replaces, b.replaces);
  EXPECT_EQ(a.simple_activity, b.simple_activity);
  EXPECT_EQ(a.planned_at, b.planned_at);
  EXPECT_EQ(a.retry.attempts, b.retry.attempts);
  EXPECT_EQ(a.retry.next_at, b.retry.next_at);
  EXPECT_EQ(a.last_error, b.last_error);
}

inline void ExpectSameState(const GroupState& a, const GroupState& b) {
  EXPECT_EQ(a.desired, b.desired);
  ASSERT_EQ(a.instances.size(), b.instances.size());
  for (std::size_t i = 0; i < a.instances.size(); ++i) ExpectSameInstance(a.instances[i], b.instances[i]);
  EXPECT_EQ(a.alarm_states, b.alarm_states);
  EXPECT_EQ(a.tt_high_states, b.tt_high_states);
  EXPECT_EQ(a.tt_low_states, b.tt_low_states);
  EXPECT_EQ(a.tt_last_scale_in, b.tt_last_scale_in);
  EXPECT_EQ(a.simple_activity_open, b.simple_activity_open);
  EXPECT_EQ(a.simple_activity_started, b.simple_activity_started);
  EXPECT_EQ(a.simple_cooldown, b.simple_cooldown);
  EXPECT_EQ(a.simple_cooldown_until, b.simple_cooldown_until);
  EXPECT_EQ(a.pool_avoid_until, b.pool_avoid_until);
  EXPECT_EQ(a.last_evaluated_minute, b.last_evaluated_minute);
  EXPECT_EQ(a.forecast_raise.from, b.forecast_raise.from);
  EXPECT_EQ(a.forecast_raise.minute, b.forecast_raise.minute);
  EXPECT_EQ(a.replace_causes, b.replace_causes);
  EXPECT_EQ(a.failed_launches, b.failed_launches);
  EXPECT_EQ(a.launch_backoff_until, b.launch_backoff_until);
  EXPECT_EQ(a.launch_decisions, b.launch_decisions);
  EXPECT_EQ(a.launch_retry.attempts, b.launch_retry.attempts);
  EXPECT_EQ(a.launch_retry.next_at, b.launch_retry.next_at);
  ASSERT_EQ(a.launches.size(), b.launches.size());
  for (std::size_t i = 0; i < a.launches.size(); ++i) ExpectSameLaunch(a.launches[i], b.launches[i]);
  ASSERT_EQ(a.conditions.size(), b.conditions.size());
  for (std::size_t i = 0; i < a.conditions.size(); ++i) {
    EXPECT_EQ(a.conditions[i].type, b.conditions[i].type);
    EXPECT_EQ(a.conditions[i].code, b.conditions[i].code);
    EXPECT_EQ(a.conditions[i].message, b.conditions[i].message);
    EXPECT_EQ(a.conditions[i].since, b.conditions[i].since);
    EXPECT_EQ(a.conditions[i].last_seen, b.conditions[i].last_seen);
    EXPECT_EQ(a.conditions[i].count, b.conditions[i].count);
  }
}

}  // namespace shoal::sqlite_testing
