#include "api/api_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace shoal {
namespace {

Result<std::string> RandomHex(std::size_t bytes) {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  std::string raw(bytes, '\0');
  if (!urandom.read(raw.data(), static_cast<std::streamsize>(bytes))) {
    return Status::IoError("cannot read /dev/urandom for the API token");
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("cannot read the API token '" + path +
                            "': start `shoal serve` first, or pass --token / SHOAL_TOKEN");
  }
  std::string token;
  std::getline(in, token);
  if (token.empty()) return Status::InvalidArgument("the API token file '" + path + "' is empty");
  return token;
}

Result<std::string> LoadOrCreateToken(const std::string& path) {
  if (access(path.c_str(), F_OK) == 0) return ReadToken(path);
  Result<std::string> token = RandomHex(32);
  if (!token.ok()) return token.status();
  // O_EXCL: two daemons starting at once cannot both write a token.
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadToken(path);
    return Status::IoError("cannot create the API token '" + path + "': " + std::strerror(errno));
  }
  const std::string line = *token + "\n";
  const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return Status::IoError("cannot write the API token '" + path + "'");
  return token;
}

bool TokenMatches(const std::string& presented, const std::string& expected) {
  if (presented.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) diff |= static_cast<unsigned char>(presented[i] ^ expected[i]);
  return diff == 0;
}

namespace {
std::string HmacHex(const std::string& secret, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}
}  // namespace

std::string AgentCredential(const std::string& secret, InstanceId id) {
  return HmacHex(secret, "shoal-agent:" + id.str());
}

std::string AgentLaunchCredential(const std::string& secret, const std::string& launch_token) {
  return HmacHex(secret, "shoal-agent-launch:" + launch_token);
}

}  // namespace shoal
