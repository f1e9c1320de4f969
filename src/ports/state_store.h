// Durable control-plane state: each group's decision state and the activity
// history. The daemon writes a group's state before it acts on a plan, so a
// crash at any point restarts from a state that is at most one tick behind
// what the cloud shows (and the cloud is then adopted, never relaunched).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/activity.h"
#include "core/decide.h"
#include "core/group.h"
#include "core/status.h"

namespace shoal {

struct StoredActivity {
  std::int64_t seq = 0;  // increasing, assigned by the store
  Activity activity;
  // Why the stored row could not be read in full (a field of the wrong type,
  // an unknown kind, ...), empty when it could. The activity then holds what
  // could be read; the log is history, so one bad row never hides the rest.
  std::string unreadable;
};

// The configuration the daemon last ran: the file it started with, or the
// text of the last `shoal apply`. A restart compares it with the file it is
// given, so an apply that the file does not carry is never undone silently.
struct ConfigRecord {
  std::string source;  // file name or apply source
  std::string yaml;
  std::int64_t saved_at = 0;  // wall-clock seconds
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Replaces the stored state of `group` (atomically).
  virtual Status SaveGroupState(const std::string& group, const GroupState& state) = 0;
  // The stored state, rebuilt for `spec` (alarm vectors sized to it), or
  // nullopt when the group was never saved. Metric histories are not kept.
  virtual Result<std::optional<GroupState>> LoadGroupState(const GroupSpec& spec) = 0;
  virtual Status DeleteGroupState(const std::string& group) = 0;
  virtual Status AppendActivities(const std::vector<Activity>& activities) = 0;
  // Activities with seq > after_seq (oldest first), of one group or all
  // (group empty), at most `limit`.
  virtual Result<std::vector<StoredActivity>> ListActivities(const std::string& group, std::int64_t after_seq,
                                                             int limit) = 0;
  // The newest `limit` activities with seq < before_seq and time >= since
  // (oldest first), of one group or all: a page back from the newest.
  virtual Result<std::vector<StoredActivity>> ListLatestActivities(const std::string& group, std::int64_t before_seq,
                                                                   std::int64_t since, int limit) = 0;
  // Replaces the record of the configuration last run.
  virtual Status SaveLastConfig(const ConfigRecord& record) = 0;
  // nullopt before the first save.
  virtual Result<std::optional<ConfigRecord>> LoadLastConfig() = 0;
};

}  // namespace shoal
