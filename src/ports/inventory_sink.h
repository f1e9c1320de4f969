// Where the monitoring inventory goes each time the fleet's membership
// changes (adapters/inventory/inventory_files.h writes Nagios and
// Prometheus files). The caller tells it every time it publishes; the sink
// does its work only when the hosts differ from the last ones.
#pragma once

#include <vector>

#include "core/inventory.h"

namespace shoal {

class InventorySink {
 public:
  virtual ~InventorySink() = default;
  virtual void Update(const std::vector<InventoryHost>& hosts) = 0;
};

}  // namespace shoal
