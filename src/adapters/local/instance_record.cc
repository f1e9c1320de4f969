#include "adapters/local/instance_record.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace shoal {

std::string InstanceDirName(InstanceId id) { return FormatInstanceId(id).substr(2); }

std::string RecordToJson(const InstanceRecord& r) {
  nlohmann::json j = {
      {"id", r.id},
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
    r.id = j.at("id").get<InstanceId>();
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
