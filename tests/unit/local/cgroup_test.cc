#include "adapters/local/cgroup.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace shoal {
namespace {

namespace fs = std::filesystem;

// A fake /sys/fs/cgroup: plain directories and files. Unlike cgroupfs, mkdir
// here creates no control files, which is what the probe must notice.
class LocalCloudCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/shoal-cgroup-XXXXXX";
    root_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override { fs::remove_all(root_); }
  void Touch(const std::string& rel, const std::string& content = "") {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel) << content;
  }
  std::string root_;
};

TEST_F(LocalCloudCgroup, NothingMountedMeansNone) {
  const CpuControl c = DetectCpuControl(root_);
  EXPECT_EQ(c.kind, CpuControl::Kind::kNone);
  EXPECT_EQ(c.description.rfind("none: ", 0), 0u) << c.description;
}

TEST_F(LocalCloudCgroup, V1WhoseChildrenGetNoControlFilesIsNone) {
  Touch("cpu/cpu.cfs_quota_us", "-1\n");
  const CpuControl c = DetectCpuControl(root_);
  EXPECT_EQ(c.kind, CpuControl::Kind::kNone);
  EXPECT_NE(c.description.find("cgroup v1"), std::string::npos) << c.description;
  EXPECT_NE(c.description.find("cpu.cfs"), std::string::npos) << c.description;
}

TEST_F(LocalCloudCgroup, V1WhoseChildTakesAQuotaIsUsed) {
  Touch("cpu/cpu.cfs_quota_us", "-1\n");
  // What the kernel would have created in the probe child.
  Touch("cpu/shoal/probe/cpu.cfs_period_us", "100000\n");
  Touch("cpu/shoal/probe/cpu.cfs_quota_us", "-1\n");
  const CpuControl c = DetectCpuControl(root_);
  EXPECT_EQ(c.kind, CpuControl::Kind::kV1) << c.description;
  EXPECT_EQ(c.description, "cgroup v1 cpu.cfs_quota_us");
  EXPECT_EQ(c.base, root_ + "/cpu/shoal");
}

TEST_F(LocalCloudCgroup, V2WithoutCpuControllerIsNoneAndSaysSo) {
  Touch("cgroup.controllers", "memory pids\n");
  const CpuControl c = DetectCpuControl(root_);
  EXPECT_EQ(c.kind, CpuControl::Kind::kNone);
  EXPECT_NE(c.description.find("cgroup v2"), std::string::npos) << c.description;
  EXPECT_NE(c.description.find("no cpu controller"), std::string::npos) << c.description;
}

TEST_F(LocalCloudCgroup, V2WhoseCpuMaxIsNotUsableIsNone) {
  Touch("cgroup.controllers", "cpu memory pids\n");
  Touch("cgroup.subtree_control", "");
  const CpuControl c = DetectCpuControl(root_);
  EXPECT_EQ(c.kind, CpuControl::Kind::kNone);
  EXPECT_NE(c.description.find("cpu.max is not usable"), std::string::npos) << c.description;
}

TEST_F(LocalCloudCgroup, V2WhoseCpuMaxTakesAQuotaIsUsed) {
  Touch("cgroup.controllers", "cpu memory pids\n");
  Touch("cgroup.subtree_control", "");
  Touch("shoal/cgroup.subtree_control", "");
  Touch("shoal/probe/cpu.max", "max 100000\n");
  const CpuControl c = DetectCpuControl(root_);
  EXPECT_EQ(c.kind, CpuControl::Kind::kV2) << c.description;
  EXPECT_EQ(c.description, "cgroup v2 cpu.max");
}

TEST_F(LocalCloudCgroup, InstanceCgroupGetsTheQuotaOfItsCores) {
  Touch("cpu/cpu.cfs_quota_us", "-1\n");
  Touch("cpu/shoal/probe/cpu.cfs_period_us", "");
  Touch("cpu/shoal/probe/cpu.cfs_quota_us", "");
  const CpuControl c = DetectCpuControl(root_);
  ASSERT_EQ(c.kind, CpuControl::Kind::kV1);
  Touch("cpu/shoal/00000000000000a3/cpu.cfs_period_us");
  Touch("cpu/shoal/00000000000000a3/cpu.cfs_quota_us");
  std::string why;
  const std::string procs = CreateInstanceCgroup(c, "00000000000000a3", 0.5 * 2, &why);
  EXPECT_TRUE(why.empty()) << why;
  EXPECT_EQ(procs, root_ + "/cpu/shoal/00000000000000a3/cgroup.procs");
  std::ifstream quota(root_ + "/cpu/shoal/00000000000000a3/cpu.cfs_quota_us");
  std::string value;
  quota >> value;
  EXPECT_EQ(value, "100000");
}

TEST_F(LocalCloudCgroup, NoControlMeansNoInstanceCgroup) {
  std::string why;
  EXPECT_EQ(CreateInstanceCgroup(CpuControl{}, "x", 1.0, &why), "");
}

}  // namespace
}  // namespace shoal
