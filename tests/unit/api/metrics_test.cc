// /metrics' text encoder, registry and the daemon's families, without a daemon.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "api/daemon_metrics.h"
#include "api/metrics_registry.h"
#include "api/prometheus_text.h"
#include "test_ids.h"

namespace shoal {
namespace {

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)" "\n" "d"), R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeHelp("back\\slash \"quoted\"\nnext"), "back\\\\slash \"quoted\"\\nnext");
  PrometheusText t;
  t.Family("x_total", "counter", "line one\nline two");
  t.Sample("x_total", {{"group", "we\"b"}, {"pool", "m4.large/us-east-1a"}}, 3);
  EXPECT_EQ(t.text(),
            "# HELP x_total line one\\nline two\n# TYPE x_total counter\n"
            "x_total{group=\"we\\\"b\",pool=\"m4.large/us-east-1a\"} 3\n");
}

TEST(PrometheusText, FormatsValuesLikeGo) {
  EXPECT_EQ(FormatMetricValue(3), "3");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(-2.5), "-2.5");
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInf) {
  MetricsRegistry r;
  const auto h = r.AddHistogram("d_seconds", "d", {"route"}, {0.1, 1});
  r.Observe(h, {"/a"}, 0.05);
  r.Observe(h, {"/a"}, 0.5);
  r.Observe(h, {"/a"}, 5);
  PrometheusText t;
  r.Render(&t);
  EXPECT_EQ(t.text(),
            "# HELP d_seconds d\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"
            "d_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
            "d_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
            "d_seconds_sum{route=\"/a\"} 5.55\n"
            "d_seconds_count{route=\"/a\"} 3\n");
}

TEST(MetricsRegistry, CountersAddUpPerLabelSet) {
  MetricsRegistry r;
  const auto c = r.AddCounter("c_total", "c", {"kind"});
  r.Increment(c, {"a"});
  r.Increment(c, {"a"}, 2);
  r.Increment(c, {"b"});
  EXPECT_EQ(r.CounterValue(c, {"a"}), 3);
  EXPECT_EQ(r.CounterValue(c, {"b"}), 1);
  EXPECT_EQ(r.CounterValue(c, {"z"}), 0);
}

TEST(ApiRoute, BoundsThePathLabel) {
  EXPECT_EQ(ApiRoute("/metrics"), "/metrics");
  EXPECT_EQ(ApiRoute("/v1/groups"), "/v1/groups");
  EXPECT_EQ(ApiRoute("/v1/groups/web"), "/v1/groups/{name}");
  EXPECT_EQ(ApiRoute("/v1/groups/web/scale"), "/v1/groups/{name}/scale");
  EXPECT_EQ(ApiRoute("/v1/groups/web/deploy"), "/v1/groups/{name}/deploy");
  EXPECT_EQ(ApiRoute("/v1/groups/web/nonsense"), "other");
  EXPECT_EQ(ApiRoute("/v1/groups/"), "other");
  EXPECT_EQ(ApiRoute("/etc/passwd"), "other");
}

// One group over two spot pools with an alarm, three instances.
struct Fleet {
  Config config;
  std::vector<GroupState> states;
  std::vector<Observation> observations;

  Fleet() {
    GroupSpec g;
    g.name = "web";
    g.min = 1;
    g.max = 6;
    g.desired = 3;
    g.capacity.on_demand_type = "m4.large";
    g.capacity.spot_pools = {{"m4.large/us-east-1a", "m4.large", "us-east-1a", 1, 0},
                             {"c5.large/us-east-1b", "c5.large", "us-east-1b", 1, 0}};
    AlarmSpec alarm;
    alarm.name = "cpu-high";
    g.alarms.push_back(alarm);
    config.groups.push_back(g);
    GroupState s = InitialState(g);
    s.alarm_states = {AlarmState::kAlarm};
    s.instances.push_back(Make(1, Market::kSpot, 0, InstanceState::kInService));
    s.instances.push_back(Make(2, Market::kSpot, 1, InstanceState::kPending));
    s.instances.push_back(Make(3, Market::kOnDemand, kOnDemandPool, InstanceState::kInService));
    states.push_back(s);
    Observation o;
    o.on_demand_price = 0.10;
    o.pools = {{0.03, 1, 0.10}, {0.02, 1, 0.085}};
    observations.push_back(o);
  }
  static Instance Make(std::uint64_t n, Market m, int pool, InstanceState st) {
    Instance in;
    in.id = Id(n);
    in.market = m;
    in.pool = pool;
    in.state = st;
    in.version = 2;
    return in;
  }
  FleetFacts Facts() const {
    FleetFacts f;
    f.config = &config;
    f.states = &states;
    f.observations = &observations;
    return f;
  }
};

bool Has(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(DaemonMetrics, GaugesFollowTheSnapshot) {
  Fleet f;
  DaemonMetrics m;
  const std::string text = m.Render(f.Facts());
  EXPECT_TRUE(Has(text, "shoal_group_desired_capacity{group=\"web\"} 3")) << text;
  EXPECT_TRUE(Has(text, "shoal_instances{group=\"web\",pool=\"m4.large/us-east-1a\",market=\"spot\",state=\"in-service\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "shoal_instances{group=\"web\",pool=\"c5.large/us-east-1b\",market=\"spot\",state=\"pending\"} 1"));
  EXPECT_TRUE(Has(text, "shoal_instances{group=\"web\",pool=\"on-demand/m4.large\",market=\"on-demand\",state=\"in-service\"} 1"));
  EXPECT_TRUE(Has(text, "shoal_instances{group=\"web\",pool=\"c5.large/us-east-1b\",market=\"spot\",state=\"draining\"} 0"));
  EXPECT_TRUE(Has(text, "shoal_alarm_state{group=\"web\",alarm=\"cpu-high\",state=\"ALARM\"} 1")) << text;
  EXPECT_TRUE(Has(text, "shoal_alarm_state{group=\"web\",alarm=\"cpu-high\",state=\"OK\"} 0"));
  EXPECT_TRUE(Has(text, "shoal_instances_in_service_by_release{group=\"web\",release=\"2\"} 2"));
  EXPECT_TRUE(Has(text, "shoal_cost_usd_per_hour{group=\"web\",pool=\"m4.large/us-east-1a\",market=\"spot\"} 0.03"));
  EXPECT_TRUE(Has(text, "shoal_cost_usd_per_hour{group=\"web\",pool=\"on-demand/m4.large\",market=\"on-demand\"} 0.1"));
  EXPECT_TRUE(Has(text, "shoal_deploy_active{group=\"web\"} 0"));
}

TEST(DaemonMetrics, OutputSizeDoesNotGrowWithInstances) {
  Fleet f;
  DaemonMetrics m;
  const std::size_t small = m.Render(f.Facts()).size();
  for (std::uint64_t n = 10; n < 210; ++n) {
    f.states[0].instances.push_back(Fleet::Make(n, Market::kSpot, 0, InstanceState::kInService));
  }
  const std::string big = m.Render(f.Facts());
  // Only the digits of counts and costs change: no series per instance.
  EXPECT_LE(big.size(), small + 64);
  EXPECT_TRUE(Has(big, "shoal_instances{group=\"web\",pool=\"m4.large/us-east-1a\",market=\"spot\",state=\"in-service\"} 201"));
}

TEST(DaemonMetrics, CountsNoticesOncePerInstanceAndPool) {
  Fleet f;
  DaemonMetrics m;
  m.NoteFleet(f.config, f.states);
  EXPECT_EQ(m.registry().CounterValue(m.interruptions(), {"web", "m4.large/us-east-1a"}), 0);
  f.states[0].instances[0].notice_deadline = 1000;
  m.NoteFleet(f.config, f.states);
  m.NoteFleet(f.config, f.states);  // the same notice, seen again
  EXPECT_EQ(m.registry().CounterValue(m.interruptions(), {"web", "m4.large/us-east-1a"}), 1);
  EXPECT_EQ(m.registry().CounterValue(m.interruptions(), {"web", "c5.large/us-east-1b"}), 0);
}

TEST(DaemonMetrics, CountsActivitiesFallbacksRequestsAndLoggedErrors) {
  DaemonMetrics m;
  m.CountActivity({0, "web", ActivityKind::kFallbackOnDemand, "no spot", 2, 2});
  m.CountActivity({0, "web", ActivityKind::kScaleOut, "cpu", 2, 3});
  EXPECT_EQ(m.registry().CounterValue(m.activities(), {"web", "fallback-on-demand"}), 1);
  EXPECT_EQ(m.registry().CounterValue(m.fallbacks(), {"web"}), 1);
  Logger* log = m.CountingLogger(nullptr);
  LogWarn(log, "launch_failed").With("group", "web").With("code", "insufficient-capacity");
  LogInfo(log, "launched").With("group", "web");
  LogError(log, "bump_group_missing");
  EXPECT_EQ(m.registry().CounterValue(m.errors(), {"launch_failed", "insufficient-capacity"}), 1);
  EXPECT_EQ(m.registry().CounterValue(m.errors(), {"bump_group_missing", "none"}), 1);
  EXPECT_EQ(m.registry().CounterValue(m.errors(), {"launched", "none"}), 0);
  m.RequestServed("GET", "/v1/groups/web", 200, 0.002);
  m.RequestServed("DELETE", "/x", 404, 0.001);
  EXPECT_EQ(m.registry().CounterValue(m.requests(), {"GET", "/v1/groups/{name}", "200"}), 1);
  EXPECT_EQ(m.registry().CounterValue(m.requests(), {"other", "other", "404"}), 1);
  const std::string text = m.Render({});
  EXPECT_TRUE(Has(text, "shoal_api_request_duration_seconds_count{method=\"GET\",route=\"/v1/groups/{name}\"} 1")) << text;
  EXPECT_TRUE(Has(text, "# TYPE shoal_reconcile_duration_seconds histogram"));
}

}  // namespace
}  // namespace shoal
