// The local provider's spot market: prices per pool replayed from a price
// history (or a fixed price), capacity shortages, and interruptions asked for
// by an operator (`shoal spot interrupt`) or caused by a price above a bid.
// Each interruption is a notice now and a termination `notice_seconds` later.
// Thread-safe: the API thread interrupts while the reconcile loop reads.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/instance.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

class SpotMarket;  // adapters/sim/spot_market.h: the price paths

struct LocalNotice {
  InstanceId id;
  Seconds issued = 0;
  Seconds terminate_at = 0;
};

class LocalSpotMarket {
 public:
  // `prices` may be null: every pool then costs `flat_price`.
  LocalSpotMarket(const SpotMarket* prices, std::vector<std::string> pool_names, double flat_price,
                  Seconds notice_seconds);

  double Price(const std::string& pool, Seconds now) const;
  bool HasCapacity(const std::string& pool, Seconds now) const;
  // No capacity in `pool` until `until`.
  void SetShortage(const std::string& pool, Seconds until);

  // Spot instances register so that pool interruptions and prices reach them.
  void Track(InstanceId id, const std::string& pool, double bid);
  void Forget(InstanceId id);
  // A notice for one instance / every tracked instance of a pool. Fails
  // naming the instance or pool when it is unknown or not spot.
  Result<LocalNotice> Interrupt(InstanceId id, Seconds now);
  Result<std::vector<LocalNotice>> InterruptPool(const std::string& pool, Seconds now);
  // Notices issued since the last call, including price-above-bid ones
  // detected at `now`.
  std::vector<LocalNotice> TakeNotices(Seconds now);
  Seconds notice_seconds() const { return notice_seconds_; }

 private:
  struct Tracked {
    std::string pool;
    double bid = 0;
    std::optional<LocalNotice> notice;  // once given, the same notice is answered again
  };
  // The instance's notice: the one it has, or a new one now (queued for TakeNotices).
  LocalNotice NoticeOnce(Tracked& t, InstanceId id, Seconds now);
  mutable std::mutex mu_;
  const SpotMarket* prices_;
  std::vector<std::string> pool_names_;
  double flat_price_;
  Seconds notice_seconds_;
  std::map<std::string, Seconds> shortage_until_;
  std::map<InstanceId, Tracked> tracked_;
  std::vector<LocalNotice> pending_;
};

}  // namespace shoal
