#include "api/dashboard_history.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/time.h"

namespace shoal {

void DashboardHistory::Record(const std::string& group, const HistoryPoint& point) {
  std::lock_guard<std::mutex> lock(mu_);
  std::deque<HistoryPoint>& d = points_[group];
  if (!d.empty() && d.back().minute == point.minute) {
    d.back() = point;
  } else if (d.empty() || d.back().minute < point.minute) {
    d.push_back(point);
  }
  while (!d.empty() && d.front().minute <= point.minute - kMaxMinutes) d.pop_front();
}

void DashboardHistory::Retain(const std::vector<std::string>& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = points_.begin(); it != points_.end();) {
    it = std::find(keep.begin(), keep.end(), it->first) == keep.end() ? points_.erase(it) : std::next(it);
  }
}

std::vector<HistoryPoint> DashboardHistory::Read(const std::string& group, std::int64_t to, int minutes) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HistoryPoint> out;
  const auto it = points_.find(group);
  if (it == points_.end()) return out;
  for (const HistoryPoint& p : it->second) {
    if (p.minute > to - minutes && p.minute <= to) out.push_back(p);
  }
  return out;
}

std::string HistoryJson(const GroupSpec& spec, const GroupState& state, const std::vector<HistoryPoint>& points,
                        std::int64_t now, int minutes) {
  using nlohmann::ordered_json;
  const std::int64_t to = MinuteOf(now);
  ordered_json rows = ordered_json::array();
  std::size_t next = 0;
  for (std::int64_t m = to - minutes + 1; m <= to; ++m) {
    ordered_json row;
    row["minute"] = m;
    row["time"] = m * kMinute;
    while (next < points.size() && points[next].minute < m) ++next;
    if (next < points.size() && points[next].minute == m) {
      const HistoryPoint& p = points[next];
      row["desired"] = p.desired;
      row["in_service"] = p.in_service;
      row["capacity"] = p.capacity;
      row["cost_per_hour"] = p.cost_per_hour;
    } else {
      for (const char* k : {"desired", "in_service", "capacity", "cost_per_hour"}) row[k] = nullptr;
    }
    const auto avg = [](const std::optional<Datapoint>& d) {
      return d && d->count > 0 ? ordered_json(d->sum / d->count) : ordered_json();
    };
    row["cpu_percent"] = avg(state.cpu.At(m));
    row["requests_per_target"] = avg(state.requests_per_target.At(m));
    rows.push_back(row);
  }
  ordered_json j;
  j["group"] = spec.name;
  j["now"] = now;
  j["minutes"] = minutes;
  j["points"] = rows;
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace shoal
