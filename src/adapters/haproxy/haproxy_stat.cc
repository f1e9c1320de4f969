// `show stat` is CSV whose columns grew over HAProxy versions, so columns are
// found by the header's names and a missing one just leaves its field at zero.
#include <charconv>
#include <map>
#include <string_view>

#include "adapters/haproxy/haproxy.h"

namespace shoal {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

// Empty or unparsable counters read as 0: HAProxy leaves cells empty where a
// figure does not apply (e.g. `rate` of a server without traffic yet).
std::int64_t ToInt(std::string_view text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

class Columns {
 public:
  explicit Columns(std::string_view header) {
    const auto names = SplitFields(header);
    for (std::size_t i = 0; i < names.size(); ++i) index_[std::string(names[i])] = i;
  }
  bool Has(const std::string& name) const { return index_.count(name) != 0; }
  std::string_view Get(const std::vector<std::string_view>& row, const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end() || it->second >= row.size()) return {};
    return row[it->second];
  }

 private:
  std::map<std::string, std::size_t> index_;
};

ServerStat ToStat(const Columns& cols, const std::vector<std::string_view>& row) {
  ServerStat s;
  s.backend = std::string(cols.Get(row, "pxname"));
  s.server = std::string(cols.Get(row, "svname"));
  s.status = std::string(cols.Get(row, "status"));
  s.current_sessions = ToInt(cols.Get(row, "scur"));
  s.total_sessions = ToInt(cols.Get(row, "stot"));
  s.request_rate = ToInt(cols.Get(row, "rate"));
  s.http_responses_5xx = ToInt(cols.Get(row, "hrsp_5xx"));
  for (const char* column : {"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"}) {
    s.http_responses += ToInt(cols.Get(row, column));
  }
  s.response_time_ms = ToInt(cols.Get(row, "rtime"));
  s.total_time_ms = ToInt(cols.Get(row, "ttime"));
  s.check_status = std::string(cols.Get(row, "check_status"));
  s.address = std::string(cols.Get(row, "addr"));
  // HAProxy marks a check still running with a leading '*'.
  if (!s.check_status.empty() && s.check_status[0] == '*') s.check_status.erase(0, 1);
  while (!s.check_status.empty() && s.check_status[0] == ' ') s.check_status.erase(0, 1);
  return s;
}

bool NextLine(std::string_view text, std::size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  std::size_t end = text.find('\n', pos);
  if (end == std::string_view::npos) end = text.size();
  line = text.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = end + 1;
  return true;
}

}  // namespace

Result<std::vector<ServerStat>> ParseShowStat(const std::string& csv) {
  constexpr std::string_view kHeaderStart = "# ";
  std::size_t pos = 0;
  std::string_view line;
  while (NextLine(csv, pos, line) && line.empty()) {
  }
  if (line.substr(0, kHeaderStart.size()) != kHeaderStart) {
    return Status::InvalidArgument("show stat: no '# pxname,svname,...' header; HAProxy answered: " +
                                   std::string(line.substr(0, 200)));
  }
  const Columns cols(line.substr(kHeaderStart.size()));
  if (!cols.Has("pxname") || !cols.Has("svname")) {
    return Status::InvalidArgument("show stat: header lacks pxname/svname: " + std::string(line.substr(0, 200)));
  }
  std::vector<ServerStat> out;
  while (NextLine(csv, pos, line)) {
    if (line.empty()) continue;
    const auto row = SplitFields(line);
    // Checked by name, as read: the columns may come in any order.
    if (cols.Get(row, "pxname").empty() || cols.Get(row, "svname").empty()) {
      return Status::InvalidArgument("show stat: malformed row (no pxname or svname): " +
                                     std::string(line.substr(0, 200)));
    }
    out.push_back(ToStat(cols, row));
  }
  return out;
}

}  // namespace shoal
