// Prints an rsyslog + omkafka configuration for one instance
// (adapters/kafka/rsyslog_config.h). Labels not given on the command line
// come from the daemon (GET /v1/instances); brokers and topic from
// --brokers/--topic, else from a config file's logs: section.
#include "cli/rsyslog_config_command.h"

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "adapters/blob/file_io.h"
#include "adapters/config/config.h"
#include "adapters/kafka/rsyslog_config.h"
#include "cli/api_client.h"

namespace shoal {
namespace {

struct RsyslogArgs {
  ApiTarget target;
  RsyslogKafkaSpec spec;
  bool group_given = false;
  bool pool_given = false;
  bool release_given = false;
  bool topic_given = false;
  std::string config;
  std::string queue_max_disk = "1GiB";
  std::string output;
};

// The instance's group, pool and release version, as the daemon has them.
Status FillFromDaemon(RsyslogArgs* a) {
  Result<std::string> body = ApiGet(a->target, "/v1/instances");
  if (!body.ok()) {
    return Status::Unavailable("cannot ask the daemon for " + a->spec.instance + "'s labels (" + body.status().message() +
                               "); give --group, --pool and --release");
  }
  const nlohmann::json all = nlohmann::json::parse(*body, nullptr, false);
  if (all.is_discarded() || !all.is_array()) {
    return Status::IoError("the daemon's /v1/instances answer is not an instance list");
  }
  for (const nlohmann::json& in : all) {
    if (!in.is_object() || in.value("id", "") != a->spec.instance) continue;
    if (!a->group_given) a->spec.group = in.value("group", "");
    // As the collector labels lines: a spot pool's name, "" on demand.
    if (!a->pool_given) a->spec.pool = in.value("market", "") == "spot" ? in.value("pool", "") : "";
    if (!a->release_given) {
      const std::int64_t version = in.contains("version") && in["version"].is_number_integer() ? in["version"].get<std::int64_t>() : 0;
      a->spec.release = version > 0 ? std::to_string(version) : "";
    }
    return Status::Ok();
  }
  return Status::NotFound("the daemon has no instance " + a->spec.instance + "; give --group, --pool and --release");
}

int Generate(RsyslogArgs a) {
  if (!a.group_given || !a.pool_given) {
    if (Status s = FillFromDaemon(&a); !s.ok()) return Fail(s);
  }
  if (!a.config.empty()) {
    Result<Config> config = LoadConfigFile(a.config);
    if (!config.ok()) return Fail(config.status());
    if (a.spec.brokers.empty()) a.spec.brokers = config->logs.kafka_brokers;
    if (!a.topic_given) a.spec.topic = config->logs.kafka_topic;
  }
  if (a.spec.brokers.empty()) {
    return Fail(Status::InvalidArgument("no Kafka brokers: give --brokers, or --config with logs.kafka_brokers set"));
  }
  const std::optional<std::int64_t> bytes = ParseByteSize(a.queue_max_disk);
  if (!bytes) return Fail(Status::InvalidArgument("--queue-max-disk: expected a size like 1GiB, got \"" + a.queue_max_disk + "\""));
  a.spec.queue_max_disk = *bytes;
  Result<std::string> text = RsyslogKafkaConfig(a.spec);
  if (!text.ok()) return Fail(text.status());
  if (a.output.empty() || a.output == "-") {
    std::cout << *text << std::flush;
    return 0;
  }
  if (Status s = WriteFileAtomically(a.output, *text); !s.ok()) return Fail(s);
  return 0;
}

}  // namespace

void AddRsyslogConfigCommand(CLI::App* logs, int* exit_code) {
  auto a = std::make_shared<RsyslogArgs>();
  CLI::App* c = logs->add_subcommand(
      "rsyslog-config",
      "Print an rsyslog + omkafka config that ships what an instance sends to syslog into the log topic");
  c->add_option("instance", a->spec.instance, "the instance id (its labels come from the daemon unless given)")
      ->required();
  CLI::Option* group = c->add_option("--group", a->spec.group, "the instance's group (default: ask the daemon)");
  CLI::Option* pool = c->add_option("--pool", a->spec.pool, "its pool (default: ask the daemon)");
  CLI::Option* release = c->add_option("--release", a->spec.release, "its release version (default: ask the daemon; \"\" = none)");
  c->add_option("--brokers", a->spec.brokers, "Kafka brokers, host:port[,host:port...] (default: --config's logs.kafka_brokers)");
  CLI::Option* topic = c->add_option("--topic", a->spec.topic, "the topic (default: --config's logs.kafka_topic, else shoal-logs)");
  c->add_option("--config", a->config, "the daemon's config file, for logs.kafka_brokers and logs.kafka_topic");
  c->add_option("--socket", a->spec.socket,
                "a socket of its own for the instance's programs (default: the host's /dev/log; required with --standalone)");
  c->add_flag("--standalone", a->spec.standalone,
              "a whole config for an rsyslogd of its own (rsyslogd -f FILE), not a drop-in for /etc/rsyslog.d/");
  c->add_option("--queue-dir", a->spec.queue_dir, "where the disk queue and failed messages are kept (default /var/spool/rsyslog)");
  c->add_option("--queue-max-disk", a->queue_max_disk, "how much the disk queue may hold (default 1GiB)");
  c->add_option("-o,--output", a->output, "write the config to this file (atomically) instead of stdout");
  AddApiOptions(c, &a->target);
  c->callback([a, exit_code, group, pool, release, topic] {
    a->group_given = group->count() > 0;
    a->pool_given = pool->count() > 0;
    a->release_given = release->count() > 0;
    a->topic_given = topic->count() > 0;
    *exit_code = Generate(*a);
  });
}

}  // namespace shoal
