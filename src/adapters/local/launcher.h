// The launcher: the first process of a local instance. Launch() prepares a
// LauncherPlan (every path, argv and environment string resolved up front),
// then SpawnLauncher forks. The child only makes system calls on memory
// prepared before the fork, because the daemon is multi-threaded (HTTP
// servers, IMDS) and a forked child of such a process must not take locks
// another thread may have held (malloc, stdio, iostreams).
//
// The child: setsid() (its pid becomes the instance's process group id),
// stdin from /dev/null, stdout/stderr to the instance's log files, every
// other inherited descriptor closed (the daemon's listening sockets must not
// outlive it in the service), joins the cgroup, starts the agent, runs the
// provision steps in order, writes the health file, execs the command.
// A failing step writes <dir>/provision-failed with the reason and exits 1.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace shoal {

struct Placeholders {
  std::string port;
  std::string dir;
  std::string id;
  std::string release;  // the unpacked release's folder ("" when the group boots none)
  std::string version;  // its version
};

// "{port}", "{dir}", "{id}", "{release}" and "{version}" anywhere in `arg`
// become their values; any other text, including other braces, stays as
// written.
std::string ExpandPlaceholders(std::string_view arg, const Placeholders& p);
std::vector<std::string> ExpandArgv(const std::vector<std::string>& argv, const Placeholders& p);

// `base` (NAME=value strings, e.g. the daemon's environ) overridden by `extra`.
std::vector<std::string> MergeEnv(const std::vector<std::string>& base,
                                  const std::vector<std::pair<std::string, std::string>>& extra);
std::vector<std::string> CurrentEnviron();

// The program to execve for argv[0]: a bare name is searched in `path_list`
// (colon-separated, like PATH). A name with a slash is used as written: an
// absolute one must exist unless `may_appear_later` (provisioning may create
// it); a relative one is resolved in the instance directory when it runs.
// Errors name the command and `where` it was configured.
Result<std::string> ResolveExecutable(const std::string& name, const std::string& path_list,
                                      const std::string& where, bool may_appear_later);

struct ExecSpec {
  std::string path;               // what execve runs
  std::vector<std::string> args;  // argv, args[0] as configured
  std::string label;              // for messages: "provision step 2 (touch /x/a)"
};

// The descriptor number the syslog relay finds its bound socket at.
inline constexpr int kSyslogRelayFd = 3;

struct LauncherPlan {
  std::string dir;
  std::string stdout_path;
  std::string stderr_path;
  std::string health_path;
  std::string failed_path;   // <dir>/provision-failed
  std::string cgroup_procs;  // "" = no cgroup
  std::vector<std::string> env;
  std::optional<ExecSpec> agent;
  // `shoal syslog-relay --socket-fd 3 …` (adapters/local/syslog_relay.h): the
  // launcher binds <dir>/syslog.sock and hands it over as descriptor 3.
  std::optional<ExecSpec> syslog_relay;
  std::vector<ExecSpec> provision;
  ExecSpec command;
  Seconds provision_timeout = 300;
};

// Forks the launcher; returns its pid (= the instance's process group id).
Result<int> SpawnLauncher(const LauncherPlan& plan);

}  // namespace shoal
