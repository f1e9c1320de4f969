// StateStore on SQLite in WAL mode: one file, crash-safe, one writer (the
// daemon). Group states are stored as JSON (see group_state_codec.h);
// activities as rows with an increasing seq.
#pragma once

#include <memory>
#include <string>

#include "ports/state_store.h"

namespace shoal {

class SqliteStateStore final : public StateStore {
 public:
  // Opens (creating if needed) the database at `path`, sets WAL and
  // synchronous=FULL, and migrates the schema. `durable = false` skips the
  // fsyncs (synchronous=OFF): for the simulator, whose crashes are of the
  // control plane, not of the machine.
  static Result<std::unique_ptr<SqliteStateStore>> Open(const std::string& path, bool durable = true);
  ~SqliteStateStore() override;

  Status Commit(const StoreWrite& write) override;
  Result<std::vector<MetricRow>> LoadMetrics(const std::string& group, std::int64_t from_minute) override;
  Status PruneActivities(Seconds before) override;
  Result<std::optional<GroupState>> LoadGroupState(const GroupSpec& spec) override;
  // One-part commits, for tools and tests.
  Status SaveGroupState(const GroupSpec& spec, const GroupState& state);
  Status DeleteGroupState(const std::string& group);
  Status AppendActivities(const std::vector<Activity>& activities);
  Result<std::vector<StoredActivity>> ListActivities(const std::string& group, std::int64_t after_seq,
                                                     int limit) override;
  Result<std::vector<StoredActivity>> ListLatestActivities(const std::string& group, std::int64_t before_seq,
                                                           std::int64_t since, int limit) override;
  Status SaveLastConfig(const ConfigRecord& record) override;
  Result<std::optional<ConfigRecord>> LoadLastConfig() override;

 private:
  struct Impl;
  explicit SqliteStateStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal
