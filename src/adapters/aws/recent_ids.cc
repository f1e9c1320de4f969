#include "adapters/aws/recent_ids.h"

namespace shoal::aws {

bool RecentIds::Insert(std::string_view id) {
  auto [it, added] = seq_.try_emplace(std::string(id), next_);
  if (!added) return false;
  order_.emplace_back(it->first, next_++);
  while (seq_.size() > capacity_) EvictOldest();
  // Erased ids leave stale entries behind; drop them before they outnumber the live ones.
  if (order_.size() > 2 * capacity_) {
    std::deque<std::pair<std::string, std::uint64_t>> live;
    for (auto& entry : order_) {
      const auto found = seq_.find(entry.first);
      if (found != seq_.end() && found->second == entry.second) live.push_back(std::move(entry));
    }
    order_ = std::move(live);
  }
  return true;
}

void RecentIds::EvictOldest() {
  while (!order_.empty()) {
    const auto [id, seq] = std::move(order_.front());
    order_.pop_front();
    const auto found = seq_.find(id);
    if (found != seq_.end() && found->second == seq) {
      seq_.erase(found);
      return;
    }
  }
}

}  // namespace shoal::aws
