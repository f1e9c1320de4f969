#include "adapters/local/instance_record.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

namespace shoal {

std::string InstanceDirName(InstanceId id) { return id.str().substr(2); }

namespace {

constexpr std::string_view kTagOwner = "SHOAL_OWNER";
constexpr std::string_view kTagId = "SHOAL_INSTANCE_ID";
constexpr std::string_view kTagGroup = "SHOAL_GROUP";
constexpr std::string_view kTagToken = "SHOAL_LAUNCH_TOKEN";
constexpr std::string_view kTagMarket = "SHOAL_MARKET";
constexpr std::string_view kTagPool = "SHOAL_POOL";
constexpr std::string_view kTagType = "SHOAL_INSTANCE_TYPE";
constexpr std::string_view kTagZone = "SHOAL_ZONE";
constexpr std::string_view kTagWeight = "SHOAL_WEIGHT";
constexpr std::string_view kTagLaunched = "SHOAL_LAUNCHED_AT";
constexpr std::string_view kTagPort = "PORT";

}  // namespace

std::string InstanceOwner(const std::string& data_dir) {
  std::uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : data_dir) hash = (hash ^ c) * 16777619u;
  char out[9];
  std::snprintf(out, sizeof(out), "%08x", hash);
  return out;
}

std::vector<std::pair<std::string, std::string>> InstanceTags(const InstanceRecord& r, const std::string& owner) {
  return {{std::string(kTagOwner), owner},
          {std::string(kTagId), r.id.str()},
          {std::string(kTagGroup), r.group},
          {std::string(kTagToken), r.launch_token},
          {std::string(kTagMarket), std::string(ToString(r.market))},
          {std::string(kTagPool), r.pool},
          {std::string(kTagType), r.instance_type},
          {std::string(kTagZone), r.zone},
          {std::string(kTagWeight), std::to_string(r.weight)},
          {std::string(kTagLaunched), std::to_string(r.launched_at)},
          {std::string(kTagPort), std::to_string(r.port)}};
}

std::optional<InstanceRecord> RecordFromTags(const std::vector<std::string>& environ, const std::string& owner) {
  std::map<std::string_view, std::string_view> tags;
  for (const std::string& kv : environ) {
    const std::size_t eq = kv.find('=');
    if (eq != std::string::npos) tags[std::string_view(kv).substr(0, eq)] = std::string_view(kv).substr(eq + 1);
  }
  auto tag = [&](std::string_view name) -> std::string {
    const auto it = tags.find(name);
    return it == tags.end() ? std::string() : std::string(it->second);
  };
  if (tag(kTagOwner) != owner) return std::nullopt;
  const std::optional<InstanceId> id = InstanceId::Parse(tag(kTagId));
  if (!id || tag(kTagGroup).empty()) return std::nullopt;
  InstanceRecord r;
  r.id = *id;
  r.group = tag(kTagGroup);
  r.launch_token = tag(kTagToken);
  r.market = tag(kTagMarket) == ToString(Market::kSpot) ? Market::kSpot : Market::kOnDemand;
  r.pool = tag(kTagPool);
  r.instance_type = tag(kTagType);
  r.zone = tag(kTagZone);
  try {
    r.weight = std::stod(tag(kTagWeight));
    r.launched_at = std::stoll(tag(kTagLaunched));
    r.port = std::stoi(tag(kTagPort));
  } catch (const std::exception&) {
    return std::nullopt;  // tags someone changed by hand: not ours to manage
  }
  if (r.weight <= 0 || r.port <= 0 || r.port > 65535) return std::nullopt;
  r.state = kRecordRunning;
  return r;
}

std::string RecordToJson(const InstanceRecord& r) {
  nlohmann::json j = {
      {"id", r.id.str()},
      {"group", r.group},
      {"market", std::string(ToString(r.market))},
      {"pool", r.pool},
      {"instance_type", r.instance_type},
      {"zone", r.zone},
      {"weight", r.weight},
      {"bid", r.bid},
      {"version", r.version},
      {"port", r.port},
      {"launch_token", r.launch_token},
      {"launched_at", r.launched_at},
      {"imds_port", r.imds_port},
      {"pgid", r.pgid},
      {"start_ticks", r.start_ticks},
      {"interrupt_at", r.interrupt_at},
      {"state", r.state},
  };
  return j.dump(2) + "\n";
}

Result<InstanceRecord> ParseRecord(const std::string& json_text) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json_text);
    InstanceRecord r;
    // Written as a string; versions before string ids wrote the counter.
    const nlohmann::json& id_field = j.at("id");
    const std::optional<InstanceId> id =
        id_field.is_number_unsigned() ? InstanceId::FromCounter(id_field.get<std::uint64_t>())
                                      : InstanceId::Parse(id_field.get<std::string>());
    if (!id) return Status::InvalidArgument("id: not an instance id");
    r.id = *id;
    r.group = j.at("group").get<std::string>();
    const std::string market = j.at("market").get<std::string>();
    if (market == ToString(Market::kSpot)) {
      r.market = Market::kSpot;
    } else if (market == ToString(Market::kOnDemand)) {
      r.market = Market::kOnDemand;
    } else {
      return Status::InvalidArgument("market: unknown value \"" + market + "\"");
    }
    r.pool = j.value("pool", "");
    r.instance_type = j.value("instance_type", "");
    r.zone = j.value("zone", "");
    r.weight = j.value("weight", 1.0);
    r.bid = j.value("bid", 0.0);
    r.version = j.value("version", 0);
    r.port = j.at("port").get<int>();
    r.launch_token = j.value("launch_token", "");
    r.launched_at = j.value("launched_at", Seconds{0});
    r.imds_port = j.value("imds_port", 0);
    r.pgid = j.value("pgid", 0);
    r.start_ticks = j.value("start_ticks", std::uint64_t{0});
    r.interrupt_at = j.value("interrupt_at", kNever);
    r.state = j.at("state").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(e.what());
  }
}

Status WriteLocalFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> ReadLocalFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status WriteRecord(const std::string& instance_dir, const InstanceRecord& r) {
  return WriteLocalFileAtomic(instance_dir + "/instance.json", RecordToJson(r));
}

Result<InstanceRecord> ReadRecord(const std::string& instance_dir) {
  const std::string path = instance_dir + "/instance.json";
  Result<std::string> text = ReadLocalFile(path);
  if (!text.ok()) return text.status();
  Result<InstanceRecord> r = ParseRecord(*text);
  if (!r.ok()) return Status::InvalidArgument(path + ": " + r.status().message());
  return r;
}

}  // namespace shoal
