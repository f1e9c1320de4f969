// The inventory files `shoal serve` keeps for Nagios and Prometheus:
//   DIR/shoal-nagios.cfg   a Nagios object config (cfg_file= it, or put DIR in cfg_dir)
//   DIR/shoal-file-sd.json a Prometheus file_sd target list
// Each is rewritten atomically (a temporary file in DIR, fsync, rename, and
// DIR fsynced), and only when its text changes, so a reader sees the old
// file or the new one, never part of one. Update is called after every
// tick and command; it renders only when the hosts (or the settings)
// differ from the last ones it wrote.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/config/config.h"
#include "core/status.h"
#include "ports/inventory_sink.h"
#include "ports/log.h"

namespace shoal {

// Writes `text` to `path` atomically (WriteFileAtomically: a temporary file
// beside it, fsync, rename, fsync of the directory); false when the file
// already held exactly `text` (then nothing is written).
Result<bool> WriteIfChanged(const std::string& path, const std::string& text);

class FileInventory final : public InventorySink {
 public:
  // `data_dir`: where DIR is when the settings leave it out (DATA_DIR/inventory).
  FileInventory(std::string data_dir, Logger* log);

  // The `inventory:` settings; a change rewrites the files at the next Update.
  void Configure(const InventorySpec& spec);
  void Update(const std::vector<InventoryHost>& hosts) override;

  std::string dir() const;
  std::string nagios_path() const { return dir() + "/shoal-nagios.cfg"; }
  std::string file_sd_path() const { return dir() + "/shoal-file-sd.json"; }

 private:
  std::string data_dir_;
  Logger* log_;
  InventorySpec spec_;
  std::optional<std::vector<InventoryHost>> written_;  // the hosts of the files as they are; none: not yet (or failed)
};

}  // namespace shoal
