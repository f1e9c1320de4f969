#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <httplib.h>

namespace shoal::testing {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  return mkdtemp(tmpl.data());
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

int HttpGet(int port, const std::string& path, std::string* body) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get(path.c_str());
  if (!res) return 0;
  if (body != nullptr) *body = res->body;
  return res->status;
}

}  // namespace shoal::testing

namespace shoal::testing {

bool UnderCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string MissingTools(const std::vector<std::pair<std::string, std::string>>& tools) {
  std::string missing;
  for (const auto& [path, package] : tools) {
    const bool library = path.size() > 3 && path.compare(path.size() - 3, 3, ".so") == 0;  // a plugin: readable is enough
    if (access(path.c_str(), library ? R_OK : X_OK) == 0) continue;
    if (!missing.empty()) missing += "; ";
    missing += path + " is not installed (Debian package " + package + ")";
  }
  return missing.empty() ? missing : missing + "; scripts/install-deps.sh --test installs it";
}

}  // namespace shoal::testing
