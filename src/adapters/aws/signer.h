// AWS Signature Version 4, computed with OpenSSL (SHA-256, HMAC-SHA256), the
// same way botocore does it (tests/integration/aws compares the two):
//   - every header of the request is signed, except the ones a proxy may
//     change (user-agent, expect, connection, ...); host comes from the URL
//     when the request has no Host header
//   - the canonical URI: for S3 the path exactly as sent; for every other
//     service the path with dot segments and empty segments removed, then
//     percent-encoded once more (so "%20" on the wire signs as "%2520")
//   - the canonical query: the URL's pairs, already encoded, sorted
//   - the payload hash: SHA-256 of the body; S3 also sends it as
//     x-amz-content-sha256, or "UNSIGNED-PAYLOAD" when asked
//   - a session token goes in x-amz-security-token and is signed
#pragma once

#include <string>
#include <string_view>

#include "adapters/aws/credentials.h"
#include "adapters/aws/http.h"
#include "core/status.h"
#include "core/time.h"

namespace shoal::aws {

struct SigningParams {
  std::string service;  // the signing name: "ec2", "elasticloadbalancing", "s3", ...
  std::string region;
  bool s3 = false;                // S3's rules: no path normalization, x-amz-content-sha256
  bool unsigned_payload = false;  // S3 only: sign "UNSIGNED-PAYLOAD" instead of the body's hash
};

// Adds X-Amz-Date, X-Amz-Security-Token (with a session token),
// X-Amz-Content-SHA256 (S3) and Authorization to `request`, replacing any
// earlier ones (a retry is signed again). `unix_now` is the signing time.
Status SignRequest(HttpRequest& request, const Credentials& credentials, Seconds unix_now,
                   const SigningParams& params);

// Percent-encodes everything but the RFC 3986 unreserved characters
// (A-Z a-z 0-9 - _ . ~), and '/' too when `keep_slash`.
std::string UriEncode(std::string_view text, bool keep_slash);

// "20261202T120119Z"
std::string AmzDate(Seconds unix_now);

// Lower-case hex SHA-256.
std::string Sha256Hex(std::string_view data);

// The canonical request the signature covers (exposed for tests and for
// debugging a SignatureDoesNotMatch).
std::string CanonicalRequest(const HttpRequest& request, const SigningParams& params);

}  // namespace shoal::aws
