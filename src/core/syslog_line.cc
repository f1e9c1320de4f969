#include "core/syslog_line.h"

#include <cstddef>

namespace shoal {
namespace {

// Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

void AppendDigits(std::string* out, std::int64_t value, int width) {
  std::string digits(static_cast<std::size_t>(width), '0');
  for (int i = width - 1; i >= 0 && value > 0; --i) {
    digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  *out += digits;
}

bool IsPrintUsAscii(char c) { return c >= 33 && c <= 126; }

// A header field: printable US-ASCII only, at most `max` characters, "-" when empty.
std::string HeaderField(std::string_view value, std::size_t max) {
  if (value.empty()) return "-";
  std::string out;
  for (char c : value.substr(0, max)) out += IsPrintUsAscii(c) ? c : '_';
  return out;
}

// SD-NAME: 1..32 printable US-ASCII except '=', ' ', ']' and '"'.
std::string SdName(std::string_view value) {
  if (value.empty()) return "_";
  std::string out;
  for (char c : value.substr(0, 32)) {
    out += (IsPrintUsAscii(c) && c != '=' && c != ']' && c != '"') ? c : '_';
  }
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Take(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }
  // Up to the next space (not consumed); empty when at a space or the end.
  std::string_view Token() {
    const std::size_t start = pos_;
    while (!AtEnd() && text_[pos_] != ' ') ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::string_view Rest() {
    std::string_view r = text_.substr(pos_);
    pos_ = text_.size();
    return r;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

bool Fail(std::string* error, const std::string& why) {
  if (error != nullptr) *error = why;
  return false;
}

bool ParseSdName(Reader& r, std::string* out, char stop1, char stop2) {
  out->clear();
  while (!r.AtEnd()) {
    const char c = r.Peek();
    if (c == stop1 || c == stop2) break;
    if (!IsPrintUsAscii(c) || c == '=' || c == ']' || c == '"') return false;
    *out += c;
    ++r.pos_;
  }
  return !out->empty() && out->size() <= 32;
}

bool ParseSd(Reader& r, std::vector<SdElement>* out, std::string* error) {
  if (r.Take('-')) return true;
  if (r.Peek() != '[') return Fail(error, "structured data must be '-' or start with '['");
  while (r.Take('[')) {
    SdElement e;
    if (!ParseSdName(r, &e.id, ' ', ']')) return Fail(error, "bad SD-ID");
    while (r.Take(' ')) {
      std::string name;
      if (!ParseSdName(r, &name, '=', '=')) return Fail(error, "bad SD-PARAM name in [" + e.id + "]");
      if (!r.Take('=') || !r.Take('"')) return Fail(error, "SD-PARAM " + name + " needs =\"value\"");
      std::string value;
      bool closed = false;
      while (!r.AtEnd()) {
        char c = r.text_[r.pos_++];
        if (c == '\\' && !r.AtEnd()) {
          const char next = r.text_[r.pos_];
          // Only these three are escapes; any other backslash is kept (§6.3.3).
          if (next == '"' || next == '\\' || next == ']') {
            value += next;
            ++r.pos_;
            continue;
          }
        } else if (c == '"') {
          closed = true;
          break;
        } else if (c == ']') {
          return Fail(error, "unescaped ']' in SD-PARAM " + name);
        }
        value += c;
      }
      if (!closed) return Fail(error, "SD-PARAM " + name + " is not closed");
      e.params.emplace_back(std::move(name), std::move(value));
    }
    if (!r.Take(']')) return Fail(error, "SD-ELEMENT [" + e.id + " is not closed");
    out->push_back(std::move(e));
  }
  return true;
}

std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<std::string> SyslogMessage::Param(std::string_view id, std::string_view name) const {
  for (const SdElement& e : structured_data) {
    if (e.id != id) continue;
    for (const auto& [k, v] : e.params) {
      if (k == name) return v;
    }
  }
  return std::nullopt;
}

std::string FormatRfc3339Micros(std::int64_t time_us) {
  std::int64_t secs = time_us / 1000000;
  std::int64_t micros = time_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  CivilFromDays(days, &y, &m, &d);
  std::string out;
  AppendDigits(&out, y, 4);
  out += '-';
  AppendDigits(&out, m, 2);
  out += '-';
  AppendDigits(&out, d, 2);
  out += 'T';
  AppendDigits(&out, rem / 3600, 2);
  out += ':';
  AppendDigits(&out, rem / 60 % 60, 2);
  out += ':';
  AppendDigits(&out, rem % 60, 2);
  out += '.';
  AppendDigits(&out, micros, 6);
  out += 'Z';
  return out;
}

std::optional<std::int64_t> ParseRfc3339Micros(std::string_view t) {
  const auto year = Digits(t, 0, 4);
  const auto month = Digits(t, 5, 2);
  const auto day = Digits(t, 8, 2);
  const auto hour = Digits(t, 11, 2);
  const auto minute = Digits(t, 14, 2);
  const auto second = Digits(t, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || t.size() < 20) return std::nullopt;
  if (t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (t[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (t[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (int i = n; i < 6; ++i) micros *= 10;
  }
  std::int64_t offset = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    const auto oh = Digits(t, pos + 1, 2);
    const auto om = Digits(t, pos + 4, 2);
    if (!oh || !om || pos + 6 > t.size() || t[pos + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = (t[pos] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const std::int64_t days = DaysFromCivil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  const std::int64_t secs = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset;
  return secs * 1000000 + micros;
}

std::string EscapeSdValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  for (char c : value) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string FormatSyslog(const SyslogMessage& m) {
  const int facility = m.facility >= 0 && m.facility <= 23 ? m.facility : 16;
  const int severity = m.severity >= 0 && m.severity <= 7 ? m.severity : 6;
  std::string out = "<" + std::to_string(facility * 8 + severity) + ">1 ";
  out += FormatRfc3339Micros(m.time_us);
  out += ' ';
  out += HeaderField(m.hostname, 255);
  out += ' ';
  out += HeaderField(m.app_name, 48);
  out += ' ';
  out += HeaderField(m.proc_id, 128);
  out += ' ';
  out += HeaderField(m.msg_id, 32);
  out += ' ';
  if (m.structured_data.empty()) {
    out += '-';
  } else {
    for (const SdElement& e : m.structured_data) {
      out += '[';
      out += SdName(e.id);
      for (const auto& [k, v] : e.params) {
        out += ' ';
        out += SdName(k);
        out += "=\"";
        out += EscapeSdValue(v);
        out += '"';
      }
      out += ']';
    }
  }
  if (!m.msg.empty()) {
    out += ' ';
    out += m.msg;
  }
  return out;
}

std::optional<SyslogMessage> ParseSyslog(std::string_view line, std::string* error) {
  Reader r(line);
  SyslogMessage m;
  if (!r.Take('<')) return Fail(error, "missing <PRI>"), std::nullopt;
  int pri = 0;
  int n = 0;
  while (r.Peek() >= '0' && r.Peek() <= '9' && !r.AtEnd()) {
    pri = pri * 10 + (r.Peek() - '0');
    r.Take(r.Peek());
    ++n;
  }
  if (n == 0 || n > 3 || pri > 191 || !r.Take('>')) return Fail(error, "bad <PRI>"), std::nullopt;
  m.facility = pri / 8;
  m.severity = pri % 8;
  if (r.Token() != "1" || !r.Take(' ')) return Fail(error, "version must be 1"), std::nullopt;
  const std::string_view ts = r.Token();
  if (ts == "-") {
    m.time_us = 0;
  } else if (std::optional<std::int64_t> t = ParseRfc3339Micros(ts)) {
    m.time_us = *t;
  } else {
    return Fail(error, "bad TIMESTAMP \"" + std::string(ts) + "\""), std::nullopt;
  }
  std::string* fields[] = {&m.hostname, &m.app_name, &m.proc_id, &m.msg_id};
  const char* names[] = {"HOSTNAME", "APP-NAME", "PROCID", "MSGID"};
  const std::size_t limits[] = {255, 48, 128, 32};
  for (int i = 0; i < 4; ++i) {
    if (!r.Take(' ')) return Fail(error, std::string("missing ") + names[i]), std::nullopt;
    const std::string_view v = r.Token();
    if (v.empty() || v.size() > limits[i]) return Fail(error, std::string("bad ") + names[i]), std::nullopt;
    for (char c : v) {
      if (!IsPrintUsAscii(c)) return Fail(error, std::string("bad ") + names[i]), std::nullopt;
    }
    if (v != "-") *fields[i] = std::string(v);
  }
  if (!r.Take(' ')) return Fail(error, "missing STRUCTURED-DATA"), std::nullopt;
  if (!ParseSd(r, &m.structured_data, error)) return std::nullopt;
  if (!r.AtEnd()) {
    if (!r.Take(' ')) return Fail(error, "STRUCTURED-DATA must be followed by a space"), std::nullopt;
    std::string_view msg = r.Rest();
    if (msg.substr(0, 3) == "\xEF\xBB\xBF") msg.remove_prefix(3);  // the UTF-8 BOM
    m.msg = std::string(msg);
  }
  return m;
}

}  // namespace shoal
