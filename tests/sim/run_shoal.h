// Runs the built `shoal` binary with arguments (no shell), capturing its
// exit code, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace shoal::testing {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

Run RunShoal(const std::vector<std::string>& args);

// A file in a fresh temporary directory, holding `text`.
std::string WriteTemp(const std::string& name, const std::string& text);
std::string ReadFile(const std::string& path);

}  // namespace shoal::testing
