#include "adapters/sqlite/sqlite_state_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <limits>
#include <mutex>

#include "adapters/sqlite/group_state_codec.h"
#include "adapters/sqlite/sqlite_schema.h"
#include "adapters/sqlite/sqlite_util.h"

namespace shoal {

using sqlite::ResetOnExit;
using sqlite::Statement;

namespace {

// How long to wait for another process (the sqlite3 shell, a backup) that
// holds the lock briefly, before failing the call.
constexpr int kBusyTimeoutMs = 5000;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

void BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

std::int64_t WallSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// WAL: readers never block the writer and a commit is one append; FULL:
// the WAL is synced at every commit, so a saved state survives power loss.
Status Configure(sqlite3* db, const std::string& path, bool durable) {
  sqlite3_extended_result_codes(db, 1);
  if (sqlite3_busy_timeout(db, kBusyTimeoutMs) != SQLITE_OK) {
    return sqlite::Error(db, path, "setting busy_timeout");
  }
  Result<std::string> mode = sqlite::QueryText(db, path, "PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") {
    return Status::IoError(path + ": cannot use write-ahead logging (journal_mode is '" + *mode + "')");
  }
  SHOAL_RETURN_IF_ERROR(sqlite::Exec(db, path, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  return sqlite::Exec(db, path, "PRAGMA foreign_keys=ON");
}

// SQLite says only "unable to open database file"; name the usual cause.
Status OpenError(sqlite3* db, const std::string& path) {
  const Status st = sqlite::Error(db, path, "opening the state database");
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    return Status::IoError(st.message() + " (directory " + dir.string() + " does not exist)");
  }
  return st;
}

}  // namespace

// Thread safety: one connection, every method under `mu`. SQLite's own
// serialized mode (FULLMUTEX) would only guard single calls; a cached
// statement is stepped across several calls and a transaction spans several
// statements, so an API thread's read could otherwise interleave with the
// reconcile thread's write. Calls are short, so one lock costs little.
struct SqliteStateStore::Impl {
  std::string path;
  DbHandle db;
  std::mutex mu;
  Statement save_state;
  Statement load_state;
  Statement delete_state;
  Statement insert_activity;
  Statement list_group;
  Statement list_all;
  Statement latest_group;
  Statement latest_all;
  Statement save_config;
  Statement load_config;
  Statement save_metric;
  Statement prune_metrics;
  Statement delete_metrics;
  Statement load_metrics;
  Statement prune_activities;

  Status PrepareAll();
  Status SaveState(const std::string& group, const std::string& json);
  Status DeleteState(const std::string& group);
  Status InsertActivity(const Activity& a);
  Status SaveMetric(const MetricRow& row);
  Status PruneMetrics(const std::string& group, std::int64_t before_minute);
  Result<std::vector<StoredActivity>> ReadActivities(sqlite3_stmt* stmt, int limit);
};

Status SqliteStateStore::Impl::PrepareAll() {
  struct Entry {
    Statement* slot;
    const char* sql;
  };
  const std::array<Entry, 15> entries = {{
      {&save_state,
       "INSERT INTO group_state(name, json, updated_at) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(name) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at"},
      {&load_state, "SELECT json FROM group_state WHERE name = ?1"},
      {&delete_state, "DELETE FROM group_state WHERE name = ?1"},
      {&insert_activity,
       "INSERT INTO activity(time, grp, kind, cause, from_units, to_units) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
      {&list_group,
       "SELECT seq, time, grp, kind, cause, from_units, to_units FROM activity "
       "WHERE grp = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"},
      {&list_all,
       "SELECT seq, time, grp, kind, cause, from_units, to_units FROM activity "
       "WHERE seq > ?2 ORDER BY seq LIMIT ?3"},
      {&latest_group,
       "SELECT seq, time, grp, kind, cause, from_units, to_units FROM activity "
       "WHERE grp = ?1 AND seq < ?2 AND time >= ?4 ORDER BY seq DESC LIMIT ?3"},
      {&latest_all,
       "SELECT seq, time, grp, kind, cause, from_units, to_units FROM activity "
       "WHERE seq < ?2 AND time >= ?4 ORDER BY seq DESC LIMIT ?3"},
      {&save_config,
       "INSERT INTO last_config(id, source, yaml, saved_at) VALUES(1, ?1, ?2, ?3) "
       "ON CONFLICT(id) DO UPDATE SET source = excluded.source, yaml = excluded.yaml, saved_at = excluded.saved_at"},
      {&load_config, "SELECT source, yaml, saved_at FROM last_config WHERE id = 1"},
      {&save_metric,
       "INSERT INTO metric_minute(grp, minute, cpu_sum, cpu_min, cpu_max, cpu_count, rpt_sum, rpt_min, rpt_max,"
       " rpt_count) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT(grp, minute) DO UPDATE SET"
       " cpu_sum = excluded.cpu_sum, cpu_min = excluded.cpu_min, cpu_max = excluded.cpu_max,"
       " cpu_count = excluded.cpu_count, rpt_sum = excluded.rpt_sum, rpt_min = excluded.rpt_min,"
       " rpt_max = excluded.rpt_max, rpt_count = excluded.rpt_count"},
      {&prune_metrics, "DELETE FROM metric_minute WHERE grp = ?1 AND minute < ?2"},
      {&delete_metrics, "DELETE FROM metric_minute WHERE grp = ?1"},
      {&load_metrics,
       "SELECT minute, cpu_sum, cpu_min, cpu_max, cpu_count, rpt_sum, rpt_min, rpt_max, rpt_count"
       " FROM metric_minute WHERE grp = ?1 AND minute >= ?2 ORDER BY minute"},
      {&prune_activities, "DELETE FROM activity WHERE time < ?1"},
  }};
  for (const Entry& e : entries) {
    Result<Statement> stmt = sqlite::Prepare(db.get(), path, e.sql);
    if (!stmt.ok()) return stmt.status();
    *e.slot = std::move(*stmt);
  }
  return Status::Ok();
}

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::string& path, bool durable) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  sqlite3* raw = nullptr;
  // NOMUTEX: Impl::mu serializes every use of the connection (see Impl).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  impl->db.reset(raw);  // closed on every path, including a failed open
  if (rc != SQLITE_OK) return OpenError(raw, path);
  SHOAL_RETURN_IF_ERROR(Configure(raw, path, durable));
  SHOAL_RETURN_IF_ERROR(sqlite::Migrate(raw, path));
  SHOAL_RETURN_IF_ERROR(impl->PrepareAll());
  return std::unique_ptr<SqliteStateStore>(new SqliteStateStore(std::move(impl)));
}

SqliteStateStore::SqliteStateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStateStore::~SqliteStateStore() {
  // Statements must be finalized before the connection closes.
  if (impl_ == nullptr) return;
  impl_->save_state.reset();
  impl_->load_state.reset();
  impl_->delete_state.reset();
  impl_->insert_activity.reset();
  impl_->list_group.reset();
  impl_->list_all.reset();
  impl_->save_config.reset();
  impl_->load_config.reset();
  impl_->save_metric.reset();
  impl_->prune_metrics.reset();
  impl_->delete_metrics.reset();
  impl_->load_metrics.reset();
  impl_->prune_activities.reset();
  impl_->latest_group.reset();
  impl_->latest_all.reset();
}

Status SqliteStateStore::Impl::SaveState(const std::string& group, const std::string& json) {
  sqlite3_stmt* stmt = save_state.get();
  ResetOnExit reset(stmt);
  BindText(stmt, 1, group);
  BindText(stmt, 2, json);
  sqlite3_bind_int64(stmt, 3, WallSeconds());
  return sqlite::StepDone(db.get(), path, stmt, "saving the state of group '" + group + "'");
}

Status SqliteStateStore::Impl::DeleteState(const std::string& group) {
  for (sqlite3_stmt* stmt : {delete_state.get(), delete_metrics.get()}) {
    ResetOnExit reset(stmt);
    BindText(stmt, 1, group);
    SHOAL_RETURN_IF_ERROR(sqlite::StepDone(db.get(), path, stmt, "deleting the state of group '" + group + "'"));
  }
  return Status::Ok();
}

Status SqliteStateStore::Impl::InsertActivity(const Activity& a) {
  sqlite3_stmt* stmt = insert_activity.get();
  ResetOnExit reset(stmt);
  sqlite3_bind_int64(stmt, 1, a.time);
  BindText(stmt, 2, a.group);
  BindText(stmt, 3, std::string(ToString(a.kind)));
  BindText(stmt, 4, a.cause);
  sqlite3_bind_int(stmt, 5, a.from);
  sqlite3_bind_int(stmt, 6, a.to);
  return sqlite::StepDone(db.get(), path, stmt, "appending an activity of group '" + a.group + "'");
}

Status SqliteStateStore::Impl::SaveMetric(const MetricRow& row) {
  sqlite3_stmt* stmt = save_metric.get();
  ResetOnExit reset(stmt);
  BindText(stmt, 1, row.group);
  sqlite3_bind_int64(stmt, 2, row.minute);
  int col = 3;
  for (const Datapoint* d : {&row.cpu, &row.requests_per_target}) {
    sqlite3_bind_double(stmt, col++, d->sum);
    sqlite3_bind_double(stmt, col++, d->min);
    sqlite3_bind_double(stmt, col++, d->max);
    sqlite3_bind_double(stmt, col++, d->count);
  }
  return sqlite::StepDone(db.get(), path, stmt, "saving a metric minute of group '" + row.group + "'");
}

Status SqliteStateStore::Impl::PruneMetrics(const std::string& group, std::int64_t before_minute) {
  sqlite3_stmt* stmt = prune_metrics.get();
  ResetOnExit reset(stmt);
  BindText(stmt, 1, group);
  sqlite3_bind_int64(stmt, 2, before_minute);
  return sqlite::StepDone(db.get(), path, stmt, "pruning old metrics of group '" + group + "'");
}

Status SqliteStateStore::Commit(const StoreWrite& w) {
  if (w.empty()) return Status::Ok();
  // Encoding is pure work: done before the lock and the transaction.
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(w.states.size());
  for (const auto& [spec, state] : w.states) encoded.emplace_back(spec->name, EncodeGroupState(*spec, *state));
  std::lock_guard lock(impl_->mu);
  sqlite::Transaction tx(impl_->db.get(), impl_->path);
  SHOAL_RETURN_IF_ERROR(tx.Begin());
  for (const auto& [group, json] : encoded) SHOAL_RETURN_IF_ERROR(impl_->SaveState(group, json));
  for (const std::string& group : w.deleted_groups) SHOAL_RETURN_IF_ERROR(impl_->DeleteState(group));
  for (const Activity& a : w.activities) SHOAL_RETURN_IF_ERROR(impl_->InsertActivity(a));
  std::map<std::string, std::int64_t> newest;
  for (const MetricRow& row : w.metrics) {
    SHOAL_RETURN_IF_ERROR(impl_->SaveMetric(row));
    newest[row.group] = std::max(newest[row.group], row.minute);
  }
  if (w.keep_metric_minutes > 0) {
    for (const auto& [group, minute] : newest) {
      SHOAL_RETURN_IF_ERROR(impl_->PruneMetrics(group, minute - w.keep_metric_minutes));
    }
  }
  return tx.Commit();
}

Status SqliteStateStore::SaveGroupState(const GroupSpec& spec, const GroupState& state) {
  StoreWrite w;
  w.states.emplace_back(&spec, &state);
  return Commit(w);
}

Status SqliteStateStore::DeleteGroupState(const std::string& group) {
  StoreWrite w;
  w.deleted_groups.push_back(group);
  return Commit(w);
}

Status SqliteStateStore::AppendActivities(const std::vector<Activity>& activities) {
  StoreWrite w;
  w.activities = activities;
  return Commit(w);
}

Result<std::vector<MetricRow>> SqliteStateStore::LoadMetrics(const std::string& group, std::int64_t from_minute) {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->load_metrics.get();
  ResetOnExit reset(stmt);
  BindText(stmt, 1, group);
  sqlite3_bind_int64(stmt, 2, from_minute);
  std::vector<MetricRow> out;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    MetricRow row;
    row.group = group;
    row.minute = sqlite3_column_int64(stmt, 0);
    row.cpu = {sqlite3_column_double(stmt, 1), sqlite3_column_double(stmt, 2), sqlite3_column_double(stmt, 3),
               sqlite3_column_double(stmt, 4)};
    row.requests_per_target = {sqlite3_column_double(stmt, 5), sqlite3_column_double(stmt, 6),
                               sqlite3_column_double(stmt, 7), sqlite3_column_double(stmt, 8)};
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return sqlite::Error(impl_->db.get(), impl_->path, "loading the metrics of group '" + group + "'");
  return out;
}

Status SqliteStateStore::PruneActivities(Seconds before) {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->prune_activities.get();
  ResetOnExit reset(stmt);
  sqlite3_bind_int64(stmt, 1, before);
  return sqlite::StepDone(impl_->db.get(), impl_->path, stmt, "pruning old activities");
}

Result<std::optional<GroupState>> SqliteStateStore::LoadGroupState(const GroupSpec& spec) {
  std::string json;
  {
    std::lock_guard lock(impl_->mu);
    sqlite3_stmt* stmt = impl_->load_state.get();
    ResetOnExit reset(stmt);
    BindText(stmt, 1, spec.name);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return std::optional<GroupState>();
    if (rc != SQLITE_ROW) {
      return sqlite::Error(impl_->db.get(), impl_->path, "loading the state of group '" + spec.name + "'");
    }
    json = ColumnText(stmt, 0);
  }
  Result<GroupState> state = DecodeGroupState(json, spec);
  if (!state.ok()) return Status::InvalidArgument(impl_->path + ": " + state.status().message());
  return std::optional<GroupState>(std::move(*state));
}

namespace {

// One activity row. A row is history, written by this program but open to
// hand edits, other versions and damage: a field that cannot be read is
// named in `unreadable` and the rest of the row is still returned, so one
// bad row never hides the log or stops the daemon.
StoredActivity ReadActivityRow(sqlite3_stmt* stmt) {
  StoredActivity s;
  std::vector<std::string> problems;
  auto integer = [&](int column, const char* name) -> std::int64_t {
    if (sqlite3_column_type(stmt, column) == SQLITE_INTEGER) return sqlite3_column_int64(stmt, column);
    problems.push_back(std::string(name) + " is not an integer");
    return 0;
  };
  auto text = [&](int column, const char* name) -> std::string {
    if (sqlite3_column_type(stmt, column) == SQLITE_TEXT) return ColumnText(stmt, column);
    problems.push_back(std::string(name) + " is not text");
    return "";
  };
  auto units = [&](int column, const char* name) -> int {
    const std::int64_t v = integer(column, name);
    if (v < 0 || v > std::numeric_limits<int>::max()) {
      problems.push_back(std::string(name) + " " + std::to_string(v) + " is out of range");
      return 0;
    }
    return static_cast<int>(v);
  };
  s.seq = sqlite3_column_int64(stmt, 0);  // the INTEGER PRIMARY KEY: always an integer
  s.activity.time = integer(1, "time");
  s.activity.group = text(2, "group");
  const std::string kind = text(3, "kind");
  if (!ParseActivityKind(kind, &s.activity.kind) && sqlite3_column_type(stmt, 3) == SQLITE_TEXT) {
    problems.push_back("unknown kind '" + kind.substr(0, 40) + "'");
  }
  s.activity.cause = text(4, "cause");
  s.activity.from = units(5, "from");
  s.activity.to = units(6, "to");
  for (const std::string& p : problems) s.unreadable += (s.unreadable.empty() ? "" : "; ") + p;
  return s;
}

}  // namespace

Result<std::vector<StoredActivity>> SqliteStateStore::Impl::ReadActivities(sqlite3_stmt* stmt, int limit) {
  std::vector<StoredActivity> out;
  out.reserve(static_cast<std::size_t>(std::min(limit, 1024)));
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.push_back(ReadActivityRow(stmt));
  if (rc != SQLITE_DONE) return sqlite::Error(db.get(), path, "listing activities");
  return out;
}

Result<std::vector<StoredActivity>> SqliteStateStore::ListActivities(const std::string& group,
                                                                     std::int64_t after_seq, int limit) {
  if (limit <= 0) {
    return Status::InvalidArgument("activity list limit must be positive, not " + std::to_string(limit));
  }
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = group.empty() ? impl_->list_all.get() : impl_->list_group.get();
  ResetOnExit reset(stmt);
  if (!group.empty()) BindText(stmt, 1, group);
  sqlite3_bind_int64(stmt, 2, after_seq);
  sqlite3_bind_int(stmt, 3, limit);
  return impl_->ReadActivities(stmt, limit);
}

Result<std::vector<StoredActivity>> SqliteStateStore::ListLatestActivities(const std::string& group,
                                                                           std::int64_t before_seq,
                                                                           std::int64_t since, int limit) {
  if (limit <= 0) {
    return Status::InvalidArgument("activity list limit must be positive, not " + std::to_string(limit));
  }
  Result<std::vector<StoredActivity>> newest_first = [&]() -> Result<std::vector<StoredActivity>> {
    std::lock_guard lock(impl_->mu);
    sqlite3_stmt* stmt = group.empty() ? impl_->latest_all.get() : impl_->latest_group.get();
    ResetOnExit reset(stmt);
    if (!group.empty()) BindText(stmt, 1, group);
    sqlite3_bind_int64(stmt, 2, before_seq);
    sqlite3_bind_int(stmt, 3, limit);
    sqlite3_bind_int64(stmt, 4, since);
    return impl_->ReadActivities(stmt, limit);
  }();
  if (!newest_first.ok()) return newest_first.status();
  std::reverse(newest_first->begin(), newest_first->end());
  return newest_first;
}

Status SqliteStateStore::SaveLastConfig(const ConfigRecord& record) {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->save_config.get();
  ResetOnExit reset(stmt);
  BindText(stmt, 1, record.source);
  BindText(stmt, 2, record.yaml);
  sqlite3_bind_int64(stmt, 3, record.saved_at);
  return sqlite::StepDone(impl_->db.get(), impl_->path, stmt, "saving the configuration");
}

Result<std::optional<ConfigRecord>> SqliteStateStore::LoadLastConfig() {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->load_config.get();
  ResetOnExit reset(stmt);
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<ConfigRecord>();
  if (rc != SQLITE_ROW) return sqlite::Error(impl_->db.get(), impl_->path, "loading the configuration");
  ConfigRecord r;
  r.source = ColumnText(stmt, 0);
  r.yaml = ColumnText(stmt, 1);
  r.saved_at = sqlite3_column_int64(stmt, 2);
  return std::optional<ConfigRecord>(std::move(r));
}

}  // namespace shoal
