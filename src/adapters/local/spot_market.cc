#include "adapters/local/spot_market.h"

#include <algorithm>
#include <set>

#include "adapters/sim/spot_market.h"

namespace shoal {

// A note on Tracked::bid: once an instance has its notice it can get no other
// (no price notice, no second interrupt), so the bid no longer matters and the
// field keeps the notice's termination time instead; that is what lets a
// repeated interrupt return the very same notice after TakeNotices handed the
// first one out. Seconds up to 2^53 are exact in a double.

LocalSpotMarket::LocalSpotMarket(const SpotMarket* prices, std::vector<std::string> pool_names, double flat_price,
                                 Seconds notice_seconds)
    : prices_(prices), pool_names_(std::move(pool_names)), flat_price_(flat_price), notice_seconds_(notice_seconds) {}

double LocalSpotMarket::Price(const std::string& pool, Seconds now) const {
  // pool_names_ and prices_ never change after construction: no lock needed.
  if (prices_ == nullptr) return flat_price_;
  auto it = std::find(pool_names_.begin(), pool_names_.end(), pool);
  const auto index = static_cast<std::size_t>(it - pool_names_.begin());
  if (it == pool_names_.end() || index >= prices_->size()) return flat_price_;
  return prices_->Price(index, std::max<Seconds>(now, 0));
}

bool LocalSpotMarket::HasCapacity(const std::string& pool, Seconds now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shortage_until_.find(pool);
  return it == shortage_until_.end() || now >= it->second;
}

void LocalSpotMarket::SetShortage(const std::string& pool, Seconds until) {
  std::lock_guard<std::mutex> lock(mu_);
  shortage_until_[pool] = until;
}

void LocalSpotMarket::Track(InstanceId id, const std::string& pool, double bid) {
  std::lock_guard<std::mutex> lock(mu_);
  // Tracking again (a restarted daemon adopting its instances) keeps a notice.
  auto [it, inserted] = tracked_.try_emplace(id, Tracked{pool, bid, std::nullopt});
  if (!inserted && !it->second.notice) it->second = Tracked{pool, bid, std::nullopt};
}

void LocalSpotMarket::Forget(InstanceId id) {
  std::lock_guard<std::mutex> lock(mu_);
  tracked_.erase(id);
  std::erase_if(pending_, [id](const LocalNotice& n) { return n.id == id; });
}

// Callers hold the market's mutex.
LocalNotice LocalSpotMarket::NoticeOnce(Tracked& t, InstanceId id, Seconds now) {
  if (t.notice) return *t.notice;
  t.notice = LocalNotice{id, now, now + notice_seconds_};
  pending_.push_back(*t.notice);
  return *t.notice;
}

Result<LocalNotice> LocalSpotMarket::Interrupt(InstanceId id, Seconds now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tracked_.find(id);
  if (it == tracked_.end()) {
    return Status::NotFound("no spot instance " + id.str() + "; `shoal get instances` lists them");
  }
  return NoticeOnce(it->second, id, now);
}

Result<std::vector<LocalNotice>> LocalSpotMarket::InterruptPool(const std::string& pool, Seconds now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LocalNotice> notices;
  for (auto& [id, t] : tracked_) {
    if (t.pool == pool) notices.push_back(NoticeOnce(t, id, now));
  }
  const bool known = !notices.empty() || std::find(pool_names_.begin(), pool_names_.end(), pool) != pool_names_.end();
  if (known) return notices;
  std::set<std::string> names(pool_names_.begin(), pool_names_.end());
  for (const auto& [id, t] : tracked_) names.insert(t.pool);
  std::string listed;
  for (const std::string& n : names) listed += (listed.empty() ? "" : ", ") + n;
  return Status::NotFound("no spot pool '" + pool + "'; known pools: " + (listed.empty() ? "none" : listed));
}

std::vector<LocalNotice> LocalSpotMarket::TakeNotices(Seconds now) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, t] : tracked_) {
    // A bid of 0 means "up to the on-demand price": the price never exceeds it.
    if (t.notice || t.bid <= 0 || Price(t.pool, now) <= t.bid) continue;
    NoticeOnce(t, id, now);
  }
  std::vector<LocalNotice> taken;
  taken.swap(pending_);
  return taken;
}

}  // namespace shoal
