// SigV4 as botocore computes it: the cases of tests/data/aws/sigv4_cases.json
// with botocore's answers frozen in the file (the integration test
// botocore_sigv4_test.cc re-derives them from botocore itself), plus the
// encoding rules one by one.
#include "adapters/aws/signer.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace shoal::aws {
namespace {

nlohmann::json LoadCases() {
  std::ifstream in(std::string(SHOAL_SOURCE_DIR) + "/tests/data/aws/sigv4_cases.json");
  return nlohmann::json::parse(in);
}

TEST(SignerTest, EveryCaseMatchesBotocoresFrozenAnswer) {
  const nlohmann::json spec = LoadCases();
  ASSERT_GE(spec["cases"].size(), 6u);
  for (const auto& c : spec["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    HttpRequest request;
    request.method = c["method"];
    request.url = c["url"];
    request.body = c["body"];
    for (const auto& header : c["headers"]) request.headers.emplace_back(header[0], header[1]);
    Credentials credentials{spec["access_key_id"], spec["secret_access_key"],
                            c["session_token"].get<bool>() ? spec["session_token"].get<std::string>() : "", kNever,
                            "test"};
    const SigningParams params{c["service"], c["region"], c["s3"], c["unsigned_payload"]};
    ASSERT_TRUE(SignRequest(request, credentials, spec["unix_time"].get<Seconds>(), params).ok());
    EXPECT_EQ(HeaderValue(request.headers, "authorization"), c["expected_authorization"].get<std::string>());
    EXPECT_EQ(HeaderValue(request.headers, "x-amz-content-sha256"), c["expected_content_sha256"].get<std::string>());
  }
}

TEST(SignerTest, SigningTwiceReplacesTheSignersHeaders) {
  HttpRequest request;
  request.url = "https://ec2.us-east-1.amazonaws.com/?Action=DescribeRegions";
  const Credentials credentials{"AKID", "SECRET", "TOKEN", kNever, "test"};
  ASSERT_TRUE(SignRequest(request, credentials, 1768465800, {"ec2", "us-east-1"}).ok());
  const std::string first = HeaderValue(request.headers, "authorization");
  ASSERT_TRUE(SignRequest(request, credentials, 1768465801, {"ec2", "us-east-1"}).ok());
  EXPECT_EQ(request.headers.size(), 3u);  // X-Amz-Date, X-Amz-Security-Token, Authorization: once each
  EXPECT_NE(HeaderValue(request.headers, "authorization"), first);
  EXPECT_EQ(HeaderValue(request.headers, "x-amz-date"), "20260115T083001Z");
}

TEST(SignerTest, RefusesIncompleteCredentials) {
  HttpRequest request;
  request.url = "https://ec2.us-east-1.amazonaws.com/";
  const Status status = SignRequest(request, Credentials{"AKID", "", "", kNever, ""}, 0, {"ec2", "us-east-1"});
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
}

TEST(SignerTest, UriEncodeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b+c=d/e:f", false), "a%20b%2Bc%3Dd%2Fe%3Af");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xc3\xa9", false), "%C3%A9");
  EXPECT_EQ(UriEncode("%", false), "%25");
}

TEST(SignerTest, CanonicalUriDoubleEncodesExceptForS3) {
  HttpRequest request;
  request.method = "GET";
  request.url = "https://host.example/a%20b/./c//d/../e";
  const std::string other = CanonicalRequest(request, {"sqs", "us-east-1"});
  EXPECT_EQ(other.substr(0, other.find('\n', 4)), "GET\n/a%2520b/c/e");
  const std::string s3 = CanonicalRequest(request, {"s3", "us-east-1", true});
  EXPECT_EQ(s3.substr(0, s3.find('\n', 4)), "GET\n/a%20b/./c//d/../e");
}

TEST(SignerTest, CanonicalQueryIsSortedByKeyThenValue) {
  HttpRequest request;
  request.method = "GET";
  request.url = "https://host.example/?b=2&a=2&a=1&c";
  const std::string canonical = CanonicalRequest(request, {"ec2", "us-east-1"});
  EXPECT_NE(canonical.find("\na=1&a=2&b=2&c=\n"), std::string::npos) << canonical;
}

TEST(SignerTest, HostLeavesOutTheDefaultPortOnly) {
  HttpRequest request;
  request.url = "https://Host.Example:443/";
  EXPECT_NE(CanonicalRequest(request, {"ec2", "us-east-1"}).find("\nhost:host.example\n"), std::string::npos);
  request.url = "http://127.0.0.1:8080/";
  EXPECT_NE(CanonicalRequest(request, {"ec2", "us-east-1"}).find("\nhost:127.0.0.1:8080\n"), std::string::npos);
}

TEST(SignerTest, AmzDateIsUtc) {
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
  EXPECT_EQ(AmzDate(1768465800), "20260115T083000Z");
  EXPECT_EQ(AmzDate(951782400), "20000229T000000Z");
}

TEST(SignerTest, Sha256OfNothing) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace shoal::aws
