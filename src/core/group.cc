#include "core/group.h"

#include <charconv>
#include <cstddef>
#include <string>

#include "core/enum_names.h"
#include "core/instance.h"

namespace shoal {
namespace {

constexpr std::size_t kMaxNameLength = 63;  // fits a DNS label, as cloud tags and LB names need

// Shortest text that reads back as the same double: "-1", "0.5".
std::string FormatNumber(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::string Num(int v) { return std::to_string(v); }
std::string Num(Seconds v) { return std::to_string(v); }
std::string Num(double v) { return FormatNumber(v); }

std::string Indexed(std::string_view list, std::size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

// Builds the errors of one group so every message starts the same way:
// "groups '<name>': <key> <what>".
class GroupErrors {
 public:
  explicit GroupErrors(const GroupSpec& g) : prefix_("groups '" + g.name + "': ") {}

  Status At(std::string_view key, std::string_view what) const {
    return Status::InvalidArgument(prefix_ + std::string(key) + " " + std::string(what));
  }
  template <typename T>
  Status AtLeast(std::string_view key, T value, std::string_view bound) const {
    return At(key, "must be >= " + std::string(bound) + " (got " + Num(value) + ")");
  }
  template <typename T>
  Status Positive(std::string_view key, T value) const {
    return At(key, "must be > 0 (got " + Num(value) + ")");
  }
  // A message that reads as a sentence of its own, placed under its key
  // (e.g. a nested spec's own validation message).
  Status Under(std::string_view key, std::string_view message) const {
    return Status::InvalidArgument(prefix_ + std::string(key) + ": " + std::string(message));
  }

 private:
  std::string prefix_;
};

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

Status ValidateName(const GroupSpec& g, const GroupErrors& err) {
  if (g.name.empty()) return err.At("name", "must not be empty");
  if (g.name.size() > kMaxNameLength) {
    return err.At("name", "must be at most " + Num(static_cast<int>(kMaxNameLength)) +
                              " characters (got " + Num(static_cast<int>(g.name.size())) + ")");
  }
  for (char c : g.name) {
    if (!IsNameChar(c)) {
      return err.At("name", "may hold only lowercase letters, digits and '-' (got '" + g.name + "')");
    }
  }
  return Status::Ok();
}

Status ValidateSizes(const GroupSpec& g, const GroupErrors& err) {
  if (g.min < 0) return err.AtLeast("min", g.min, "0");
  if (g.min > g.desired) {
    return err.At("min", "(" + Num(g.min) + ") must be <= desired (" + Num(g.desired) + ")");
  }
  if (g.desired > g.max) {
    return err.At("desired", "(" + Num(g.desired) + ") must be <= max (" + Num(g.max) + ")");
  }
  if (g.max > kMaxCapacity) {
    return err.At("max", "must be <= " + Num(kMaxCapacity) + " (got " + Num(g.max) + ")");
  }
  return Status::Ok();
}

Status ValidatePool(const PoolSpec& p, const std::string& key, const GroupErrors& err) {
  if (p.name.empty()) return err.At(key + ".name", "must not be empty");
  if (p.instance_type.empty()) return err.At(key + ".instance_type", "must not be empty");
  if (p.zone.empty()) return err.At(key + ".zone", "must not be empty");
  if (!(p.weight > 0)) return err.Positive(key + ".weight", p.weight);
  if (!(p.bid_usd_per_hour >= 0)) return err.AtLeast(key + ".bid_usd_per_hour", p.bid_usd_per_hour, "0");
  return Status::Ok();
}

Status ValidateCapacity(const CapacitySpec& c, const GroupErrors& err) {
  if (c.on_demand_base < 0) return err.AtLeast("capacity.on_demand_base", c.on_demand_base, "0");
  if (c.on_demand_percent_above_base < 0 || c.on_demand_percent_above_base > 100) {
    return err.At("capacity.on_demand_percent_above_base",
                  "must be between 0 and 100 (got " + Num(c.on_demand_percent_above_base) + ")");
  }
  if (c.on_demand_type.empty()) return err.At("capacity.on_demand_type", "must not be empty");
  if (!(c.on_demand_weight > 0)) return err.Positive("capacity.on_demand_weight", c.on_demand_weight);
  if (c.spot_instance_pools < 1) {
    return err.AtLeast("capacity.spot_instance_pools", c.spot_instance_pools, "1");
  }
  for (std::size_t i = 0; i < c.spot_pools.size(); ++i) {
    const std::string key = Indexed("capacity.spot_pools", i);
    SHOAL_RETURN_IF_ERROR(ValidatePool(c.spot_pools[i], key, err));
    for (std::size_t j = 0; j < i; ++j) {
      if (c.spot_pools[j].name == c.spot_pools[i].name) {
        return err.At(key + ".name", "'" + c.spot_pools[i].name + "' is already the name of " +
                                         Indexed("capacity.spot_pools", j));
      }
    }
  }
  // Any percent below 100 sends part of the capacity above the base to spot,
  // which needs somewhere to go.
  if (c.on_demand_percent_above_base < 100 && c.spot_pools.empty()) {
    return err.At("capacity.spot_pools",
                  "is empty but capacity.on_demand_percent_above_base is " +
                      Num(c.on_demand_percent_above_base) +
                      ", so some capacity must be spot; add a spot pool or set "
                      "capacity.on_demand_percent_above_base to 100");
  }
  return Status::Ok();
}

// Decisions count launches in instances: capacity units over a weight. A
// weight so small that `max` units are more than kMaxCapacity instances
// would make one decision launch without end (or overflow the count).
Status ValidateInstanceCount(const GroupSpec& g, const GroupErrors& err) {
  const double smallest = static_cast<double>(g.max) / kMaxCapacity;
  auto check = [&](const std::string& key, double weight) -> Status {
    if (weight >= smallest) return Status::Ok();
    return err.At(key, "must be >= " + Num(smallest) + " (got " + Num(weight) + "): max (" + Num(g.max) +
                           " units) would be more than " + Num(kMaxCapacity) + " instances");
  };
  SHOAL_RETURN_IF_ERROR(check("capacity.on_demand_weight", g.capacity.on_demand_weight));
  for (std::size_t i = 0; i < g.capacity.spot_pools.size(); ++i) {
    SHOAL_RETURN_IF_ERROR(check(Indexed("capacity.spot_pools", i) + ".weight", g.capacity.spot_pools[i].weight));
  }
  return Status::Ok();
}

Status ValidateAlarms(const GroupSpec& g, const GroupErrors& err) {
  for (std::size_t i = 0; i < g.alarms.size(); ++i) {
    const std::string key = Indexed("alarms", i);
    for (std::size_t j = 0; j < i; ++j) {
      if (g.alarms[j].name == g.alarms[i].name) {
        return err.At(key + ".name",
                      "'" + g.alarms[i].name + "' is already the name of " + Indexed("alarms", j));
      }
    }
    const Status s = Validate(g.alarms[i]);
    if (!s.ok()) return err.Under(key, s.message());
  }
  return Status::Ok();
}

std::string AlarmNames(const GroupSpec& g) {
  if (g.alarms.empty()) return "(none)";
  std::string out;
  for (const AlarmSpec& a : g.alarms) {
    if (!out.empty()) out += ", ";
    out += a.name;
  }
  return out;
}

bool HasAlarm(const GroupSpec& g, const std::string& name) {
  for (const AlarmSpec& a : g.alarms) {
    if (a.name == name) return true;
  }
  return false;
}

Status ValidatePolicies(const GroupSpec& g, const GroupErrors& err) {
  for (std::size_t i = 0; i < g.policies.size(); ++i) {
    const PolicySpec& p = g.policies[i];
    const std::string key = Indexed("policies", i);
    for (std::size_t j = 0; j < i; ++j) {
      if (g.policies[j].name == p.name) {
        return err.At(key + ".name", "'" + p.name + "' is already the name of " + Indexed("policies", j));
      }
    }
    // Target tracking runs its own alarms; the others act on one of the group's.
    const bool uses_alarm = p.type == PolicyType::kSimple || p.type == PolicyType::kStep;
    if (uses_alarm && !HasAlarm(g, p.alarm)) {
      return err.Under(key + ".alarm", "no alarm named '" + p.alarm + "' in group '" + g.name +
                                            "'; alarms are: " + AlarmNames(g));
    }
    const Status s = Validate(p);
    if (!s.ok()) return err.Under(key, s.message());
  }
  return Status::Ok();
}

Status ValidateTimings(const GroupSpec& g, const GroupErrors& err) {
  if (g.default_cooldown < 0) return err.AtLeast("default_cooldown", g.default_cooldown, "0");
  if (g.drain_timeout < 0) return err.AtLeast("drain_timeout", g.drain_timeout, "0");
  return Status::Ok();
}

Status ValidateSpotHandling(const SpotHandlingSpec& s, const GroupErrors& err) {
  if (BumpsGroup(s.on_notice) && s.bump_group.empty()) {
    return err.At("spot.bump_group", "must name a group when spot.on_notice is bump-group or bump-group-only");
  }
  if (s.avoid_pool_after_interruption < 0) {
    return err.AtLeast("spot.avoid_pool_after_interruption", s.avoid_pool_after_interruption, "0");
  }
  if (s.avoid_pool_after_capacity_error < 0) {
    return err.AtLeast("spot.avoid_pool_after_capacity_error", s.avoid_pool_after_capacity_error, "0");
  }
  if (s.rebalance_max_in_flight < 0) {
    return err.AtLeast("spot.rebalance_max_in_flight", s.rebalance_max_in_flight, "0");
  }
  return Status::Ok();
}

Status ValidateHealthCheck(const HealthCheckSpec& h, const GroupErrors& err) {
  if (h.interval <= 0) return err.Positive("health_check.interval", h.interval);
  if (h.rise < 1) return err.AtLeast("health_check.rise", h.rise, "1");
  if (h.fall < 1) return err.AtLeast("health_check.fall", h.fall, "1");
  if (h.grace < 0) return err.AtLeast("health_check.grace", h.grace, "0");
  return Status::Ok();
}

Status ValidateWarmPool(const GroupSpec& g, const GroupErrors& err) {
  if (g.warm_pool.size < 0) return err.AtLeast("warm_pool.size", g.warm_pool.size, "0");
  if (g.warm_pool.size > 0 && WarmPoolIndex(g) < kOnDemandPool) {
    return err.At("warm_pool.pool", "'" + g.warm_pool.pool +
                                        "' is neither on-demand nor the name of one of capacity.spot_pools");
  }
  return Status::Ok();
}

}  // namespace

int WarmPoolIndex(const GroupSpec& g) {
  if (g.warm_pool.pool.empty() || g.warm_pool.pool == "on-demand") return kOnDemandPool;
  for (std::size_t p = 0; p < g.capacity.spot_pools.size(); ++p) {
    if (g.capacity.spot_pools[p].name == g.warm_pool.pool) return static_cast<int>(p);
  }
  return kOnDemandPool - 1;
}

std::string_view ToString(AllocationStrategy s) {
  switch (s) {
    case AllocationStrategy::kLowestPrice: return "lowest-price";
    case AllocationStrategy::kCapacityOptimized: return "capacity-optimized";
    case AllocationStrategy::kPriceCapacityOptimized: return "price-capacity-optimized";
  }
  return "unknown";
}

bool ParseAllocationStrategy(std::string_view text, AllocationStrategy* out) {
  return ParseEnumName(text,
                       {AllocationStrategy::kLowestPrice, AllocationStrategy::kCapacityOptimized,
                        AllocationStrategy::kPriceCapacityOptimized},
                       out);
}

Status Validate(const GroupSpec& g) {
  const GroupErrors err(g);
  SHOAL_RETURN_IF_ERROR(ValidateName(g, err));
  SHOAL_RETURN_IF_ERROR(ValidateSizes(g, err));
  SHOAL_RETURN_IF_ERROR(ValidateCapacity(g.capacity, err));
  SHOAL_RETURN_IF_ERROR(ValidateInstanceCount(g, err));
  SHOAL_RETURN_IF_ERROR(ValidateAlarms(g, err));
  SHOAL_RETURN_IF_ERROR(ValidatePolicies(g, err));
  SHOAL_RETURN_IF_ERROR(ValidateTimings(g, err));
  SHOAL_RETURN_IF_ERROR(ValidateSpotHandling(g.spot, err));
  SHOAL_RETURN_IF_ERROR(ValidateHealthCheck(g.health_check, err));
  SHOAL_RETURN_IF_ERROR(ValidateWarmPool(g, err));
  return Status::Ok();
}

}  // namespace shoal
