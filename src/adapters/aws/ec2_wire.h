// EC2's query-protocol side of Ec2Cloud, kept free of I/O so it can be
// tested on canned answers: the tags Shoal puts on its instances, the
// parameters of RunInstances and DescribeInstances, and reading instances
// and spot prices out of the XML answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/aws/client.h"
#include "adapters/aws/xml.h"
#include "core/instance.h"
#include "ports/cloud.h"

namespace shoal::aws {

// The ownership tags, as the local provider puts them in an instance's
// environment (SHOAL_OWNER, SHOAL_GROUP, ...). EC2 keeps the instance type,
// zone and launch time itself, so those are read from the instance.
inline constexpr const char* kEc2TagOwner = "shoal:owner";
inline constexpr const char* kEc2TagGroup = "shoal:group";
inline constexpr const char* kEc2TagToken = "shoal:launch-token";
inline constexpr const char* kEc2TagMarket = "shoal:market";
inline constexpr const char* kEc2TagPool = "shoal:pool";
inline constexpr const char* kEc2TagWeight = "shoal:weight";
inline constexpr const char* kEc2TagVersion = "shoal:version";
// "true" on an instance launched into the warm pool: it is stopped once
// provisioned and started again on a scale-out, so for it (and only for it)
// "stopping" and "stopped" are states it lives in, not on its way out.
inline constexpr const char* kEc2TagWarm = "shoal:warm";

// EC2's ClientToken: at most 64 ASCII characters. A longer (or non-ASCII)
// launch token becomes its SHA-256 in hex, so the same token always maps to
// the same ClientToken.
std::string Ec2ClientToken(const std::string& launch_token);

// What RunInstances is given besides the request itself (from the group's
// launch options, the subnet already chosen for the zone).
struct RunInstancesInput {
  std::string owner;
  std::string image_id;
  std::string subnet_id;  // "" leaves SubnetId out
  std::vector<std::string> security_group_ids;
  std::string instance_profile;  // name; "" leaves it out
  std::string key_name;          // "" leaves it out
  std::string user_data;         // plain text; base64-encoded here
  std::vector<std::pair<std::string, std::string>> extra_tags;
  int version = 0;  // the release it boots (the shoal:version tag)
};

Params RunInstancesParams(const LaunchRequest& request, const RunInstancesInput& input);

// DescribeInstances filtered by the owner tag and `states`, plus the launch
// token tag when `token` is given; one page of up to 1000.
Params DescribeInstancesParams(const std::string& owner, const std::vector<std::string>& states,
                               const std::string& token, const std::string& next_token);

// One instance of a DescribeInstances or RunInstances answer.
struct Ec2Instance {
  // `running` is set from the state: pending or running, or (a warm-pool
  // instance only) stopping or stopped.
  DescribedInstance described;
  std::string state;            // pending, running, shutting-down, terminated, stopping, stopped
};

// The instances under `items` (RunInstances: instancesSet/item;
// DescribeInstances: reservationSet/item/instancesSet/item). An instance
// whose id is not a valid InstanceId is left out. `port` is the service
// port put in each address.
std::vector<Ec2Instance> ParseInstances(const std::vector<XmlNode>& items, int port);

// The latest Linux/UNIX price in `zone` of a DescribeSpotPriceHistory
// answer (EC2 may answer for other zones or descriptions too), or nothing.
std::optional<double> LatestSpotPrice(const XmlNode& root, const std::string& zone);

// "2026-12-02T13:46:55.000Z" (EC2's form, with milliseconds) -> Unix seconds.
Result<std::int64_t> ParseEc2Time(const std::string& text);

std::string Base64(const std::string& data);

}  // namespace shoal::aws
