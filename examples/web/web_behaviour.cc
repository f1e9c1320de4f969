#include "web_behaviour.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace shoal::web {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Digits only, at most `max_digits` of them (no overflow, no sign).
std::optional<long> Digits(std::string_view s, std::size_t max_digits) {
  if (!AllDigits(s) || s.size() > max_digits) return std::nullopt;
  long v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

std::optional<int> ParseErrorPercent(std::string_view text, std::string* error) {
  const std::string_view t = Trim(text);
  const std::size_t dot = t.find('.');
  const std::string_view whole = t.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  const std::optional<long> w = Digits(whole, 3);
  const bool fraction_ok = dot == std::string_view::npos || (AllDigits(fraction) && fraction.size() <= 2);
  if (!w || !fraction_ok) {
    *error = "error percent '" + std::string(text) + "' is not a number from 0 to 100 with at most two decimals";
    return std::nullopt;
  }
  long hundredths = 0;
  if (!fraction.empty()) hundredths = *Digits(fraction, 2) * (fraction.size() == 1 ? 10 : 1);
  const long bp = *w * 100 + hundredths;
  if (bp > 10000) {
    *error = "error percent '" + std::string(text) + "' is above 100";
    return std::nullopt;
  }
  return static_cast<int>(bp);
}

std::optional<int> ParseDelayMs(std::string_view text, std::string* error) {
  const std::optional<long> v = Digits(Trim(text), 6);
  if (!v || *v > kMaxDelayMs) {
    *error = "delay '" + std::string(text) + "' is not a whole number of milliseconds from 0 to " +
             std::to_string(kMaxDelayMs);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<WebConf> ParseWebConf(std::string_view text, std::string* error) {
  WebConf conf;
  std::size_t pos = 0;
  int number = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(number) + ": ";
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      *error = where + "expected key=value, got '" + std::string(line) + "'";
      return std::nullopt;
    }
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string_view value = Trim(line.substr(eq + 1));
    std::string why;
    if (key == "error_percent") {
      if (conf.error_percent_set) {
        *error = where + "error_percent given twice";
        return std::nullopt;
      }
      const std::optional<int> bp = ParseErrorPercent(value, &why);
      if (!bp) {
        *error = where + why;
        return std::nullopt;
      }
      conf.behaviour.error_basis_points = *bp;
      conf.error_percent_set = true;
    } else if (key == "delay_ms") {
      if (conf.delay_set) {
        *error = where + "delay_ms given twice";
        return std::nullopt;
      }
      const std::optional<int> ms = ParseDelayMs(value, &why);
      if (!ms) {
        *error = where + why;
        return std::nullopt;
      }
      conf.behaviour.delay = std::chrono::milliseconds(*ms);
      conf.delay_set = true;
    } else {
      *error = where + "unknown key '" + std::string(key) + "' (known: error_percent, delay_ms)";
      return std::nullopt;
    }
  }
  return conf;
}

std::optional<WebConf> LoadWebConf(const std::string& dir, std::string* error) {
  const std::filesystem::path path = std::filesystem::path(dir) / "web.conf";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) {
      *error = path.string() + ": " + ec.message();
      return std::nullopt;
    }
    return WebConf{};
  }
  std::ifstream in(path);
  if (!in) {
    *error = path.string() + ": cannot be read: " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string why;
  std::optional<WebConf> conf = ParseWebConf(text.str(), &why);
  if (!conf) *error = path.string() + ": " + why;
  return conf;
}

bool IsErrorRequest(std::uint64_t n, int error_basis_points) {
  if (n == 0 || error_basis_points <= 0) return false;
  const auto bp = static_cast<std::uint64_t>(error_basis_points);
  return (n * bp) / 10000 > ((n - 1) * bp) / 10000;
}

}  // namespace shoal::web
