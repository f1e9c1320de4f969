#include <gtest/gtest.h>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

// Rows from dumps of HAProxy 2.6.12 (Debian 12), the last from another
// backend: s1 draining (admin 8), s3 forced into maintenance (1), s2 a runtime
// server UP (0), s4 readied after starting `disabled` (4: the config
// maintenance bit stays while it serves).
constexpr const char* kCaptured =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
    "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state "
    "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr "
    "srv_agent_addr srv_agent_port\n"
    "3 be_web 1 s1 127.0.0.1 2 8 100 100 6 15 3 4 6 0 0 0 - 18101 - 0 0 - - 0\n"
    "3 be_web 2 s3 127.0.0.1 0 1 100 100 6 1 0 0 2 0 0 0 - 18103 - 0 0 - - 0\n"
    "3 be_web 3 s2 127.0.0.1 2 0 100 100 0 1 0 2 6 0 0 0 - 18102 - 0 0 - - 0\n"
    "5 be_api 1 s4 127.0.0.1 2 4 100 100 0 15 3 2 6 0 0 0 - 18104 - 0 0 - - 0\n"
    "\n";

TEST(HaproxyServersState, ParsesCapturedOutput) {
  auto servers = ParseServersState(kCaptured);
  ASSERT_TRUE(servers.ok()) << servers.status().message();
  ASSERT_EQ(servers->size(), 4u);
  const HaproxyServer& s1 = (*servers)[0];
  EXPECT_EQ(s1.backend, "be_web");
  EXPECT_EQ(s1.name, "s1");
  EXPECT_EQ(s1.address, "127.0.0.1");
  EXPECT_EQ(s1.port, 18101);
  EXPECT_FALSE(s1.disabled) << "draining is not maintenance: the state file carries it";
  EXPECT_TRUE((*servers)[1].disabled) << "forced maintenance is rendered disabled";
  EXPECT_FALSE((*servers)[2].disabled);
  EXPECT_EQ((*servers)[3].backend, "be_api");
  EXPECT_FALSE((*servers)[3].disabled) << "config maintenance alone (readied since) serves";
}

TEST(HaproxyServersState, ColumnsAreFoundByName) {
  auto servers = ParseServersState(
      "1\n# srv_port srv_name be_name srv_admin_state srv_addr\n8080 a be_x 0 127.0.0.1\n# a comment\n");
  ASSERT_TRUE(servers.ok()) << servers.status().message();
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].backend, "be_x");
  EXPECT_EQ((*servers)[0].name, "a");
  EXPECT_EQ((*servers)[0].port, 8080);
}

TEST(HaproxyServersState, NoServersIsAnEmptyList) {
  auto servers = ParseServersState("1\n# be_id be_name srv_id srv_name srv_addr srv_admin_state srv_port\n");
  ASSERT_TRUE(servers.ok());
  EXPECT_TRUE(servers->empty());
}

TEST(HaproxyServersState, RowsThatCannotBeWrittenBackAreLeftOut) {
  auto servers = ParseServersState(
      "1\n# be_name srv_name srv_addr srv_admin_state srv_port\n"
      "be_web a 127.0.0.1 0 0\n"        // no port
      "be_web b 127.0.0.1 0 x\n"        // not a number
      "be_web c 127.0.0.1 0 70000\n"    // out of range
      "be_web d 127.0.0.1 0\n"          // short row
      "be_web e 127.0.0.1 0 8080\n");
  ASSERT_TRUE(servers.ok()) << servers.status().message();
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].name, "e");
}

TEST(HaproxyServersState, AnUnknownFormatOrMissingColumnIsAnError) {
  EXPECT_EQ(ParseServersState("2\n# be_name\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseServersState("").status().code(), StatusCode::kInvalidArgument);
  const auto missing = ParseServersState("1\n# be_name srv_name srv_addr srv_admin_state\nbe_web a 127.0.0.1 0\n");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("srv_port"), std::string::npos) << missing.status().message();
}

}  // namespace
}  // namespace shoal
