// Helpers for integration tests: free loopback ports, temporary directories,
// waiting for a condition with a deadline (never a fixed sleep as an
// assertion), and simple HTTP GETs against 127.0.0.1.
#pragma once

#include <chrono>
#include <functional>
#include <string>

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

}  // namespace shoal::testing
