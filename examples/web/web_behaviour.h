// How a build of the example service misbehaves on purpose: a share of
// GET / answered 500 and extra latency on GET /, from the command line or
// from <dir>/web.conf (so a release folder can carry a bad build's
// behaviour). See README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::web {

constexpr int kMaxDelayMs = 60000;

struct Behaviour {
  // Share of GET / answered 500, in hundredths of a percent (0..10000).
  int error_basis_points = 0;
  std::chrono::milliseconds delay{0};  // slept on every GET / before its work
};

// "5", "0.5", "100": a percent in 0..100 with at most two decimals, as
// hundredths of a percent; nullopt (with *error set) otherwise.
std::optional<int> ParseErrorPercent(std::string_view text, std::string* error);
// "250": milliseconds in 0..kMaxDelayMs; nullopt (with *error set) otherwise.
std::optional<int> ParseDelayMs(std::string_view text, std::string* error);

// The keys of a web.conf: `error_percent=P` and `delay_ms=N`, one per line;
// blank lines and lines starting with '#' are skipped, spaces around the key
// and the value are ignored. Unknown keys, repeated keys and bad values are
// errors naming the line. `error_percent_set` / `delay_set` tell which keys
// the file had.
struct WebConf {
  Behaviour behaviour;
  bool error_percent_set = false;
  bool delay_set = false;
};
std::optional<WebConf> ParseWebConf(std::string_view text, std::string* error);

// Reads <dir>/web.conf: an absent file is an empty WebConf; an unreadable or
// malformed one is nullopt with *error naming the file.
std::optional<WebConf> LoadWebConf(const std::string& dir, std::string* error);

// Whether the n-th GET / (counting from 1) is answered 500: the errors are
// spread evenly, exactly floor(n × share) of the first n requests.
bool IsErrorRequest(std::uint64_t n, int error_basis_points);

}  // namespace shoal::web
