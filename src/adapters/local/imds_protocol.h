// The wire names of EC2's instance metadata service (IMDSv1 and v2), shared
// by the local IMDS server and the spot agent, so the two agree by
// construction; the agent speaks the same to the real service on EC2.
#pragma once

namespace shoal::imds {

inline constexpr const char* kTokenPath = "/latest/api/token";  // PUT: an IMDSv2 session token
inline constexpr const char* kTokenHeader = "X-aws-ec2-metadata-token";
inline constexpr const char* kTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";

inline constexpr const char* kMetaDataPrefix = "/latest/meta-data/";
// Keys under the prefix.
inline constexpr const char* kInstanceId = "instance-id";
inline constexpr const char* kInstanceAction = "spot/instance-action";  // 404 until a spot notice
inline constexpr const char* kRebalance = "events/recommendations/rebalance";  // 404 until a recommendation

}  // namespace shoal::imds
