#include "adapters/local/launch_plan.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "adapters/local/instance_record.h"
#include "adapters/local/syslog_relay.h"

namespace shoal {
namespace {

// What an instance inherits from the daemon's environment: enough to run
// programs and read text, nothing else (the daemon's own variables, a
// SHOAL_TOKEN in its shell, cloud credentials, stay with it).
constexpr std::array<std::string_view, 7> kInheritedEnv = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER"};

std::vector<std::string> InheritedEnviron() {
  std::vector<std::string> out;
  for (const std::string& kv : CurrentEnviron()) {
    const std::string_view name = std::string_view(kv).substr(0, kv.find('='));
    if (std::find(kInheritedEnv.begin(), kInheritedEnv.end(), name) != kInheritedEnv.end()) out.push_back(kv);
  }
  return out;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

Result<LauncherPlan> BuildLaunchPlan(const GroupSpec& spec, const InstanceRecord& rec, const std::string& dir,
                                     const LocalCloudOptions& options, const ReleaseToBoot* release) {
  const LaunchSpec& ls = spec.launch;
  const std::string id_text = rec.id.str();
  const std::string release_dir = release != nullptr ? dir + "/release" : "";
  const std::string version = release != nullptr ? std::to_string(release->version) : "";
  const Placeholders ph{std::to_string(rec.port), dir, id_text, release_dir, version};
  std::vector<std::pair<std::string, std::string>> env = ls.env;
  if (release != nullptr) {
    env.emplace_back("SHOAL_RELEASE_DIR", release_dir);
    env.emplace_back("SHOAL_RELEASE_VERSION", version);
  }
  // Tags last: a config's env cannot forge another instance's ownership.
  for (auto& tag : InstanceTags(rec, InstanceOwner(options.data_dir))) env.push_back(std::move(tag));
  env.emplace_back("SHOAL_INSTANCE_DIR", dir);
  // The relay runs from the shoal binary, like the agent.
  if (!options.agent_binary.empty()) env.emplace_back("SHOAL_SYSLOG_SOCKET", SyslogSocketPath(dir));
  LauncherPlan plan;
  plan.dir = dir;
  plan.stdout_path = dir + "/stdout.log";
  plan.stderr_path = dir + "/stderr.log";
  plan.health_path = dir + "/health";
  plan.failed_path = dir + "/provision-failed";
  plan.env = MergeEnv(InheritedEnviron(), env);
  plan.provision_timeout = options.provision_timeout;
  std::string path_list = "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& kv : plan.env) {
    if (kv.rfind("PATH=", 0) == 0) path_list = kv.substr(5);
  }

  if (release != nullptr) {
    // First, before any step of the group's: the release it runs.
    if (options.agent_binary.empty()) {
      return Status::InvalidArgument("group " + spec.name + " boots a release, but no shoal binary runs the bootstrap");
    }
    ExecSpec boot;
    boot.path = options.agent_binary;
    boot.args = {options.agent_binary, "bootstrap", "--store", release->store_url, "--service", spec.service,
                 "--env", release->env, "--version", version, "--into", release_dir};
    if (!release->cache_dir.empty()) boot.args.insert(boot.args.end(), {"--cache", release->cache_dir});
    boot.label = "bootstrap of release " + version;
    plan.provision.push_back(std::move(boot));
  }
  for (std::size_t i = 0; i < ls.provision.size(); ++i) {
    const std::string where = "group " + spec.name + " launch.provision[" + std::to_string(i) + "]";
    if (ls.provision[i].empty()) return Status::InvalidArgument(where + " is an empty command");
    ExecSpec step;
    step.args = ExpandArgv(ls.provision[i], ph);
    Result<std::string> path = ResolveExecutable(step.args[0], path_list, "the " + where, true);
    if (!path.ok()) return path.status();
    step.path = *path;
    step.label = "provision step " + std::to_string(i + 1) + " (" + Join(step.args) + ")";
    plan.provision.push_back(std::move(step));
  }
  const std::string where = "group " + spec.name + " launch.command";
  if (ls.command.empty()) return Status::InvalidArgument(where + " is empty");
  plan.command.args = ExpandArgv(ls.command, ph);
  // Provisioning may unpack the program, so only a bare name is checked now.
  Result<std::string> path =
      ResolveExecutable(plan.command.args[0], path_list, "the " + where, !plan.provision.empty());
  if (!path.ok()) return path.status();
  plan.command.path = *path;
  plan.command.label = "command (" + Join(plan.command.args) + ")";

  if (!options.agent_binary.empty()) {
    ExecSpec agent;
    agent.path = options.agent_binary;
    agent.args = {
        options.agent_binary, "agent", "--imds", "http://127.0.0.1:" + std::to_string(rec.imds_port),
        "--instance",         id_text};
    if (!options.agent_report_url.empty()) {
      agent.args.insert(agent.args.end(), {"--report", options.agent_report_url});
    }
    if (options.agent_credential) agent.args.insert(agent.args.end(), {"--token-file", dir + "/agent-token"});
    agent.label = "agent";
    plan.agent = std::move(agent);
    ExecSpec relay;
    relay.path = options.agent_binary;
    relay.args = {options.agent_binary, "syslog-relay", "--socket-fd", std::to_string(kSyslogRelayFd),
                  "--out", dir + "/syslog.log"};
    relay.label = "syslog relay";
    plan.syslog_relay = std::move(relay);
  }
  return plan;
}

}  // namespace shoal
