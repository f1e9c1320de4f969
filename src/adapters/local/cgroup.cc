#include "adapters/local/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "adapters/local/instance_record.h"

namespace shoal {
namespace {

// A fixed name, so a probe left behind by a crash is reused, not piled up.
constexpr const char* kProbeName = "probe";

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool MakeDir(const std::string& path, std::string* why) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return true;
  *why = "cannot create " + path + ": " + std::strerror(errno);
  return false;
}

// Control files exist once the kernel made the directory; never create one
// (on a plain directory that would only pretend to work).
bool WriteControl(const std::string& path, const std::string& value, std::string* why) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *why = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    *why = "cannot write \"" + value + "\" to " + path + ": " + std::strerror(err);
    return false;
  }
  return true;
}

std::string ReadControl(const std::string& path) {
  Result<std::string> text = ReadLocalFile(path);
  if (!text.ok()) return "";
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

long QuotaMicros(double cores) {
  return std::max(1000L, static_cast<long>(std::lround(cores * kCfsPeriodMicros)));
}

// Writes the quota into an existing cgroup directory.
bool SetQuota(CpuControl::Kind kind, const std::string& dir, long quota, std::string* why) {
  if (kind == CpuControl::Kind::kV1) {
    return WriteControl(dir + "/cpu.cfs_period_us", std::to_string(kCfsPeriodMicros), why) &&
           WriteControl(dir + "/cpu.cfs_quota_us", std::to_string(quota), why);
  }
  return WriteControl(dir + "/cpu.max", std::to_string(quota) + " " + std::to_string(kCfsPeriodMicros), why);
}

bool QuotaReadsBack(CpuControl::Kind kind, const std::string& dir, long quota) {
  if (kind == CpuControl::Kind::kV1) return ReadControl(dir + "/cpu.cfs_quota_us") == std::to_string(quota);
  return ReadControl(dir + "/cpu.max").rfind(std::to_string(quota) + " ", 0) == 0;
}

// Creates base/probe, sets a quota, checks it reads back, removes the probe.
bool Probe(CpuControl::Kind kind, const std::string& base, std::string* why) {
  if (!MakeDir(base, why)) return false;
  const std::string probe = base + "/" + kProbeName;
  if (!MakeDir(probe, why)) return false;
  constexpr long kProbeQuota = kCfsPeriodMicros / 2;
  bool ok = SetQuota(kind, probe, kProbeQuota, why);
  if (ok && !QuotaReadsBack(kind, probe, kProbeQuota)) {
    *why = "the quota written to " + probe + " does not read back";
    ok = false;
  }
  ::rmdir(probe.c_str());  // best effort: a leftover probe is reused next time
  return ok;
}

CpuControl None(std::string why) { return {CpuControl::Kind::kNone, "", "none: " + std::move(why)}; }

CpuControl DetectV2(const std::string& root) {
  const std::string controllers = ReadControl(root + "/cgroup.controllers");
  if (controllers.find("cpu") == std::string::npos) {
    return None("cgroup v2 at " + root + " has no cpu controller (cgroup.controllers: \"" + controllers +
                "\")");
  }
  const std::string base = root + "/shoal";
  std::string why;
  // Children get cpu.max only when each parent delegates the controller. A
  // failed delegation is found by the probe below, which says why.
  const bool root_delegates = WriteControl(root + "/cgroup.subtree_control", "+cpu", &why);
  if (!MakeDir(base, &why)) return None("cgroup v2: " + why);
  const bool base_delegates = WriteControl(base + "/cgroup.subtree_control", "+cpu", &why);
  if (root_delegates && base_delegates) why.clear();
  if (!Probe(CpuControl::Kind::kV2, base, &why)) {
    return None("cgroup v2 at " + root + " but cpu.max is not usable in a child cgroup (" + why + ")");
  }
  return {CpuControl::Kind::kV2, base, "cgroup v2 cpu.max"};
}

}  // namespace

CpuControl DetectCpuControl(const std::string& root) {
  if (Exists(root + "/cpu/cpu.cfs_quota_us")) {
    const std::string base = root + "/cpu/shoal";
    std::string why;
    if (Probe(CpuControl::Kind::kV1, base, &why)) {
      return {CpuControl::Kind::kV1, base, "cgroup v1 cpu.cfs_quota_us"};
    }
    return None("cgroup v1 cpu controller at " + root + "/cpu but a child cgroup cannot take a quota (" +
                why + ")");
  }
  if (Exists(root + "/cgroup.controllers")) return DetectV2(root);
  return None("no cgroup cpu controller under " + root);
}

std::string CreateInstanceCgroup(const CpuControl& control, const std::string& name, double cores,
                                 std::string* why) {
  if (control.kind == CpuControl::Kind::kNone) return "";
  const std::string dir = control.base + "/" + name;
  if (!MakeDir(dir, why) || !SetQuota(control.kind, dir, QuotaMicros(cores), why)) return "";
  return dir + "/cgroup.procs";
}

void RemoveInstanceCgroup(const CpuControl& control, const std::string& name) {
  if (control.kind == CpuControl::Kind::kNone) return;
  ::rmdir((control.base + "/" + name).c_str());
}

}  // namespace shoal
