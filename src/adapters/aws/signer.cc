#include "adapters/aws/signer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <vector>

#include "adapters/data/iso_time.h"

namespace shoal::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Headers a proxy or the HTTP stack may add or change: signing them would
// break the signature on the way (botocore leaves out the same ones).
constexpr std::array<std::string_view, 11> kUnsignedHeaders = {
    "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"};

// The headers the signer itself sets; removed first so a retry signs afresh.
constexpr std::array<std::string_view, 4> kSignerHeaders = {"authorization", "x-amz-date", "x-amz-security-token",
                                                            "x-amz-content-sha256"};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &size);
  return std::string(reinterpret_cast<const char*>(mac), size);
}

struct UrlParts {
  std::string host;   // as the Host header carries it
  std::string path;   // as sent, "/" when empty
  std::string query;  // as sent, without '?'
};

UrlParts SplitUrl(const std::string& url) {
  UrlParts parts;
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : Lower(url.substr(0, scheme_end));
  const std::size_t authority_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto path_start = url.find_first_of("/?#", authority_start);
  std::string authority = url.substr(authority_start, path_start - authority_start);
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  // The default port is left out, as browsers, curl and botocore do.
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    if ((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) authority.resize(colon);
  }
  parts.host = Lower(authority);
  if (path_start == std::string::npos) {
    parts.path = "/";
    return parts;
  }
  const std::string rest = url.substr(path_start);
  const auto fragment = rest.find('#');
  const std::string before_fragment = rest.substr(0, fragment);
  const auto question = before_fragment.find('?');
  parts.path = before_fragment.substr(0, question);
  if (question != std::string::npos) parts.query = before_fragment.substr(question + 1);
  if (parts.path.empty()) parts.path = "/";
  return parts;
}

// RFC 3986 section 5.2.4, plus dropping empty segments (AWS services want
// "//" collapsed); a trailing '/' stays.
std::string RemoveDotSegments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!segment.empty() && segment != ".") {
      out.push_back(segment);
    }
    start = end + 1;
  }
  std::string joined = path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < out.size(); ++i) joined += (i == 0 ? "" : "/") + out[i];
  if (path.back() == '/' && !out.empty()) joined += "/";
  return joined;
}

std::string CanonicalUri(const std::string& path, bool s3) {
  if (s3) return path;
  return UriEncode(RemoveDotSegments(path), /*keep_slash=*/true);
}

std::string CanonicalQuery(const std::string& query) {
  if (query.empty()) return "";
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const auto eq = pair.find('=');
    pairs.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) out += (out.empty() ? "" : "&") + key + "=" + value;
  return out;
}

// Trimmed, with every run of whitespace inside made one space.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// name -> canonical value (repeated headers joined with ','), sorted by name.
std::map<std::string, std::string> HeadersToSign(const HttpRequest& request, const UrlParts& url) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    const std::string lower = Lower(name);
    if (std::find(kUnsignedHeaders.begin(), kUnsignedHeaders.end(), lower) != kUnsignedHeaders.end()) continue;
    auto [it, inserted] = headers.emplace(lower, CanonicalHeaderValue(value));
    if (!inserted) it->second += "," + CanonicalHeaderValue(value);
  }
  if (headers.find("host") == headers.end()) headers["host"] = url.host;
  return headers;
}

std::string SignedHeaderList(const std::map<std::string, std::string>& headers) {
  std::string out;
  for (const auto& entry : headers) out += (out.empty() ? "" : ";") + entry.first;
  return out;
}

void RemoveHeader(Headers& headers, std::string_view lower_name) {
  std::erase_if(headers, [&](const auto& header) { return Lower(header.first) == lower_name; });
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kDigits[u >> 4];
      out += kDigits[u & 0xf];
    }
  }
  return out;
}

std::string AmzDate(Seconds unix_now) {
  const std::int64_t days = unix_now >= 0 ? unix_now / 86400 : (unix_now - 86399) / 86400;
  const std::int64_t second_of_day = unix_now - days * 86400;
  const CivilDate date = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", date.year, date.month, date.day,
                static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                static_cast<int>(second_of_day % 60));
  return buf;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size);
}

std::string CanonicalRequest(const HttpRequest& request, const SigningParams& params) {
  const UrlParts url = SplitUrl(request.url);
  const auto headers = HeadersToSign(request, url);
  std::string payload_hash = HeaderValue(request.headers, "x-amz-content-sha256");
  if (payload_hash.empty()) payload_hash = Sha256Hex(request.body);
  std::string out;
  std::string method = request.method;
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out += method + "\n";
  out += CanonicalUri(url.path, params.s3) + "\n";
  out += CanonicalQuery(url.query) + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + SignedHeaderList(headers) + "\n";
  out += payload_hash;
  return out;
}

Status SignRequest(HttpRequest& request, const Credentials& credentials, Seconds unix_now,
                   const SigningParams& params) {
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::PermissionDenied("aws signing: credentials without an access key id or secret");
  }
  if (params.service.empty() || params.region.empty()) {
    return Status::InvalidArgument("aws signing: no service or region");
  }
  for (std::string_view name : kSignerHeaders) RemoveHeader(request.headers, name);
  const std::string amz_date = AmzDate(unix_now);
  request.headers.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  if (params.s3) {
    request.headers.emplace_back("X-Amz-Content-SHA256", params.unsigned_payload ? std::string(kUnsignedPayload)
                                                                                 : Sha256Hex(request.body));
  }
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  const std::string string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                                     Sha256Hex(CanonicalRequest(request, params));
  const std::string k_date = Hmac("AWS4" + credentials.secret_access_key, date);
  const std::string k_region = Hmac(k_date, params.region);
  const std::string k_service = Hmac(k_region, params.service);
  const std::string k_signing = Hmac(k_service, "aws4_request");
  const std::string mac = Hmac(k_signing, string_to_sign);
  const std::string signature = Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  const UrlParts url = SplitUrl(request.url);
  request.headers.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                                                    "/" + scope +
                                                    ", SignedHeaders=" + SignedHeaderList(HeadersToSign(request, url)) +
                                                    ", Signature=" + signature);
  return Status::Ok();
}

}  // namespace shoal::aws
