#include "adapters/json/activity_json.h"

#include <nlohmann/json.hpp>

namespace shoal {

void AddActivityFields(const Activity& a, nlohmann::ordered_json& j) {
  j["time"] = a.time;
  j["group"] = a.group;
  j["kind"] = std::string(ToString(a.kind));
  j["from"] = a.from;
  j["to"] = a.to;
  j["cause"] = a.cause;
}

}  // namespace shoal
