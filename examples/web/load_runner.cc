#include "load_runner.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <httplib.h>

namespace shoal::web {
namespace {

using Clock = std::chrono::steady_clock;

// What all workers share: the schedule and the next request to take.
struct Run {
  const LoadOptions& options;
  Clock::time_point start;
  Clock::time_point stop_sending;
  std::atomic<uint64_t> next{0};
  std::mutex mutex;
  LoadResult result;
};

Clock::time_point DueTime(const Run& run, uint64_t index) {
  const double offset = DueOffsetSeconds(run.options.plan, index);
  return run.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(offset));
}

std::unique_ptr<httplib::Client> MakeClient(const LoadOptions& options) {
  auto client = std::make_unique<httplib::Client>(options.target.host, options.target.port);
  client->set_keep_alive(true);
  const auto seconds = std::chrono::duration<double>(options.timeout);
  client->set_connection_timeout(seconds);
  client->set_read_timeout(seconds);
  client->set_write_timeout(seconds);
  return client;
}

void Record(LoadResult& tally, const httplib::Result& res, Clock::time_point due) {
  ++tally.sent;
  if (!res) {
    ++tally.failed_connection;
    return;
  }
  const std::chrono::duration<double, std::milli> latency = Clock::now() - due;
  tally.latencies_ms.push_back(latency.count());
  if (res->status >= 200 && res->status < 300) {
    ++tally.ok;
  } else {
    ++tally.failed_http;
  }
}

void Merge(Run& run, const LoadResult& tally) {
  std::lock_guard lock(run.mutex);
  LoadResult& total = run.result;
  total.sent += tally.sent;
  total.ok += tally.ok;
  total.failed_http += tally.failed_http;
  total.failed_connection += tally.failed_connection;
  total.missed += tally.missed;
  total.latencies_ms.insert(total.latencies_ms.end(), tally.latencies_ms.begin(),
                            tally.latencies_ms.end());
}

// Takes the next due request, waits for its time and sends it; a request this
// worker only reaches after the sending window is counted as missed instead.
void Work(Run& run) {
  auto client = MakeClient(run.options);
  LoadResult tally;
  for (;;) {
    const uint64_t index = run.next.fetch_add(1);
    if (index >= run.result.planned) break;
    if (Clock::now() > run.stop_sending) {
      ++tally.missed;
      continue;
    }
    const Clock::time_point due = DueTime(run, index);
    std::this_thread::sleep_until(due);
    Record(tally, client->Get(run.options.target.path.c_str()), due);
  }
  Merge(run, tally);
}

}  // namespace

LoadResult RunLoad(const LoadOptions& options) {
  Run run{.options = options, .start = Clock::now(), .stop_sending = {}, .next = {}, .mutex = {},
          .result = {}};
  run.result.planned = PlannedCount(options.plan);
  run.stop_sending = run.start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.plan.duration_s));
  std::vector<std::thread> workers;
  for (int i = 0; i < options.concurrency; ++i) workers.emplace_back([&run] { Work(run); });
  for (auto& worker : workers) worker.join();
  run.result.elapsed_s = std::chrono::duration<double>(Clock::now() - run.start).count();
  return std::move(run.result);
}

}  // namespace shoal::web
