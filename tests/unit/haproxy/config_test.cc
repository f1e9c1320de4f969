#include <gtest/gtest.h>

#include <regex>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

HaproxyOptions TwoServices() {
  HaproxyOptions o;
  o.run_dir = "/tmp/shoal-run";
  HaproxyBackend web;
  web.name = "web";
  web.listen_port = 8080;
  HaproxyBackend api;
  api.name = "API.v2 x";
  api.listen_port = 9090;
  api.health_path = "/healthz";
  o.backends = {web, api};
  return o;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(HaproxyConfig, OneFrontendAndBackendPerService) {
  const std::string cfg = HaproxyProcess::RenderConfig(TwoServices());
  EXPECT_TRUE(Contains(cfg, "frontend fe_web\n    bind 127.0.0.1:8080\n    default_backend be_web\n"));
  EXPECT_TRUE(Contains(cfg, "backend be_web\n    balance roundrobin\n    option httpchk GET /health\n"));
  EXPECT_TRUE(Contains(cfg, "frontend fe_api_v2_x\n    bind 127.0.0.1:9090\n    default_backend be_api_v2_x\n"));
  EXPECT_TRUE(Contains(cfg, "option httpchk GET /healthz\n    http-check expect status 200\n"));
}

TEST(HaproxyConfig, GlobalAndDefaults) {
  const std::string cfg = HaproxyProcess::RenderConfig(TwoServices());
  // The socket hands its listeners to the next process (-x); the state file
  // carries server states across a reload.
  EXPECT_TRUE(Contains(cfg, "stats socket /tmp/shoal-run/haproxy.sock mode 600 level admin expose-fd listeners\n"));
  EXPECT_TRUE(Contains(cfg, "    server-state-file /tmp/shoal-run/haproxy.state\n"));
  for (const char* line : {"mode http", "timeout connect 2s", "timeout client 30s", "timeout server 30s",
                           "retries 3", "option redispatch", "load-server-state-from-file global"}) {
    EXPECT_TRUE(Contains(cfg, std::string("    ") + line + "\n")) << line;
  }
  EXPECT_FALSE(Contains(cfg, "\n    server ")) << "no server given, none written";
}

TEST(HaproxyConfig, ServersGoInTheirBackendWithTheServicesCheckOptions) {
  HaproxyOptions o = TwoServices();
  o.backends[0].check_interval_ms = 200;
  o.backends[0].rise = 1;
  o.backends[0].fall = 2;
  const std::vector<HaproxyServer> servers = {
      {"be_web", "i-0000000000000001", "127.0.0.1", 18081, false},
      {"be_web", "i-0000000000000002", "127.0.0.1", 18082, true},
      {"be_api_v2_x", "i-0000000000000003", "::1", 18083, false},
      {"be_gone", "i-0000000000000004", "127.0.0.1", 18084, false},  // a backend no longer configured
  };
  const std::string cfg = HaproxyProcess::RenderConfig(o, servers);
  EXPECT_TRUE(Contains(cfg, "    http-check expect status 200\n"
                            "    server i-0000000000000001 127.0.0.1:18081 check inter 200ms rise 1 fall 2 weight 100\n"
                            "    server i-0000000000000002 127.0.0.1:18082 check inter 200ms rise 1 fall 2 weight 100 "
                            "disabled\n"))
      << cfg;
  EXPECT_TRUE(Contains(cfg, "    server i-0000000000000003 [::1]:18083 check inter 2000ms rise 2 fall 3 weight 100\n"))
      << cfg;
  EXPECT_FALSE(Contains(cfg, "i-0000000000000004")) << cfg;
  // The same options as `add server` uses, so a reload changes no check.
  EXPECT_EQ(ServerOptionsText(o.backends[0]), "check inter 200ms rise 1 fall 2 weight 100");
}

TEST(HaproxyConfig, ServerFieldsCannotInjectConfig) {
  const std::vector<HaproxyServer> bad = {
      {"be_web", "x\n    bind 0.0.0.0:80", "127.0.0.1", 18081, false},
      {"be_web", "ok-name", "127.0.0.1 backup\n    bind 0.0.0.0:80", 18082, false},
      {"be_web", "port-zero", "127.0.0.1", 0, false},
      {"be_web", "port-big", "127.0.0.1", 65536, false},
      {"be_web", "", "127.0.0.1", 18083, false},
  };
  const std::string cfg = HaproxyProcess::RenderConfig(TwoServices(), bad);
  EXPECT_FALSE(Contains(cfg, "\n    server ")) << cfg;
  EXPECT_FALSE(Contains(cfg, "0.0.0.0")) << cfg;
}

TEST(HaproxyConfig, BindsOnlyLoopback) {
  const std::string cfg = HaproxyProcess::RenderConfig(TwoServices());
  const std::regex bind(R"(\n\s*bind\s+(\S+))");
  int binds = 0;
  for (auto it = std::sregex_iterator(cfg.begin(), cfg.end(), bind); it != std::sregex_iterator(); ++it) {
    ++binds;
    EXPECT_EQ((*it)[1].str().rfind("127.0.0.1:", 0), 0u) << (*it)[1].str();
  }
  EXPECT_EQ(binds, 2);
}

TEST(HaproxyConfig, HealthPathCannotInjectConfig) {
  HaproxyOptions o = TwoServices();
  o.backends[0].health_path = "/h\n    bind 0.0.0.0:80 x";
  const std::string cfg = HaproxyProcess::RenderConfig(o);
  EXPECT_FALSE(Contains(cfg, "0.0.0.0:80 ")) << cfg;
  EXPECT_FALSE(Contains(cfg, "bind 0.0.0.0"));
}

struct NameCase {
  const char* in;
  const char* out;
};

class HaproxyNames : public ::testing::TestWithParam<NameCase> {};

TEST_P(HaproxyNames, AreSanitised) { EXPECT_EQ(SanitizeHaproxyName(GetParam().in), GetParam().out); }

INSTANTIATE_TEST_SUITE_P(Cases, HaproxyNames,
                         ::testing::Values(NameCase{"web", "web"}, NameCase{"Web-1_a", "web-1_a"},
                                           NameCase{"a b/c", "a_b_c"}, NameCase{"x\nbind", "x_bind"},
                                           NameCase{"", "_"}));

TEST(HaproxyNames, ProxyNamesHavePrefixes) {
  EXPECT_EQ(BackendProxyName("Web"), "be_web");
  EXPECT_EQ(FrontendProxyName("Web"), "fe_web");
}

}  // namespace
}  // namespace shoal
