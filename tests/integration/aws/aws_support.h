// What the AWS client's integration tests share: the pyenv Python and
// moto_server (a missing one fails the test, saying what to install), a
// moto_server started on a free loopback port for a suite and stopped
// after, running a program for its output, and a loopback HTTP proxy that
// fails the first N requests on purpose.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "adapters/aws/client.h"
#include "adapters/aws/environment.h"
#include "adapters/aws/sleeper.h"
#include "adapters/system/system_clock.h"
#include "ports/log.h"

namespace shoal::aws::testing {

// $SHOAL_PYTHON, else the pyenv Python 3.11 that has botocore and moto.
std::string PythonPath();
// $SHOAL_MOTO_SERVER, else pyenv's moto_server.
std::string MotoServerPath();

// GTest: an executable that is missing fails the test (a suite is never
// green with nothing run).
#define SHOAL_REQUIRE_EXECUTABLE(path)                                                                 \
  do {                                                                                                 \
    if (!::shoal::aws::testing::Executable(path)) {                                                    \
      FAIL() << (path) << " is missing: install Python 3.11 with boto3 and moto[server] "              \
             << "(or set SHOAL_PYTHON / SHOAL_MOTO_SERVER)";                                           \
    }                                                                                                  \
  } while (0)

bool Executable(const std::string& path);

// Runs `args` (argv[0] a path), returns its exit status (-1 when it could
// not run) and its standard output in *out; standard error goes to *err.
int RunCapture(const std::vector<std::string>& args, std::string* out, std::string* err);

// moto_server on 127.0.0.1:<free port>, in its own process group, with its
// log in a temporary file; stopped (the group) by the destructor.
class MotoServer {
 public:
  MotoServer() = default;
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  // Starts it and waits until it answers; false (and Log() says why) if not.
  bool Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

// One moto_server for a whole test suite (starting one takes seconds):
// derive a fixture from it; each test fails if moto is missing or did not
// start. Tests of one suite share its state, so each uses names of its own.
class MotoSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  // What a client pointed at this suite's moto sees: its URL as the
  // endpoint, the test credentials, us-east-1, no shared files, no IMDS.
  static EnvLookup MotoEnv();

  static MotoServer* moto_;
};

// Time passes only when slept: the retries' backoff is checked by the unit
// tests, here only the attempts matter.
class InstantSleeper final : public Sleeper {
 public:
  double Now() override { return now_; }
  void Sleep(double seconds) override {
    if (seconds > 0) now_ += seconds;
  }

 private:
  double now_ = 0;
};

// A suite whose tests talk to its moto through one client (client_), made
// in SetUp; each adapter's test builds its adapter over it after.
class MotoClientSuite : public MotoSuite {
 protected:
  void SetUp() override {
    MotoSuite::SetUp();
    if (HasFatalFailure()) return;
    ClientDeps deps;
    deps.clock = &clock_;
    deps.log = &log_;
    deps.sleeper = &sleeper_;
    deps.env = MotoEnv();
    auto client = AwsClient::Create({}, std::move(deps));
    ASSERT_TRUE(client.ok()) << client.status().message();
    client_ = std::move(*client);
  }

  SystemClock clock_;
  MemoryLogger log_;
  InstantSleeper sleeper_;
  std::unique_ptr<AwsClient> client_;
};

// Forwards every request to `target_port` on loopback, except the first
// `failures` ones, which get `failure_status` with `failure_body`. Counts
// every request it receives.
class FlakyProxy {
 public:
  FlakyProxy(int target_port, int failures, int failure_status, std::string failure_body);
  ~FlakyProxy();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }
  // From now on, a request whose form body `match`es gets `status` with
  // `body` instead of reaching the target (an empty `match` stops that).
  // Counts the requests it failed so.
  void FailWhen(std::function<bool(const std::string& body)> match, int status, std::string body);
  int matched() const { return matched_.load(); }
  // Requests by AWS action (the form's Action, or X-Amz-Target's operation)
  // since the last ResetCounts.
  std::map<std::string, int> CountsByAction();
  void ResetCounts();

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);
  // The rule's answer for `req`, when it matches.
  bool Matches(const httplib::Request& req, int* status, std::string* body);

  int target_port_;
  int failures_;
  int failure_status_;
  std::string failure_body_;
  std::atomic<int> requests_{0};
  std::atomic<int> matched_{0};
  std::mutex rule_mu_;  // guards the rule and the counts
  std::map<std::string, int> by_action_;
  std::function<bool(const std::string&)> match_;
  int match_status_ = 0;
  std::string match_body_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace shoal::aws::testing
