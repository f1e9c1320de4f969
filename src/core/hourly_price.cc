#include "core/hourly_price.h"

namespace shoal {

double HourlyPrice(const Instance& in, const Observation& seen) {
  if (in.state == InstanceState::kTerminated || in.state == InstanceState::kStopped) return 0;
  const bool priced_pool = in.market == Market::kSpot && in.pool >= 0 &&
                           static_cast<std::size_t>(in.pool) < seen.pools.size();
  return priced_pool ? seen.pools[in.pool].price : seen.on_demand_price;
}

}  // namespace shoal
