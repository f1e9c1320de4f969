// Shoal's SigV4 against botocore's own: tests/integration/aws/botocore_sigv4.py
// signs every case of tests/data/aws/sigv4_cases.json with botocore at the
// file's fixed time; each Authorization header (and S3's payload hash) must
// equal Shoal's, and the values frozen in the file for the unit tests.
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "adapters/aws/signer.h"
#include "aws_support.h"

namespace shoal::aws {
namespace {

const std::string kCases = std::string(SHOAL_SOURCE_DIR) + "/tests/data/aws/sigv4_cases.json";
const std::string kScript = std::string(SHOAL_SOURCE_DIR) + "/tests/integration/aws/botocore_sigv4.py";

TEST(BotocoreSigV4Test, ShoalSignsEveryCaseExactlyAsBotocoreDoes) {
  SHOAL_REQUIRE_EXECUTABLE(testing::PythonPath());
  std::string out, err;
  ASSERT_EQ(testing::RunCapture({testing::PythonPath(), kScript, kCases}, &out, &err), 0) << err;
  const nlohmann::json botocore = nlohmann::json::parse(out);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& signed_case : botocore) by_name[signed_case["name"]] = signed_case;

  std::ifstream in(kCases);
  const nlohmann::json spec = nlohmann::json::parse(in);
  ASSERT_EQ(by_name.size(), spec["cases"].size());
  for (const auto& c : spec["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    ASSERT_TRUE(by_name.count(name));
    HttpRequest request;
    request.method = c["method"];
    request.url = c["url"];
    request.body = c["body"];
    for (const auto& header : c["headers"]) request.headers.emplace_back(header[0], header[1]);
    const Credentials credentials{spec["access_key_id"], spec["secret_access_key"],
                                  c["session_token"].get<bool>() ? spec["session_token"].get<std::string>() : "",
                                  kNever, "test"};
    ASSERT_TRUE(SignRequest(request, credentials, spec["unix_time"].get<Seconds>(),
                            {c["service"], c["region"], c["s3"], c["unsigned_payload"]})
                    .ok());
    const std::string theirs = by_name[name]["authorization"];
    EXPECT_EQ(HeaderValue(request.headers, "authorization"), theirs);
    EXPECT_EQ(HeaderValue(request.headers, "x-amz-content-sha256"), by_name[name]["content_sha256"].get<std::string>());
    EXPECT_EQ(c["expected_authorization"].get<std::string>(), theirs) << "the frozen value is stale";
  }
}

}  // namespace
}  // namespace shoal::aws
