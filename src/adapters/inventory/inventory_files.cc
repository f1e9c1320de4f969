#include "adapters/inventory/inventory_files.h"

#include <chrono>
#include <filesystem>

#include "adapters/blob/file_io.h"
#include "adapters/inventory/inventory_render.h"

namespace shoal {

Result<bool> WriteIfChanged(const std::string& path, const std::string& text) {
  Result<std::string> now = ReadSmallFile(path, text.size() + 1);
  if (now.ok() && *now == text) return false;
  SHOAL_RETURN_IF_ERROR(WriteFileAtomically(path, text));  // temporary beside it, fsync, rename, fsync of the dir
  return true;
}

FileInventory::FileInventory(std::string data_dir, Logger* log) : data_dir_(std::move(data_dir)), log_(log) {}

void FileInventory::Configure(const InventorySpec& spec) {
  if (spec == spec_) return;
  spec_ = spec;
  written_.reset();
}

std::string FileInventory::dir() const { return spec_.dir.empty() ? data_dir_ + "/inventory" : spec_.dir; }

void FileInventory::Update(const std::vector<InventoryHost>& hosts) {
  if (written_ && *written_ == hosts) return;
  if (!spec_.nagios && !spec_.prometheus) {
    written_ = hosts;
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(dir(), ec);
  if (ec) {
    LogWarn(log_, "inventory_not_written").With("dir", dir()).With("error", ec.message());
    return;  // tried again at the next Update
  }
  int changed = 0;
  bool failed = false;
  auto write = [&](const std::string& path, const std::string& text) {
    Result<bool> r = WriteIfChanged(path, text);
    if (!r.ok()) {
      failed = true;
      LogWarn(log_, "inventory_not_written").With("file", path).With("error", r.status().message());
    } else if (*r) {
      ++changed;
    }
  };
  if (spec_.nagios) write(nagios_path(), RenderNagios(hosts, spec_));
  if (spec_.prometheus) write(file_sd_path(), RenderFileSd(hosts));
  if (failed) {
    written_.reset();
    return;
  }
  written_ = hosts;
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  LogInfo(log_, "inventory_written")
      .With("hosts", static_cast<std::int64_t>(hosts.size()))
      .With("files_changed", static_cast<std::int64_t>(changed))
      .With("took_us", static_cast<std::int64_t>(micros))
      .With("dir", dir());
}

}  // namespace shoal
