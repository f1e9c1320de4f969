// The monitoring inventory: which instances are listed, the three renderings
// byte for byte, odd names made safe, and the atomic file write.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/inventory/inventory_files.h"
#include "adapters/inventory/inventory_render.h"
#include "adapters/system/stream_logger.h"
#include "adapters/system/system_clock.h"
#include "core/inventory.h"

namespace shoal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

GroupSpec Spec(const std::string& name) {
  GroupSpec g;
  g.name = name;
  g.service = "web";
  g.capacity.on_demand_type = "m5.large";
  PoolSpec a;
  a.name = "m4.large/us-east-1a";
  g.capacity.spot_pools.push_back(a);
  return g;
}

Instance Inst(std::uint64_t n, InstanceState state, const std::string& host, int port, int pool = 0) {
  Instance in;
  in.id = InstanceId::FromCounter(n);
  in.state = state;
  in.address = {host, port};
  in.pool = pool;
  in.market = pool >= 0 ? Market::kSpot : Market::kOnDemand;
  in.version = 3;
  return in;
}

std::vector<InventoryHost> OneHost() {
  GroupState s;
  s.instances.push_back(Inst(1, InstanceState::kInService, "127.0.0.1", 8081));
  return InventoryHosts({Spec("web")}, {s});
}

TEST(InventoryHostsTest, ListsOnlyServingAndDrainingInstancesWithLoopbackOrPrivateAddresses) {
  GroupState s;
  s.instances.push_back(Inst(1, InstanceState::kInService, "127.0.0.1", 8081));
  s.instances.push_back(Inst(2, InstanceState::kDraining, "10.0.1.7", 8080, kOnDemandPool));
  s.instances.push_back(Inst(3, InstanceState::kPending, "127.0.0.1", 8083));
  s.instances.push_back(Inst(4, InstanceState::kProvisioning, "127.0.0.1", 8084));
  s.instances.push_back(Inst(5, InstanceState::kUnhealthy, "127.0.0.1", 8085));
  s.instances.push_back(Inst(6, InstanceState::kTerminating, "127.0.0.1", 8086));
  s.instances.push_back(Inst(7, InstanceState::kInService, "54.1.2.3", 8087));     // public
  s.instances.push_back(Inst(8, InstanceState::kInService, "", 0));                // not known yet
  s.instances.push_back(Inst(9, InstanceState::kInService, "192.168.3.4", 80));
  s.instances.push_back(Inst(10, InstanceState::kInService, "172.32.0.1", 80));   // outside 172.16/12
  s.instances.push_back(Inst(11, InstanceState::kInService, "fd00::7", 80));
  const std::vector<InventoryHost> hosts = InventoryHosts({Spec("web")}, {s});
  std::vector<std::string> names;
  for (const InventoryHost& h : hosts) names.push_back(h.name);
  EXPECT_THAT(names, ::testing::ElementsAre("web-i-0000000000000001", "web-i-0000000000000002",
                                            "web-i-0000000000000009", "web-i-000000000000000b"));
  EXPECT_EQ(hosts[1].pool, "on-demand/m5.large");
  EXPECT_EQ(hosts[1].state, InstanceState::kDraining);
  EXPECT_EQ(hosts[0].pool, "m4.large/us-east-1a");
}

TEST(InventoryHostsTest, TellsPrivateAndLoopbackAddressesFromOthers) {
  for (const char* yes : {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
                          "::1", "fd12:3456::1", "FC00::1"}) {
    EXPECT_TRUE(IsLoopbackOrPrivateIp(yes)) << yes;
  }
  for (const char* no : {"8.8.8.8", "172.15.0.1", "172.32.0.1", "192.169.0.1", "localhost", "web.internal",
                         "10.0.0", "10.0.0.256", "2001:db8::1", "fe80::1", "", "127.0.0.1x"}) {
    EXPECT_FALSE(IsLoopbackOrPrivateIp(no)) << no;
  }
}

TEST(InventoryRenderTest, NagiosObjectConfigIsExactlyThis) {
  const std::string expected = R"(# Written by shoal serve on every membership change; do not edit (the next change overwrites it).
# 1 host(s): the in-service and draining instances.

define host {
  use                     generic-host
  host_name               web-i-0000000000000001
  alias                   shoal web i-0000000000000001 (in-service, m4.large/us-east-1a, release 3)
  address                 127.0.0.1
  _PORT                   8081
  _SHOAL_INSTANCE         i-0000000000000001
  _SHOAL_STATE            in-service
  _SHOAL_VERSION          3
}

define service {
  use                     generic-service
  host_name               web-i-0000000000000001
  service_description     shoal-web
  check_command           check_tcp!$_HOSTPORT$
}

define hostgroup {
  hostgroup_name          shoal-group-web
  alias                   Shoal group web
  members                 web-i-0000000000000001
}

define hostgroup {
  hostgroup_name          shoal-service-web
  alias                   Shoal service web
  members                 web-i-0000000000000001
}
)";
  EXPECT_EQ(RenderNagios(OneHost(), InventorySpec{}), expected);
}

TEST(InventoryRenderTest, FileSdIsExactlyThis) {
  const std::string expected = R"([
  {
    "targets": [
      "127.0.0.1:8081"
    ],
    "labels": {
      "shoal_group": "web",
      "shoal_service": "web",
      "shoal_instance": "i-0000000000000001",
      "shoal_pool": "m4.large/us-east-1a",
      "shoal_market": "spot",
      "shoal_version": "3",
      "shoal_state": "in-service"
    }
  }
]
)";
  EXPECT_EQ(RenderFileSd(OneHost()), expected);
  EXPECT_EQ(RenderFileSd({}), "[]\n");
}

TEST(InventoryRenderTest, AnsibleListIsExactlyThis) {
  const std::string expected = R"({
  "_meta": {
    "hostvars": {
      "web-i-0000000000000001": {
        "ansible_host": "127.0.0.1",
        "shoal_address": "127.0.0.1:8081",
        "shoal_port": 8081,
        "shoal_instance_id": "i-0000000000000001",
        "shoal_group": "web",
        "shoal_service": "web",
        "shoal_pool": "m4.large/us-east-1a",
        "shoal_market": "spot",
        "shoal_version": 3,
        "shoal_state": "in-service"
      }
    }
  },
  "all": {
    "children": [
      "shoal"
    ]
  },
  "shoal": {
    "hosts": [
      "web-i-0000000000000001"
    ],
    "children": [
      "shoal_group_web",
      "shoal_market_spot",
      "shoal_pool_m4_large_us_east_1a",
      "shoal_release_3",
      "shoal_service_web",
      "shoal_state_in_service"
    ]
  },
  "shoal_group_web": {
    "hosts": [
      "web-i-0000000000000001"
    ]
  },
  "shoal_market_spot": {
    "hosts": [
      "web-i-0000000000000001"
    ]
  },
  "shoal_pool_m4_large_us_east_1a": {
    "hosts": [
      "web-i-0000000000000001"
    ]
  },
  "shoal_release_3": {
    "hosts": [
      "web-i-0000000000000001"
    ]
  },
  "shoal_service_web": {
    "hosts": [
      "web-i-0000000000000001"
    ]
  },
  "shoal_state_in_service": {
    "hosts": [
      "web-i-0000000000000001"
    ]
  }
}
)";
  EXPECT_EQ(RenderAnsibleList(OneHost()), expected);
  EXPECT_EQ(RenderAnsibleHost(OneHost(), "nope"), "{}\n");
  const nlohmann::json vars = nlohmann::json::parse(RenderAnsibleHost(OneHost(), "web-i-0000000000000001"));
  EXPECT_EQ(vars["ansible_host"], "127.0.0.1");
  EXPECT_EQ(vars["shoal_port"], 8081);
}

TEST(InventoryRenderTest, AnEmptyFleetIsValidEverywhere) {
  EXPECT_THAT(RenderNagios({}, InventorySpec{}), Not(HasSubstr("define")));
  const nlohmann::json list = nlohmann::json::parse(RenderAnsibleList({}));
  EXPECT_TRUE(list["_meta"]["hostvars"].empty());
  EXPECT_TRUE(list["shoal"]["hosts"].empty());
}

TEST(InventoryRenderTest, OddNamesAreMadeSafeForEachTool) {
  EXPECT_EQ(NagiosName("web;rm -rf /"), "web_rm_-rf__");
  EXPECT_EQ(NagiosName("a$b`c!d(e)f,g=h"), "a_b_c_d_e_f_g_h");
  EXPECT_EQ(NagiosName(""), "_");
  EXPECT_EQ(NagiosName("ok.Name_1-2"), "ok.Name_1-2");
  EXPECT_EQ(AnsibleGroupName("shoal_pool_m4.large/us-east-1a"), "shoal_pool_m4_large_us_east_1a");
  EXPECT_EQ(AnsibleGroupName("Web-2"), "web_2");
  EXPECT_EQ(AnsibleGroupName("2web"), "_2web");
  EXPECT_EQ(AnsibleGroupName(""), "_");

  // A pool name with a ';', a newline and spaces stays out of Nagios'
  // directives (';' starts a comment there) and out of group names.
  GroupSpec g = Spec("web");
  g.service = "my service;x";
  g.capacity.spot_pools[0].name = "odd pool;\n$x";
  GroupState s;
  s.instances.push_back(Inst(1, InstanceState::kInService, "127.0.0.1", 8081));
  const std::vector<InventoryHost> hosts = InventoryHosts({g}, {s});
  const std::string nagios = RenderNagios(hosts, InventorySpec{});
  EXPECT_THAT(nagios, HasSubstr("  alias                   shoal web i-0000000000000001 (in-service, odd pool__$x, release 3)\n"));
  EXPECT_THAT(nagios, HasSubstr("  service_description     shoal-my_service_x\n"));
  EXPECT_THAT(nagios, HasSubstr("  hostgroup_name          shoal-service-my_service_x\n"));
  const nlohmann::json list = nlohmann::json::parse(RenderAnsibleList(hosts));
  EXPECT_TRUE(list.contains("shoal_pool_odd_pool___x"));
  EXPECT_TRUE(list.contains("shoal_service_my_service_x"));
  EXPECT_EQ(list["_meta"]["hostvars"]["web-i-0000000000000001"]["shoal_pool"], "odd pool;\n$x");
}

TEST(InventoryConfigTest, RefusesARelativeDirAndTextNagiosWouldMisread) {
  const std::string groups = "groups:\n  - {name: web, min: 0, max: 1}\n";
  Result<Config> ok = ParseConfig(groups, "x.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->inventory, InventorySpec{});
  Result<Config> rel = ParseConfig(groups + "inventory: {dir: inv}\n", "x.yaml");
  ASSERT_FALSE(rel.ok());
  EXPECT_THAT(rel.status().message(), HasSubstr("inventory.dir: must be an absolute path"));
  Result<Config> semi = ParseConfig(groups + "inventory: {nagios_check_command: \"check_tcp!80;x\"}\n", "x.yaml");
  ASSERT_FALSE(semi.ok());
  EXPECT_THAT(semi.status().message(), HasSubstr("inventory.nagios_check_command: must not contain ';'"));
  Result<Config> off = ParseConfig(groups + "inventory: {nagios: false, dir: /srv/inv}\n", "x.yaml");
  ASSERT_TRUE(off.ok()) << off.status().message();
  EXPECT_FALSE(off->inventory.nagios);
  EXPECT_TRUE(off->inventory.prometheus);
  EXPECT_EQ(off->inventory.dir, "/srv/inv");
}

class InventoryFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shoal-inventory-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  std::vector<std::string> Entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string dir_;
  SystemClock clock_;
  std::ostringstream log_text_;
  StreamLogger log_{&clock_, &log_text_};
};

TEST_F(InventoryFilesTest, WritesOnlyWhenTheTextChangesAndLeavesNoTemporaryFile) {
  const std::string path = dir_ + "/a.cfg";
  Result<bool> first = WriteIfChanged(path, "one\n");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(*first);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  const ino_t inode = st.st_ino;
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  Result<bool> same = WriteIfChanged(path, "one\n");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, inode) << "unchanged text: the file is not replaced";
  Result<bool> next = WriteIfChanged(path, "two\n");
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(*next);
  EXPECT_EQ(Read(path), "two\n");
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_NE(st.st_ino, inode) << "a new file renamed over the old one, never the old one rewritten in place";
  EXPECT_THAT(Entries(), ::testing::ElementsAre("a.cfg"));
}

TEST_F(InventoryFilesTest, AFailedWriteLeavesTheOldFileWholeAndNoPartialOne) {
  const std::string path = dir_ + "/a.cfg";
  ASSERT_TRUE(WriteIfChanged(path, "old\n").ok());
  if (geteuid() == 0) {
    // root writes anywhere: make the rename fail instead (a directory where
    // the file would go is not replaced by rename).
    const std::string blocked = dir_ + "/b.cfg";
    std::filesystem::create_directories(blocked + "/inside");
    EXPECT_FALSE(WriteIfChanged(blocked, "new\n").ok());
    EXPECT_TRUE(std::filesystem::is_directory(blocked));
  } else {
    chmod(dir_.c_str(), 0555);
    EXPECT_FALSE(WriteIfChanged(path, "new\n").ok());
    chmod(dir_.c_str(), 0755);
  }
  EXPECT_EQ(Read(path), "old\n");
  for (const std::string& e : Entries()) EXPECT_EQ(e.find(".a.cfg."), std::string::npos) << e;
  for (const std::string& e : Entries()) EXPECT_EQ(e.find(".b.cfg."), std::string::npos) << e;
}

TEST_F(InventoryFilesTest, RewritesTheFilesOnAMembershipChangeOnly) {
  FileInventory inventory("/nonexistent", &log_);
  InventorySpec spec;
  spec.dir = dir_ + "/inv";
  inventory.Configure(spec);
  EXPECT_EQ(inventory.nagios_path(), dir_ + "/inv/shoal-nagios.cfg");
  inventory.Update(OneHost());
  EXPECT_EQ(Read(inventory.nagios_path()), RenderNagios(OneHost(), spec));
  EXPECT_EQ(Read(inventory.file_sd_path()), RenderFileSd(OneHost()));
  const std::string after_first = log_text_.str();
  EXPECT_THAT(after_first, HasSubstr("inventory_written"));
  inventory.Update(OneHost());  // the same hosts: nothing to do, nothing logged
  EXPECT_EQ(log_text_.str(), after_first);
  inventory.Update({});
  EXPECT_EQ(Read(inventory.file_sd_path()), "[]\n");
  EXPECT_THAT(Read(inventory.nagios_path()), Not(HasSubstr("define host")));

  // Turned off: that file is left as it was; a settings change rewrites.
  spec.prometheus = false;
  inventory.Configure(spec);
  inventory.Update(OneHost());
  EXPECT_EQ(Read(inventory.file_sd_path()), "[]\n");
  EXPECT_THAT(Read(inventory.nagios_path()), HasSubstr("define host"));
}

TEST_F(InventoryFilesTest, TheDefaultDirectoryIsUnderTheDataDirectory) {
  FileInventory inventory(dir_, &log_);
  inventory.Update(OneHost());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/inventory/shoal-nagios.cfg"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/inventory/shoal-file-sd.json"));
}

}  // namespace
}  // namespace shoal
