// An EC2-compatible instance metadata endpoint per instance, served by the
// daemon on 127.0.0.1 at the instance's own port, with the same paths and
// JSON as EC2 IMDS (v1 GETs, and the v2 PUT /latest/api/token handshake):
//   /latest/meta-data/instance-id
//   /latest/meta-data/instance-type
//   /latest/meta-data/placement/availability-zone
//   /latest/meta-data/instance-life-cycle            "spot" | "on-demand"
//   /latest/meta-data/spot/instance-action           404 until a notice, then
//       {"action":"terminate","time":"2026-11-26T06:30:00Z"}
//   /latest/meta-data/events/recommendations/rebalance  404 until set, then
//       {"noticeTime":"..."}
// The agent (`shoal agent`) polls it, so the same agent works on EC2.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/instance.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

struct ImdsIdentity {
  InstanceId id;
  std::string instance_type;
  std::string zone;
  bool spot = false;
};

class ImdsServer {
 public:
  ImdsServer();
  ~ImdsServer();
  // Starts serving an instance on 127.0.0.1:port (0 = pick a free port);
  // returns the port. Serving the same instance again returns its port.
  Result<int> Serve(const ImdsIdentity& identity, int port);
  void Stop(InstanceId id);
  void StopAll();
  // From now on spot/instance-action answers with this termination time
  // (unix seconds, UTC).
  void SetInstanceAction(InstanceId id, std::int64_t terminate_unix);
  void SetRebalanceRecommendation(InstanceId id, std::int64_t notice_unix);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal
