#include "adapters/local/launch_plan.h"

namespace shoal {
namespace {

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

Result<LauncherPlan> BuildLaunchPlan(const GroupSpec& spec, const InstanceRecord& rec, const std::string& dir,
                                     const LocalCloudOptions& options) {
  const LaunchSpec& ls = spec.launch;
  const std::string id_text = FormatInstanceId(rec.id);
  const Placeholders ph{std::to_string(rec.port), dir, id_text};
  std::vector<std::pair<std::string, std::string>> env = ls.env;
  env.emplace_back("PORT", ph.port);
  env.emplace_back("SHOAL_INSTANCE_ID", id_text);
  env.emplace_back("SHOAL_INSTANCE_DIR", dir);
  LauncherPlan plan;
  plan.dir = dir;
  plan.stdout_path = dir + "/stdout.log";
  plan.stderr_path = dir + "/stderr.log";
  plan.health_path = dir + "/health";
  plan.failed_path = dir + "/provision-failed";
  plan.env = MergeEnv(CurrentEnviron(), env);
  plan.provision_timeout = options.provision_timeout;
  std::string path_list = "/usr/local/bin:/usr/bin:/bin";
  for (const std::string& kv : plan.env) {
    if (kv.rfind("PATH=", 0) == 0) path_list = kv.substr(5);
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
      ResolveExecutable(plan.command.args[0], path_list, "the " + where, !ls.provision.empty());
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
    if (!options.agent_token_file.empty()) {
      agent.args.insert(agent.args.end(), {"--token-file", options.agent_token_file});
    }
    agent.label = "agent";
    plan.agent = std::move(agent);
  }
  return plan;
}

}  // namespace shoal
