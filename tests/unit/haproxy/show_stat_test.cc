#include <gtest/gtest.h>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

// Captured from HAProxy 2.6.12 (Debian 12) with checks every 200 ms: a
// frontend, an UP server that served 3 requests, a DOWN server (connection
// refused), an UP weight-0 server, the backend.
constexpr const char* kCaptured = R"csv(
# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_web,FRONTEND,,,0,1,1024,3,246,345,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,3,,,,0,3,0,0,0,0,,0,3,3,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,0,3,3,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,3,237,408,0,0,
be_web,i-0000000000000001,0,0,0,1,,3,246,345,,0,,0,0,0,0,UP,100,1,0,7,3,108,18,,1,3,1,,3,,2,0,,3,L7OK,200,0,0,3,0,0,0,0,,,,3,0,0,,,,,114,,,0,0,3,3,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:18081,,http,,,,,,,,0,3,0,,,0,0,0,0,3,3,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_web,i-0000000000000004,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,100,1,0,1,1,95,95,,1,3,3,,0,,2,0,,0,L4CON,,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,Connection refused,,0,0,0,0,,,,Layer4 connection problem,,2,3,0,,,,127.0.0.1:1,,http,,,,,,,,0,0,0,,,0,0,0,0,0,0,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_web,i-00000000000000c2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP,0,1,0,0,0,49,0,,1,3,9,,0,,2,0,,0,L7OK,200,0,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:18081,,http,,,,,,,,0,0,0,,,0,0,0,0,0,0,0,0,0,0,1,0,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
be_web,BACKEND,0,0,0,1,103,3,246,345,0,0,,0,0,0,0,UP,600,6,0,,3,108,18,,1,3,0,,3,,1,0,,3,,,,0,3,0,0,0,0,,,,3,0,0,0,0,0,0,114,,,0,0,3,3,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,3,0,0,0,,,0,0,3,3,0,,,,,600,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2624,2624,209565,41637,0,0,

)csv";

const ServerStat* Find(const std::vector<ServerStat>& stats, const std::string& server) {
  for (const ServerStat& s : stats) {
    if (s.server == server) return &s;
  }
  return nullptr;
}

TEST(HaproxyShowStat, ParsesCapturedOutput) {
  auto stats = ParseShowStat(kCaptured);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  ASSERT_EQ(stats->size(), 5u);
  const ServerStat* up = Find(*stats, "i-0000000000000001");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->backend, "be_web");
  EXPECT_EQ(up->status, "UP");
  EXPECT_EQ(up->total_sessions, 3);
  EXPECT_EQ(up->current_sessions, 0);
  EXPECT_EQ(up->check_status, "L7OK");
  EXPECT_EQ(up->address, "127.0.0.1:18081");
  EXPECT_EQ(ParseServerAddress(up->address), (InstanceAddress{"127.0.0.1", 18081}));
  const ServerStat* down = Find(*stats, "i-0000000000000004");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->status, "DOWN");
  EXPECT_EQ(down->check_status, "L4CON");
  const ServerStat* backend = Find(*stats, "BACKEND");
  ASSERT_NE(backend, nullptr);
  EXPECT_EQ(backend->total_sessions, 3);
  EXPECT_EQ(backend->request_rate, 0);  // the requests were more than a second before
  const ServerStat* frontend = Find(*stats, "FRONTEND");
  ASSERT_NE(frontend, nullptr);
  EXPECT_EQ(frontend->backend, "fe_web");
  EXPECT_EQ(frontend->status, "OPEN");
}

TEST(HaproxyShowStat, ReadsResponseCountersAndTimes) {
  auto stats = ParseShowStat(kCaptured);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  const ServerStat* up = Find(*stats, "i-0000000000000001");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->http_responses, 3);  // hrsp_2xx
  EXPECT_EQ(up->http_responses_5xx, 0);
  EXPECT_EQ(up->response_time_ms, 3);  // rtime, ms
  const ServerStat* down = Find(*stats, "i-0000000000000004");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->http_responses, 0);
}

TEST(HaproxyShowStat, ResponsesAddEveryStatusClass) {
  auto stats = ParseShowStat(
      "# pxname,svname,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,rtime,ttime,stot\n"
      "be_x,s1,1,90,2,3,4,5,27,31,120\n"
      "be_x,s2,,,,,,,,,\n");
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  ASSERT_EQ(stats->size(), 2u);
  const ServerStat& s1 = (*stats)[0];
  EXPECT_EQ(s1.http_responses, 1 + 90 + 2 + 3 + 4 + 5);
  EXPECT_EQ(s1.http_responses_5xx, 4);
  EXPECT_EQ(s1.response_time_ms, 27);
  EXPECT_EQ(s1.total_time_ms, 31);
  EXPECT_EQ(s1.total_sessions, 120);  // sessions, counted apart from responses
  const ServerStat& s2 = (*stats)[1];  // no traffic yet: empty cells
  EXPECT_EQ(s2.http_responses, 0);
  EXPECT_EQ(s2.response_time_ms, 0);
}

TEST(HaproxyShowStat, ResponseCountersMissingFromOlderVersionsReadAsZero) {
  auto stats = ParseShowStat("# pxname,svname,stot\nbe_x,s1,9\n");
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ((*stats)[0].http_responses, 0);
  EXPECT_EQ((*stats)[0].response_time_ms, 0);
  EXPECT_EQ((*stats)[0].total_time_ms, 0);
}

TEST(HaproxyShowStat, MapsColumnsByNameInAnyOrder) {
  auto stats = ParseShowStat("# status,svname,hrsp_5xx,pxname,scur,stot,rate\nUP 1/3,s1,7,be_x,2,40,5\n");
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  ASSERT_EQ(stats->size(), 1u);
  const ServerStat& s = (*stats)[0];
  EXPECT_EQ(s.backend, "be_x");
  EXPECT_EQ(s.server, "s1");
  EXPECT_EQ(s.status, "UP 1/3");
  EXPECT_EQ(s.current_sessions, 2);
  EXPECT_EQ(s.total_sessions, 40);
  EXPECT_EQ(s.request_rate, 5);
  EXPECT_EQ(s.http_responses_5xx, 7);
}

TEST(HaproxyShowStat, MissingColumnsAndEmptyCellsReadAsZero) {
  auto stats = ParseShowStat("# pxname,svname,scur\nbe_x,s1,\nbe_x,s2\n");
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  ASSERT_EQ(stats->size(), 2u);
  EXPECT_EQ((*stats)[0].current_sessions, 0);
  EXPECT_EQ((*stats)[1].status, "");
  EXPECT_EQ((*stats)[1].total_sessions, 0);
}

TEST(HaproxyShowStat, RunningCheckMarkIsStripped) {
  auto stats = ParseShowStat("# pxname,svname,check_status\nbe_x,s1,* L7STS\n");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)[0].check_status, "L7STS");
}

TEST(HaproxyShowStat, HeaderOnlyIsAnEmptyList) {
  auto stats = ParseShowStat("# pxname,svname,status\n\n");
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->empty());
}

struct BadStat {
  const char* name;
  const char* text;
};

class HaproxyShowStatRejects : public ::testing::TestWithParam<BadStat> {};

TEST_P(HaproxyShowStatRejects, WithAClearError) {
  auto stats = ParseShowStat(GetParam().text);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(stats.status().message().find("show stat"), std::string::npos) << stats.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, HaproxyShowStatRejects,
    ::testing::Values(BadStat{"Empty", ""}, BadStat{"NoHeader", "be_x,s1,UP\n"},
                      BadStat{"ErrorText", "Unknown command: 'show stats'\n"},
                      BadStat{"HeaderWithoutNames", "# qcur,qmax\n1,2\n"},
                      BadStat{"RowWithoutServer", "# pxname,svname,status\nbe_x\n"},
                      BadStat{"RowWithEmptyName", "# pxname,svname,status\n,s1,UP\n"},
                      // Found by fuzz/show_stat.cc: the names were checked in
                      // the first two cells whatever the header's order, so
                      // these rows came back with an empty backend.
                      BadStat{"ReorderedRowWithEmptyName", "# status,svname,pxname\nUP,s1,\n"},
                      BadStat{"ReorderedRowWithoutName", "# status,svname,pxname\nUP,s1\n"}),
    [](const ::testing::TestParamInfo<BadStat>& info) { return std::string(info.param.name); });

TEST(HaproxyServerAddress, OnlyIpv4LiteralsAndRealPortsReachHaproxy) {
  EXPECT_TRUE(CheckServerAddress({"127.0.0.1", 8081}).ok());
  EXPECT_TRUE(CheckServerAddress({"10.0.3.17", 80}).ok());
  // Addresses go into runtime commands and the config text: nothing else may.
  for (const InstanceAddress& bad : std::vector<InstanceAddress>{{"", 80},
                                                                 {"localhost", 80},
                                                                 {"127.0.0.1; shutdown sessions", 80},
                                                                 {"127.0.0.1\nadd server x", 80},
                                                                 {"::1", 80},
                                                                 {"127.0.0.1", 0},
                                                                 {"127.0.0.1", 65536}}) {
    const Status s = CheckServerAddress(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad.host << ":" << bad.port;
  }
}

TEST(HaproxyServerAddress, ParsesShowStatsAddrColumn) {
  EXPECT_EQ(ParseServerAddress("10.0.0.9:8080"), (InstanceAddress{"10.0.0.9", 8080}));
  for (const char* bad : {"", "unix", "10.0.0.9", "10.0.0.9:", "10.0.0.9:80x", "host:80", "10.0.0.9:99999"}) {
    EXPECT_EQ(ParseServerAddress(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace shoal
