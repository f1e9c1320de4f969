// SHA-256 (OpenSSL), fed in pieces so a large file is hashed without
// holding it: the release checksums.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace shoal {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // 64 lower-case hex digits. Ends the hash: call once.
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL's headers stay in sha256.cc
};

std::string Sha256Hex(std::string_view bytes);

struct FileDigest {
  std::string sha256;  // hex
  std::uint64_t size = 0;
};

// Reads the file in 1 MiB pieces.
Result<FileDigest> Sha256OfFile(const std::string& path);

bool IsSha256Hex(std::string_view text);

}  // namespace shoal
