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
#include "core/metric.h"
#include "core/status.h"

namespace shoal {

// One completed minute of a group's metrics: alarms and the predictive
// policy's load history are rebuilt from these after a restart.
struct MetricRow {
  std::string group;
  std::int64_t minute = 0;
  Datapoint cpu;
  Datapoint requests_per_target;
};

// What one step of the controller changes, written in one transaction: the
// group states, the activities that describe those changes and the metrics
// of completed minutes. All of it lands, or none of it does.
struct StoreWrite {
  // Replace these groups' states (the spec names the group and its parts).
  std::vector<std::pair<const GroupSpec*, const GroupState*>> states;
  std::vector<std::string> deleted_groups;
  std::vector<Activity> activities;
  std::vector<MetricRow> metrics;
  // Metric rows of a written group older than its newest minute minus this
  // are pruned (0: keep all).
  std::int64_t keep_metric_minutes = 0;

  bool empty() const { return states.empty() && deleted_groups.empty() && activities.empty() && metrics.empty(); }
};

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
  // Writes everything in `write` in one transaction.
  virtual Status Commit(const StoreWrite& write) = 0;
  // A group's metric rows from `from_minute` on, oldest first.
  virtual Result<std::vector<MetricRow>> LoadMetrics(const std::string& group, std::int64_t from_minute) = 0;
  // Deletes activities older than `before` (the retention setting).
  virtual Status PruneActivities(Seconds before) = 0;
  // The stored state, rebuilt for `spec` (alarm vectors sized to it), or
  // nullopt when the group was never saved. Metric histories come from
  // LoadMetrics.
  virtual Result<std::optional<GroupState>> LoadGroupState(const GroupSpec& spec) = 0;
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
