// What the local provider knows of one instance, persisted as
// DATA/instances/<hex id>/instance.json so a restarted daemon can adopt it.
// Files are written whole (temp file + rename), so a reader never sees half
// of one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/instance.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal {

// Lifecycle of the record itself (not the controller's InstanceState).
inline constexpr const char* kRecordLaunching = "launching";      // written before fork
inline constexpr const char* kRecordRunning = "running";          // launcher forked
inline constexpr const char* kRecordStopped = "stopped";          // warm pool: its process group is held in SIGSTOP
inline constexpr const char* kRecordTerminating = "terminating";  // SIGTERM sent
inline constexpr const char* kRecordTerminated = "terminated";    // we ended it
inline constexpr const char* kRecordExited = "exited";            // it ended on its own (or was killed)

struct InstanceRecord {
  InstanceId id;
  std::string group;
  Market market = Market::kOnDemand;
  std::string pool;
  std::string instance_type;
  std::string zone;
  double weight = 1;
  double bid = 0;  // spot: the bid the market tracks (USD/h)
  int version = 0;
  int port = 0;
  std::string launch_token;
  Seconds launched_at = 0;
  int imds_port = 0;
  int pgid = 0;                   // = the launcher's pid (it calls setsid)
  std::uint64_t start_ticks = 0;  // the leader's /proc starttime: guards against pid reuse
  Seconds interrupt_at = kNever;  // spot notice: when the market takes it
  std::string state = kRecordLaunching;
};

// "00000000000000a3": the directory name of an instance.
std::string InstanceDirName(InstanceId id);

// Ownership tags, as EC2 tags an instance: every process of an instance
// starts with them in its environment, so a record that was lost (its
// instance.json deleted) can be rebuilt from the running process, and no
// process of ours stays unknown. The owner names the data directory, so two
// daemons on one host never take each other's instances.
std::string InstanceOwner(const std::string& data_dir);
std::vector<std::pair<std::string, std::string>> InstanceTags(const InstanceRecord& r, const std::string& owner);
// The record the tags describe, when `environ` (NAME=value entries) carries
// `owner`'s tags; state running, no pgid yet (the caller knows the process).
std::optional<InstanceRecord> RecordFromTags(const std::vector<std::string>& environ, const std::string& owner);

std::string RecordToJson(const InstanceRecord& r);
Result<InstanceRecord> ParseRecord(const std::string& json_text);

// Writes `content` to `path` atomically (sibling temp file, then rename).
Status WriteLocalFileAtomic(const std::string& path, const std::string& content);
Result<std::string> ReadLocalFile(const std::string& path);

Status WriteRecord(const std::string& instance_dir, const InstanceRecord& r);
Result<InstanceRecord> ReadRecord(const std::string& instance_dir);

}  // namespace shoal
