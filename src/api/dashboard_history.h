// What the dashboard's charts draw: per group and per minute, the capacity
// the daemon had (desired, in service), what it cost per hour at that
// minute's prices, and the demand the metrics reported (CPU and requests
// per target, from the group's metric window). Kept in memory by the
// daemon since it started, at most kMaxMinutes per group; the loop thread
// records, API threads read.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/decide.h"
#include "core/group.h"

namespace shoal {

struct HistoryPoint {
  std::int64_t minute = 0;  // unix time / 60
  int desired = 0;
  int in_service = 0;
  int capacity = 0;            // instances that count toward capacity (in service, starting, draining excluded)
  double cost_per_hour = 0;    // USD/h of those instances at this minute's prices
};

class DashboardHistory {
 public:
  static constexpr int kMaxMinutes = 24 * 60;

  // The group's figures at `minute`; a later call in the same minute
  // replaces them (the minute shows its last state).
  void Record(const std::string& group, const HistoryPoint& point);
  // Drops the groups not in `keep` (after an apply removed some).
  void Retain(const std::vector<std::string>& keep);
  // The points of minutes [to - minutes + 1, to], oldest first.
  std::vector<HistoryPoint> Read(const std::string& group, std::int64_t to, int minutes) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<HistoryPoint>> points_;
};

// The JSON of GET /v1/groups/{g}/history: `minutes` rows ending at `now`'s
// minute, each with the recorded capacity and cost (null where the daemon
// did not run) and the demand of `state`'s metric window (null where no
// datapoint was reported).
std::string HistoryJson(const GroupSpec& spec, const GroupState& state, const std::vector<HistoryPoint>& points,
                        std::int64_t now, int minutes);

}  // namespace shoal
