// CPU shares for local instances: detected, never assumed. Containers and
// VMs differ (cgroup v1, v2 with or without a usable cpu controller, none),
// so the provider probes by creating a child cgroup and writing a quota, and
// reports what it found in words.
#pragma once

#include <string>

namespace shoal {

struct CpuControl {
  enum class Kind { kNone, kV1, kV2 };
  Kind kind = Kind::kNone;
  std::string base;         // where instance cgroups go: <root>/cpu/shoal (v1), <root>/shoal (v2)
  std::string description;  // "cgroup v1 cpu.cfs_quota_us", "none: <why>"
};

inline constexpr long kCfsPeriodMicros = 100000;

// Probes `root` (normally /sys/fs/cgroup): v1 when <root>/cpu/cpu.cfs_quota_us
// exists and a child under <root>/cpu/shoal takes a quota; v2 when
// <root>/cgroup.controllers exists and a child's cpu.max takes one; else none.
CpuControl DetectCpuControl(const std::string& root);

// Creates the instance's cgroup with a quota of `cores` CPUs and returns the
// file the launcher writes itself into (its cgroup.procs), or "" when there
// is no control or it failed (the instance then runs unenforced; *why says).
// `name` must be unique on the host (several daemons and test runs share
// the cgroup tree), e.g. a hash of the data directory plus the instance id.
std::string CreateInstanceCgroup(const CpuControl& control, const std::string& name, double cores,
                                 std::string* why);
// Removes it (possible only once its processes are gone). Safe to repeat.
void RemoveInstanceCgroup(const CpuControl& control, const std::string& name);

}  // namespace shoal
