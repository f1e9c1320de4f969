#include "adapters/aws/agent_user_data.h"

#include <string_view>
#include <utility>

namespace shoal::aws {
namespace {

// The multipart boundary; user data containing it is refused.
constexpr std::string_view kBoundary = "==shoal-agent-part-3f9c2a==";

bool OnlyOf(std::string_view s, std::string_view allowed) {
  return s.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

bool HostPortUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return false;
  const std::string rest = url.substr(kScheme.size());
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) return false;
  const std::string host = rest.substr(0, colon);
  const std::string port = rest.substr(colon + 1);
  return OnlyOf(host, std::string(kAlnum) + ".-") && OnlyOf(port, "0123456789") && port.size() <= 5 &&
         std::stoi(port) > 0 && std::stoi(port) < 65536;
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

Status CheckReleaseBootstrap(const ReleaseBootstrap& r) {
  const std::string names = std::string(kAlnum) + "._-";
  if (r.store.rfind("s3://", 0) != 0 || r.store.size() > 1024 || r.store.find("..") != std::string::npos ||
      !OnlyOf(r.store, std::string(kAlnum) + "/._:-")) {
    return Status::InvalidArgument("release store \"" + r.store +
                                   "\": instances on AWS boot releases from s3://bucket[/prefix] (letters, digits, "
                                   "'/', '.', '_', '-'); set releases.store");
  }
  if (r.service.empty() || !OnlyOf(r.service, names) || r.env.empty() || !OnlyOf(r.env, names)) {
    return Status::InvalidArgument("release service and env must be names (letters, digits, '.', '_', '-')");
  }
  if (r.version < 1) return Status::InvalidArgument("release version must be 1 or more");
  return Status::Ok();
}

Status CheckLogShipping(const LogShipping& l) {
  // Single-quoted in the script: printable ASCII without a quote is safe;
  // `shoal logs rsyslog-config` checks each value for rsyslog on the instance.
  auto quotable = [](const std::string& v) {
    for (const char c : v) {
      if (c < 0x20 || c > 0x7e || c == '\'') return false;
    }
    return v.size() <= 1024;
  };
  const std::pair<const char*, const std::string*> fields[] = {
      {"brokers", &l.brokers}, {"topic", &l.topic}, {"group", &l.group}, {"pool", &l.pool}, {"release", &l.release}};
  for (const auto& [name, value] : fields) {
    if (!quotable(*value)) {
      return Status::InvalidArgument(std::string("log shipping ") + name + " \"" + *value +
                                     "\" cannot go into the instance's user data (printable ASCII without ', at "
                                     "most 1024 bytes)");
    }
  }
  if (l.brokers.empty() || l.topic.empty() || l.group.empty()) {
    return Status::InvalidArgument("log shipping needs brokers, a topic and the group (logs.kafka_brokers)");
  }
  if (!OnlyOf(l.release, "0123456789")) {
    return Status::InvalidArgument("log shipping release \"" + l.release + "\" must be a version number or empty");
  }
  return Status::Ok();
}

std::string WarmReadyUrl(int service_port, const std::string& health_path) {
  return "http://127.0.0.1:" + std::to_string(service_port) + health_path;
}

Status CheckAgentBootstrap(const AgentBootstrap& a) {
  if (!HostPortUrl(a.report_url)) {
    return Status::InvalidArgument("agent report_url \"" + a.report_url +
                                   "\" must be http://HOST:PORT, the daemon's API as the instances reach it "
                                   "(a private address; start `shoal serve --api` on it)");
  }
  if (a.binary.empty() || a.binary[0] != '/' || a.binary.find("..") != std::string::npos ||
      a.binary.back() == '/' || !OnlyOf(a.binary, std::string(kAlnum) + "/._-")) {
    return Status::InvalidArgument("agent binary \"" + a.binary +
                                   "\" must be an absolute path of letters, digits, '/', '.', '_' and '-'");
  }
  if (!a.ready_url.empty() &&
      (a.ready_url.rfind("http://127.0.0.1:", 0) != 0 || a.ready_url.size() > 1024 ||
       a.ready_url.find('/', 7) == std::string::npos || !OnlyOf(a.ready_url, std::string(kAlnum) + "/._~:?&=+-@,"))) {
    return Status::InvalidArgument("the warm pool's ready URL \"" + a.ready_url +
                                   "\" must be http://127.0.0.1:PORT/PATH without quotes, spaces, '%' or shell characters "
                                   "(the group's launch.aws.port and health_check.path)");
  }
  if (a.binary_url.empty()) {
    if (!a.binary_sha256.empty()) {
      return Status::InvalidArgument("agent binary_sha256 is set without binary_url: nothing is downloaded to check");
    }
    return Status::Ok();
  }
  if ((a.binary_url.rfind("https://", 0) != 0 && a.binary_url.rfind("http://", 0) != 0) ||
      a.binary_url.size() > 2048 || !OnlyOf(a.binary_url, std::string(kAlnum) + "/._~:%?&=+-@,")) {
    return Status::InvalidArgument("agent binary_url \"" + a.binary_url +
                                   "\" must be an http(s) URL without quotes, spaces or shell characters");
  }
  if (a.binary_sha256.size() != 64 || !OnlyOf(a.binary_sha256, "0123456789abcdef")) {
    return Status::InvalidArgument(
        "agent binary_sha256 must be the 64 lowercase hex digits of the binary's SHA-256 (sha256sum prints it): "
        "a downloaded binary is run only if it matches");
  }
  return Status::Ok();
}

std::string CloudInitContentType(const std::string& part) {
  const std::string first = FirstLine(part);
  if (first.rfind("#!", 0) == 0) return "text/x-shellscript";
  if (first.rfind("#cloud-config", 0) == 0) return "text/cloud-config";
  if (first.rfind("#cloud-boothook", 0) == 0) return "text/cloud-boothook";
  if (first.rfind("#include", 0) == 0) return "text/x-include-url";
  if (first.rfind("## template: jinja", 0) == 0) return "text/jinja2";
  return "";
}

Status CheckUserDataForAgent(const std::string& user_data) {
  if (user_data.empty()) return Status::Ok();
  if (user_data.find(kBoundary) != std::string::npos) {
    return Status::InvalidArgument("user_data contains the line Shoal separates the agent's part with (" +
                                   std::string(kBoundary) + ")");
  }
  if (CloudInitContentType(user_data).empty()) {
    return Status::InvalidArgument(
        "user_data must start with #! (a script) or #cloud-config (or another cloud-init text part: "
        "#cloud-boothook, #include) so it can follow the agent's part; it starts \"" +
        FirstLine(user_data).substr(0, 40) + "\"" +
        (user_data.rfind("Content-Type:", 0) == 0 ? " (MIME user data cannot be combined: put its parts in one script)"
                                                   : ""));
  }
  return Status::Ok();
}

std::string AgentScript(const AgentBootstrap& a, const std::string& credential, const ReleaseBootstrap* release,
                        const LogShipping* logs) {
  std::string s;
  s += "#!/bin/sh\n";
  s += "# Shoal's spot agent, written by Shoal at launch: it reports this instance's spot\n";
  s += "# interruption notices and rebalance recommendations to the Shoal daemon.\n";
  s += "set -eu\n";
  s += "shoal_dir=/etc/shoal\n";
  s += "imds=http://169.254.169.254\n";
  s += "binary='" + a.binary + "'\n";
  s += "report='" + a.report_url + "'\n";
  // A warm-pool launch: the agent also says when the service answers.
  const std::string ready = a.ready_url.empty() ? "" : " --ready '" + a.ready_url + "'";
  s += "install -d -m 0700 \"$shoal_dir\"\n";
  s += "(umask 077 && printf '%s\\n' '" + credential + "' > \"$shoal_dir/agent-credential\")\n";
  if (!a.binary_url.empty()) {
    s += "install -d \"$(dirname \"$binary\")\"\n";
    s += "curl -fsS --retry 10 --retry-connrefused --connect-timeout 10 --max-time 600 -o \"$binary.part\" '" +
         a.binary_url + "'\n";
    s += "printf '%s  %s\\n' '" + a.binary_sha256 + "' \"$binary.part\" | sha256sum -c --quiet -\n";
    s += "chmod 0755 \"$binary.part\"\n";
    s += "mv -f \"$binary.part\" \"$binary\"\n";
  }
  s += "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then\n";
  s += "  cat > /etc/systemd/system/shoal-agent.service <<UNIT\n";
  s += "[Unit]\n";
  s += "Description=Shoal spot agent\n";
  s += "After=network-online.target\n";
  s += "Wants=network-online.target\n";
  s += "[Service]\n";
  s += "ExecStart=$binary agent --imds $imds --report $report --token-file $shoal_dir/agent-credential" + ready +
       "\n";
  s += "Restart=always\n";
  s += "RestartSec=5\n";
  s += "[Install]\n";
  s += "WantedBy=multi-user.target\n";
  s += "UNIT\n";
  s += "  systemctl daemon-reload\n";
  s += "  systemctl enable --now shoal-agent.service\n";
  s += "else\n";
  s += "  nohup \"$binary\" agent --imds \"$imds\" --report \"$report\" --token-file \"$shoal_dir/agent-credential\"" +
       ready + " \\\n";
  s += "    >>\"$shoal_dir/agent.log\" 2>&1 </dev/null &\n";
  s += "fi\n";
  if (release != nullptr) {
    // After the agent is up (a notice during a slow download still counts),
    // before the group's own part: it finds the release at /opt/shoal/release.
    const std::string v = std::to_string(release->version);
    s += "# The release this instance boots: fetched from the store, checked and unpacked.\n";
    s += "install -d /opt/shoal/releases /var/cache/shoal\n";
    s += "\"$binary\" bootstrap --store '" + release->store + "' --service '" + release->service + "' --env '" +
         release->env + "' --version " + v + " --into /opt/shoal/releases/" + v + " --cache /var/cache/shoal\n";
    s += "ln -sfn /opt/shoal/releases/" + v + " " + kReleaseLink + "\n";
    s += "printf '%s\\n' " + v + " > \"$shoal_dir/release-version\"\n";
  }
  if (logs != nullptr) {
    // Last: a failure here must not keep the agent or the release from the
    // instance, so it is reported, not fatal.
    s += "# Central logs: syslog (and, through journald, the services' stdout/stderr) to Kafka\n";
    s += "# through this instance's rsyslogd, labelled as the Shoal daemon labels lines.\n";
    s += "rsyslog_dir=/etc/rsyslog.d\n";
    s += "rsyslog_queue=/var/spool/rsyslog\n";
    s += "if [ -d /run/systemd/system ]; then rsyslog_restart='systemctl restart rsyslog'; "
         "else rsyslog_restart='service rsyslog restart'; fi\n";
    s += "ship_logs() {\n";
    s += "  if ! command -v rsyslogd >/dev/null 2>&1 || [ ! -d \"$rsyslog_dir\" ]; then\n";
    s += "    echo 'shoal: no rsyslogd on this image (Debian: apt-get install rsyslog rsyslog-kafka)' >&2\n";
    s += "    return 1\n";
    s += "  fi\n";
    s += "  token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \"$imds/latest/api/token\" "
         "2>/dev/null || true)\n";
    s += "  instance=$(curl -fsS --retry 5 ${token:+-H \"X-aws-ec2-metadata-token: $token\"} "
         "\"$imds/latest/meta-data/instance-id\") || return 1\n";
    s += "  install -d \"$rsyslog_queue\" || return 1\n";
    s += "  \"$binary\" logs rsyslog-config \"$instance\" --group '" + logs->group + "' --pool '" + logs->pool +
         "' --release '" + logs->release + "' --brokers '" + logs->brokers + "' --topic '" + logs->topic +
         "' --queue-dir \"$rsyslog_queue\" -o \"$rsyslog_dir/60-shoal-kafka.conf\" || return 1\n";
    s += "  $rsyslog_restart\n";
    s += "}\n";
    s += "ship_logs || echo 'shoal: this instance'\"'\"'s logs are not shipped (see above)' >&2\n";
  }
  return s;
}

std::string AgentUserData(const AgentBootstrap& a, const std::string& credential, const std::string& user_data,
                          const ReleaseBootstrap* release, const LogShipping* logs) {
  const std::string boundary(kBoundary);
  auto part = [&](const std::string& type, const std::string& filename, const std::string& body) {
    std::string p = "--" + boundary + "\n";
    p += "Content-Type: " + type + "; charset=\"us-ascii\"\n";
    p += "MIME-Version: 1.0\n";
    p += "Content-Disposition: attachment; filename=\"" + filename + "\"\n\n";
    p += body;
    if (!body.empty() && body.back() != '\n') p += "\n";
    return p;
  };
  std::string out = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\nMIME-Version: 1.0\n\n";
  out += part("text/x-shellscript", "shoal-agent.sh", AgentScript(a, credential, release, logs));
  if (!user_data.empty()) out += part(CloudInitContentType(user_data), "user-data", user_data);
  out += "--" + boundary + "--\n";
  return out;
}

}  // namespace shoal::aws
