// Helpers for integration tests: free loopback ports, temporary directories,
// waiting for a condition with a deadline (never a fixed sleep as an
// assertion), and simple HTTP GETs against 127.0.0.1.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace shoal::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// A new empty directory under /tmp, removed by the caller if it wants.
std::string MakeTempDir(const std::string& prefix);
// Polls `done` every 50 ms until it returns true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
// GET http://127.0.0.1:port/path; returns the status (0 when the connection
// fails) and fills *body when given.
int HttpGet(int port, const std::string& path, std::string* body = nullptr);

// CI=true: a test whose outside tool is missing fails instead of skipping.
bool UnderCi();
// Empty when every tool is executable (a plugin, "*.so", readable); else which are not and the Debian
// package that installs each. Pairs are {path, package}.
std::string MissingTools(const std::vector<std::pair<std::string, std::string>>& tools);

}  // namespace shoal::testing

// In a test body or SetUp: skip when a tool is missing, fail under CI=true.
#define SHOAL_REQUIRE_TOOLS(...)                                                        \
  do {                                                                                   \
    const std::string shoal_missing_ = ::shoal::testing::MissingTools({__VA_ARGS__});    \
    if (!shoal_missing_.empty()) {                                                       \
      if (::shoal::testing::UnderCi()) FAIL() << shoal_missing_;                         \
      GTEST_SKIP() << shoal_missing_ << "; under CI=true this fails";                    \
    }                                                                                    \
  } while (0)
