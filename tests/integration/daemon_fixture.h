// A `shoal serve` daemon per test: its own data dir, API and service ports,
// a config it writes, and a teardown that removes what instances and HAProxy
// leave behind (they outlive the daemon by design).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace shoal::testing {

// The example service the test groups run.
const std::string& WebBinary();

// fork + execv with stdout and stderr appended to `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log);

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A background request loop through HAProxy, counting answers.
  class Load {
   public:
    Load(int port, std::chrono::milliseconds gap);
    ~Load() { Stop(); }
    void Stop();
    int ok() const { return ok_; }
    int failed() const { return failed_; }

   private:
    std::atomic<bool> stop_{false};
    std::atomic<int> ok_{0}, failed_{0};
    std::thread thread_;
  };

  // One group "web" of the example service over two spot pools, plus `extra`
  // YAML appended to it (alarms, policies).
  std::string Config(int desired, const std::string& extra = "", int cpu_ms = 1) const;

  void StartDaemon();
  void StopDaemon(int sig);
  std::string Log() const;

  httplib::Result Api(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& token = "");
  nlohmann::json Group();
  int InService();
  // Every process id of the service that runs now (one per instance).
  std::set<int> ServicePids();

  std::string dir_, config_, token_;
  int api_port_ = 0, web_port_ = 0;
  pid_t daemon_ = -1;
  std::error_code ec_;
};

}  // namespace shoal::testing
