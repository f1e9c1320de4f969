#include "providers/make_provider.h"

#include "providers/aws_provider.h"
#include "providers/local_provider.h"

namespace shoal {

Status PrepareLiveConfig(Config* config, const std::string& config_path, int api_port) {
  switch (config->provider.type) {
    case ProviderType::kLocal: return LocalProvider::Prepare(config, config_path, api_port);
    case ProviderType::kAws: return AwsProvider::Prepare(config);
  }
  return Status::InvalidArgument("unknown provider type");
}

Result<std::unique_ptr<Provider>> MakeProvider(const Config& config, ProviderContext context) {
  switch (config.provider.type) {
    case ProviderType::kLocal: {
      Result<std::unique_ptr<LocalProvider>> p = LocalProvider::Start(config, std::move(context));
      if (!p.ok()) return p.status();
      return std::unique_ptr<Provider>(std::move(*p));
    }
    case ProviderType::kAws: {
      Result<std::unique_ptr<AwsProvider>> p = AwsProvider::Start(config, std::move(context));
      if (!p.ok()) return p.status();
      return std::unique_ptr<Provider>(std::move(*p));
    }
  }
  return Status::InvalidArgument("unknown provider type");
}

Status CheckProviderChange(const ProviderSpec& running, const ProviderSpec& next) {
  auto refuse = [](const std::string& key, const std::string& was, const std::string& now) {
    return Status::Conflict("provider." + key + " cannot change while the daemon runs (" + was + " -> " +
                                      now + "): stop it (`shoal down` stops its instances too, SIGTERM leaves "
                                      "them running) and start `shoal serve` with the new file");
  };
  if (running.type != next.type) {
    return refuse("type", std::string(ToString(running.type)), std::string(ToString(next.type)));
  }
  if (running.type != ProviderType::kAws) return Status::Ok();
  const AwsProviderSpec& a = running.aws;
  const AwsProviderSpec& b = next.aws;
  if (a.region != b.region) return refuse("aws.region", a.region, b.region);
  if (a.endpoint != b.endpoint) return refuse("aws.endpoint", a.endpoint, b.endpoint);
  if (a.profile != b.profile) return refuse("aws.profile", a.profile, b.profile);
  if (a.owner != b.owner) return refuse("aws.owner", a.owner, b.owner);
  if (a.spot_queue != b.spot_queue) return refuse("aws.spot_queue", a.spot_queue, b.spot_queue);
  return Status::Ok();
}

Status TearDown(const std::string& data_dir, const std::optional<Config>& last, std::ostream& out) {
  if (last && last->provider.type == ProviderType::kAws) return AwsProvider::TearDown(*last, out);
  return LocalProvider::TearDown(data_dir, out);
}

}  // namespace shoal
