// The embedded log store's figures (issue 11 §6): ingest lines/s end to end
// (a file of instance output -> the collector -> SQLite, one transaction per
// batch of 5,000, FTS5 trigram index included) and search latency over 1M
// stored lines. A plain program: it prints the figures.
//
//   build/bench_logs [DIR] [LINES]   (defaults: a temp dir, 1000000)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/local/log_collector.h"
#include "adapters/sqlite/sqlite_log_store.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / ("shoal-bench-logs-" + std::to_string(::getpid()));
  const long lines = argc > 2 ? std::stol(argv[2]) : 1000000;
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = (dir / "stdout.log").string();
  {
    // Lines shaped like an access log, ~90 bytes.
    std::ofstream out(file);
    const char* paths[] = {"/", "/api/items", "/api/users/42", "/static/app.js", "/health"};
    for (long i = 0; i < lines; ++i) {
      out << "127.0.0.1 GET " << paths[i % 5] << " status=" << (i % 97 == 0 ? 500 : 200) << " bytes=" << (i * 7919) % 100000
          << " ms=" << i % 250 << " req=" << i << "\n";
    }
  }
  shoal::Result<std::unique_ptr<shoal::SqliteLogStore>> store = shoal::SqliteLogStore::Open((dir / "logs.db").string());
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  shoal::LogCollectorOptions o;
  o.instances_dir = dir.string();
  shoal::LogCollector collector(store->get(), o);
  const auto t0 = std::chrono::steady_clock::now();
  shoal::Result<shoal::CollectStats> s =
      collector.CollectFile(file, "stdout", {"web", "00000000000000a3", "spot-a", "3"}, false, 1);
  const double ingest = Seconds(t0);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().message().c_str());
    return 1;
  }
  std::printf("ingest: %lld lines in %.2f s = %.0f lines/s (file -> collector -> SQLite WAL + FTS5 trigram)\n",
              static_cast<long long>(s->stored), ingest, static_cast<double>(s->stored) / ingest);
  std::printf("store: %.1f MiB used for %ld lines\n", static_cast<double>(*(*store)->UsedBytes()) / (1 << 20), lines);

  struct Case {
    const char* name;
    shoal::LogQuery q;
  };
  const Case cases[] = {
      {"newest 100, no filter", {"", 0, "", 0, 100}},
      {"grep 'req=12345' (11 matches)", {"", 0, "req=12345", 0, 100}},
      {"grep 'req=999999' (1 match)", {"", 0, "req=999999", 0, 100}},
      {"grep 'status=500' (newest 100 of ~10k)", {"", 0, "status=500", 0, 100}},
      {"grep absent 'no-such-text'", {"", 0, "no-such-text", 0, 100}},
      {"target=web grep 'users/42' newest 100", {"web", 0, "users/42", 0, 100}},
      {"grep 2-char '42' newest 100 (scan)", {"", 0, "42", 0, 100}},
  };
  for (const Case& c : cases) {
    std::vector<double> ms;
    std::size_t found = 0;
    for (int i = 0; i < 7; ++i) {
      const auto t = std::chrono::steady_clock::now();
      shoal::Result<shoal::LogPage> page = (*store)->Search(c.q);
      ms.push_back(Seconds(t) * 1000);
      if (!page.ok()) {
        std::fprintf(stderr, "%s\n", page.status().message().c_str());
        return 1;
      }
      found = page->lines.size();
    }
    std::sort(ms.begin(), ms.end());
    std::printf("search %-42s %4zu lines  median %7.2f ms  max %7.2f ms\n", c.name, found, ms[ms.size() / 2], ms.back());
  }
  fs::remove_all(dir);
  return 0;
}
