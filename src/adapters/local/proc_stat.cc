#include "adapters/local/proc_stat.h"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace shoal {
namespace {

// Fields after the closing parenthesis of comm, counted from 0 (= field 3, state).
constexpr int kStateField = 0;
constexpr int kPgrpField = 2;
constexpr int kUtimeField = 11;
constexpr int kStimeField = 12;
constexpr int kCutimeField = 13;
constexpr int kCstimeField = 14;
constexpr int kStartTimeField = 19;

bool ParseUnsigned(std::string_view text, std::uint64_t* out) {
  if (text.empty()) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\n') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view line) {
  const std::size_t open = line.find('(');
  const std::size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcStat st;
  std::uint64_t pid = 0;
  std::string_view pid_text = line.substr(0, open);
  while (!pid_text.empty() && pid_text.back() == ' ') pid_text.remove_suffix(1);
  if (!ParseUnsigned(pid_text, &pid)) return std::nullopt;
  st.pid = static_cast<int>(pid);

  const std::vector<std::string_view> f = SplitSpaces(line.substr(close + 1));
  if (f.size() <= kStartTimeField || f[kStateField].size() != 1) return std::nullopt;
  st.state = f[kStateField][0];
  std::uint64_t pgrp = 0;
  if (!ParseUnsigned(f[kPgrpField], &pgrp) || !ParseUnsigned(f[kUtimeField], &st.utime) ||
      !ParseUnsigned(f[kStimeField], &st.stime) || !ParseUnsigned(f[kStartTimeField], &st.start_ticks)) {
    return std::nullopt;
  }
  st.pgrp = static_cast<int>(pgrp);
  // Signed in proc(5) ("long"), never negative in practice: read what parses.
  if (!ParseUnsigned(f[kCutimeField], &st.cutime)) st.cutime = 0;
  if (!ParseUnsigned(f[kCstimeField], &st.cstime)) st.cstime = 0;
  return st;
}

std::optional<ProcStat> ReadProcStat(int pid, const std::string& proc_root) {
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return ParseProcStat(s.str());
}

std::optional<std::vector<std::string>> ReadProcEnviron(int pid, const std::string& proc_root) {
  constexpr std::size_t kMaxEnviron = 1 << 20;  // the kernel caps it far lower; never read without bound
  std::ifstream in(proc_root + "/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxEnviron, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<ProcStat> ScanProcesses(const std::string& proc_root) {
  std::vector<ProcStat> out;
  DIR* dir = ::opendir(proc_root.c_str());
  if (dir == nullptr) return out;
  while (const dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;  // not a process directory
    // A process may exit between readdir and open: it is simply not listed.
    if (auto st = ReadProcStat(static_cast<int>(pid), proc_root)) out.push_back(*st);
  }
  ::closedir(dir);
  return out;
}

}  // namespace shoal
