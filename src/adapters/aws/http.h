// HTTP(S) requests through libcurl, for the AWS client and IMDS.
//
// Connections are reused: idle easy handles (each keeping its connection
// cache) wait in a small pool, so consecutive calls to the same endpoint
// ride the same keep-alive connection. Every request has a connect and a
// total timeout and a cap on the response body; TLS peers are verified
// unless a test turns it off. Redirects are not followed (AWS does not send
// them to its SDKs; a custom endpoint that does is misconfigured).
// Thread-safe: each request takes its own handle.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace shoal::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive), or "".
std::string HeaderValue(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute, path and query already percent-encoded
  Headers headers;
  std::string body;
  std::size_t max_response_bytes = 0;  // 0: the client's default
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names in lower case
  std::string body;
  std::string Header(std::string_view name) const { return HeaderValue(headers, name); }
};

// Why no response arrived.
enum class HttpFailure {
  kNone,
  kConnect,   // refused, unreachable, DNS, TLS handshake or verification
  kTimeout,   // the connect or the total timeout passed
  kTooLarge,  // the body went past the cap
  kOther,     // the connection broke mid-way, a bad response, ...
};

struct [[nodiscard]] HttpOutcome {
  HttpFailure failure = HttpFailure::kNone;
  std::string error;  // what failed, when failure != kNone
  HttpResponse response;
  bool ok() const { return failure == HttpFailure::kNone; }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpOutcome Send(const HttpRequest& request) = 0;
};

struct HttpOptions {
  long connect_timeout_ms = 3000;
  long total_timeout_ms = 30000;
  std::size_t max_response_bytes = 8 << 20;
  bool verify_tls = true;
  std::string ca_file;           // "" = the system's CA store
  std::size_t max_idle_handles = 4;
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpOutcome Send(const HttpRequest& request) override;

  // New connections opened so far (libcurl's CURLINFO_NUM_CONNECTS, summed):
  // shows whether connections are reused.
  long connections_opened() const { return connections_opened_.load(); }

 private:
  void* TakeHandle();
  void ReturnHandle(void* handle);

  HttpOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* kept opaque so libcurl's header stays in http.cc
  std::atomic<long> connections_opened_{0};
};

}  // namespace shoal::aws
