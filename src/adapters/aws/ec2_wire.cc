#include "adapters/aws/ec2_wire.h"

#include <openssl/evp.h>

#include <charconv>
#include <map>

#include "adapters/aws/signer.h"
#include "adapters/data/iso_time.h"

namespace shoal::aws {
namespace {

constexpr std::size_t kMaxClientToken = 64;

std::string FormatNumber(double value) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

void AddFilter(Params& p, int index, const std::string& name, const std::vector<std::string>& values) {
  const std::string prefix = "Filter." + std::to_string(index) + ".";
  p.emplace_back(prefix + "Name", name);
  for (std::size_t i = 0; i < values.size(); ++i) p.emplace_back(prefix + "Value." + std::to_string(i + 1), values[i]);
}

std::map<std::string, std::string> TagsOf(const XmlNode& item) {
  std::map<std::string, std::string> tags;
  for (const XmlNode& tag : item.All("tagSet/item")) tags[tag.Text("key")] = tag.Text("value");
  return tags;
}

std::string TagOr(const std::map<std::string, std::string>& tags, const char* key) {
  const auto it = tags.find(key);
  return it == tags.end() ? std::string() : it->second;
}

double ParseDoubleOr(const std::string& text, double fallback) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : fallback;
}

}  // namespace

std::string Ec2ClientToken(const std::string& launch_token) {
  bool ascii = true;
  for (unsigned char c : launch_token) ascii = ascii && c >= 0x20 && c < 0x7f;
  if (ascii && launch_token.size() <= kMaxClientToken) return launch_token;
  return Sha256Hex(launch_token);  // 64 hex digits: exactly the limit
}

Params RunInstancesParams(const LaunchRequest& request, const RunInstancesInput& input) {
  Params p = {{"ImageId", input.image_id}, {"InstanceType", request.instance_type},
              {"MinCount", "1"},           {"MaxCount", "1"}};
  if (!request.launch_token.empty()) p.emplace_back("ClientToken", Ec2ClientToken(request.launch_token));
  if (!input.subnet_id.empty()) p.emplace_back("SubnetId", input.subnet_id);
  if (!request.zone.empty()) p.emplace_back("Placement.AvailabilityZone", request.zone);
  for (std::size_t i = 0; i < input.security_group_ids.size(); ++i) {
    p.emplace_back("SecurityGroupId." + std::to_string(i + 1), input.security_group_ids[i]);
  }
  if (!input.instance_profile.empty()) p.emplace_back("IamInstanceProfile.Name", input.instance_profile);
  if (!input.key_name.empty()) p.emplace_back("KeyName", input.key_name);
  if (!input.user_data.empty()) p.emplace_back("UserData", Base64(input.user_data));
  if (request.market == Market::kSpot) {
    p.emplace_back("InstanceMarketOptions.MarketType", "spot");
    if (request.bid_usd_per_hour > 0) {
      p.emplace_back("InstanceMarketOptions.SpotOptions.MaxPrice", FormatNumber(request.bid_usd_per_hour));
    }
    p.emplace_back("InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time");
    p.emplace_back("InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior", "terminate");
  }
  std::vector<std::pair<std::string, std::string>> tags = {
      {"Name", "shoal-" + request.group},
      {kEc2TagOwner, input.owner},
      {kEc2TagGroup, request.group},
      {kEc2TagMarket, std::string(ToString(request.market))},
      {kEc2TagPool, request.pool},
      {kEc2TagWeight, FormatNumber(request.weight)},
      {kEc2TagVersion, std::to_string(input.version)},
  };
  if (!request.launch_token.empty()) tags.emplace_back(kEc2TagToken, request.launch_token);
  if (request.warm) tags.emplace_back(kEc2TagWarm, "true");
  for (const auto& tag : input.extra_tags) tags.push_back(tag);
  p.emplace_back("TagSpecification.1.ResourceType", "instance");
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string prefix = "TagSpecification.1.Tag." + std::to_string(i + 1) + ".";
    p.emplace_back(prefix + "Key", tags[i].first);
    p.emplace_back(prefix + "Value", tags[i].second);
  }
  return p;
}

Params DescribeInstancesParams(const std::string& owner, const std::vector<std::string>& states,
                               const std::string& token, const std::string& next_token) {
  Params p;
  int filter = 1;
  AddFilter(p, filter++, std::string("tag:") + kEc2TagOwner, {owner});
  AddFilter(p, filter++, "instance-state-name", states);
  if (!token.empty()) AddFilter(p, filter++, std::string("tag:") + kEc2TagToken, {token});
  p.emplace_back("MaxResults", "1000");
  if (!next_token.empty()) p.emplace_back("NextToken", next_token);
  return p;
}

std::vector<Ec2Instance> ParseInstances(const std::vector<XmlNode>& items, int port) {
  std::vector<Ec2Instance> out;
  for (const XmlNode& item : items) {
    const std::optional<InstanceId> id = InstanceId::Parse(item.Text("instanceId"));
    if (!id) continue;
    const auto tags = TagsOf(item);
    Ec2Instance inst;
    inst.state = item.Text("instanceState/name");
    DescribedInstance& d = inst.described;
    d.id = *id;
    d.group = TagOr(tags, kEc2TagGroup);
    const std::string market = TagOr(tags, kEc2TagMarket);
    const bool spot = market.empty() ? item.Text("instanceLifecycle") == "spot" : market == ToString(Market::kSpot);
    d.market = spot ? Market::kSpot : Market::kOnDemand;
    d.pool = TagOr(tags, kEc2TagPool);
    d.instance_type = item.Text("instanceType");
    d.zone = item.Text("placement/availabilityZone");
    d.weight = ParseDoubleOr(TagOr(tags, kEc2TagWeight), 1);
    const auto launched = ParseEc2Time(item.Text("launchTime"));
    d.launched_at = launched.ok() ? *launched : 0;
    d.launch_token = TagOr(tags, kEc2TagToken);
    d.version = static_cast<int>(ParseDoubleOr(TagOr(tags, kEc2TagVersion), 0));
    const std::string ip = item.Text("privateIpAddress");
    if (!ip.empty()) d.address = InstanceAddress{ip, port};
    const bool warm = TagOr(tags, kEc2TagWarm) == "true";
    d.running = inst.state == "pending" || inst.state == "running" ||
                (warm && (inst.state == "stopping" || inst.state == "stopped"));
    out.push_back(std::move(inst));
  }
  return out;
}

std::optional<double> LatestSpotPrice(const XmlNode& root, const std::string& zone) {
  std::optional<double> best;
  std::int64_t best_at = 0;
  for (const XmlNode& item : root.All("spotPriceHistorySet/item")) {
    if (item.Text("availabilityZone") != zone) continue;
    // "Linux/UNIX" and "Linux/UNIX (Amazon VPC)" are both plain Linux.
    if (item.Text("productDescription").rfind("Linux/UNIX", 0) != 0) continue;
    const double price = ParseDoubleOr(item.Text("spotPrice"), -1);
    const auto at = ParseEc2Time(item.Text("timestamp"));
    if (price < 0 || !at.ok()) continue;
    if (!best || *at > best_at) {
      best = price;
      best_at = *at;
    }
  }
  return best;
}

Result<std::int64_t> ParseEc2Time(const std::string& text) {
  // Drop the fractional seconds: "YYYY-MM-DDTHH:MM:SS" + ".mmm" + "Z".
  if (text.size() > 20 && text[19] == '.' && text.back() == 'Z') return ParseIsoUtc(text.substr(0, 19) + "Z");
  return ParseIsoUtc(text);
}

std::string Base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

}  // namespace shoal::aws
