// What every fuzz target shares: the input as the text a reader would get,
// and a check that makes libFuzzer keep the input when a property breaks
// (an abort is a crash to libFuzzer, like a sanitizer report).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace shoal::fuzz {

// The bytes as the file-like text the readers take (any bytes, NULs included).
inline std::string Text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

[[noreturn]] inline void Fail(const char* file, int line, const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: property broken: %s\n%s\n", file, line, what, detail.c_str());
  std::abort();
}

}  // namespace shoal::fuzz

// FUZZ_CHECK(condition, detail): aborts with the condition's text and `detail`.
#define FUZZ_CHECK(cond, detail)                                        \
  do {                                                                  \
    if (!(cond)) ::shoal::fuzz::Fail(__FILE__, __LINE__, #cond, detail); \
  } while (false)
