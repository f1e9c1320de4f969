// The user data that starts Shoal's spot agent on an EC2 instance.
//
// With `provider.aws.agent` set, each launch's user data becomes a MIME
// multipart message (the format cloud-init reads): first Shoal's part, a
// shell script that writes the instance's agent credential and starts
// `shoal agent` against the real IMDS (as a systemd service where systemd
// runs, else in the background), then the group's own `launch.aws.user_data`
// unchanged. The credential is per launch (it is derived from the launch
// token, which is known before EC2 names the instance), so it lets the agent
// report events of that one instance and nothing else.
//
// Every value put into the script is checked to a character set that needs
// no quoting beyond single quotes (CheckAgentBootstrap), so the config cannot
// inject shell.
#pragma once

#include <string>

#include "core/status.h"

namespace shoal::aws {

struct AgentBootstrap {
  std::string report_url;  // the daemon's API as instances reach it: http://HOST:PORT
  std::string binary = "/usr/local/bin/shoal";  // where the image has (or the script puts) shoal
  std::string binary_url;     // "" = the image has the binary; else fetched from here at boot
  std::string binary_sha256;  // required with binary_url: the fetched file must match it
  // Set per launch, for a warm-pool launch only: the instance's service as
  // the agent reaches it (http://127.0.0.1:PORT/PATH, the group's health
  // check); the agent reports "provisioned" once it answers, and the daemon
  // then stops the instance into the pool.
  std::string ready_url = "";  // (initialised so brace-initialisers may leave it out)
};

// A release the instance boots (launch.release): Shoal's part runs
// `shoal bootstrap` into /opt/shoal/releases/<version> after starting the
// agent, and points /opt/shoal/release at it, before the group's own user
// data runs (cloud-init runs the parts in order).
struct ReleaseBootstrap {
  std::string store;    // s3://bucket[/prefix] (the instance profile must read it)
  std::string service;
  std::string env;
  int version = 0;
};
inline constexpr const char* kReleaseLink = "/opt/shoal/release";

// Central logs through Kafka (logs.kafka_brokers): Shoal's part ends by
// configuring the instance's rsyslogd with `shoal logs rsyslog-config`, so
// that what its programs send to syslog (and, through journald, its systemd
// services' stdout/stderr) reaches the topic labelled as the daemon labels
// lines, and the daemon's indexer stores it. The instance id comes from the
// instance metadata at boot; the rest is known at launch. An image without
// rsyslogd and omkafka (Debian: rsyslog rsyslog-kafka) boots anyway, saying
// on the console that its logs are not shipped.
struct LogShipping {
  std::string brokers;  // host:port[,host:port...]
  std::string topic;
  std::string group;
  std::string pool;     // the spot pool's name; "" on demand
  std::string release;  // the version the instance boots; "" for none
};

// A warm-pool launch's ready URL: the service on the instance's loopback,
// at its port and health check path.
std::string WarmReadyUrl(int service_port, const std::string& health_path);

// Why `r` cannot be put into a script, or Ok.
Status CheckReleaseBootstrap(const ReleaseBootstrap& r);

// Why `l` cannot be put into a script (a value would need more than single
// quotes, or is empty where it must not be), or Ok.
Status CheckLogShipping(const LogShipping& l);

// Why `a` cannot be put into a script, or Ok.
Status CheckAgentBootstrap(const AgentBootstrap& a);

// Why `user_data` cannot follow the agent's part in one multipart message
// (it must be a script, cloud-config or other cloud-init text part, not MIME
// itself), or Ok. Empty user data is fine.
Status CheckUserDataForAgent(const std::string& user_data);

// The cloud-init content type of a text part, from its first line
// ("#!" -> text/x-shellscript, "#cloud-config" -> text/cloud-config, ...),
// or "" when cloud-init would not recognise it.
std::string CloudInitContentType(const std::string& part);

// The whole user data of one launch. `a` and `user_data` must have passed
// the checks above; `credential` is hex.
std::string AgentUserData(const AgentBootstrap& a, const std::string& credential, const std::string& user_data,
                          const ReleaseBootstrap* release = nullptr, const LogShipping* logs = nullptr);

// Just Shoal's shell script (the first part), for tests and docs.
std::string AgentScript(const AgentBootstrap& a, const std::string& credential,
                        const ReleaseBootstrap* release = nullptr, const LogShipping* logs = nullptr);

}  // namespace shoal::aws
