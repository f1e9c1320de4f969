// The credentials chain: environment, profile files, and the instance role
// through a loopback IMDS of the test's own (AWS_EC2_METADATA_SERVICE_ENDPOINT).
#include "adapters/aws/credentials_chain.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "adapters/aws/imds_credentials.h"
#include "adapters/data/iso_time.h"
#include "aws_test_util.h"

namespace shoal::aws {
namespace {

using testing::LoopbackServer;
using testing::ManualClock;

constexpr Seconds kNow = 1768465800;  // 2026-01-15T08:30:00Z

// IMDS with one role. `v2` answers the token PUT; otherwise the PUT gets 405
// (an IMDS that offers only v1). Counts what it serves.
class FakeImds {
 public:
  explicit FakeImds(bool v2 = true) : v2_(v2) {
    server_.server().Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++token_requests_;
      if (!v2_) {
        res.status = 405;
        return;
      }
      if (req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds").empty()) {
        res.status = 400;
        return;
      }
      res.set_content("TOKEN-1", "text/plain");
    });
    server_.server().Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
                         [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); });
    server_.Start();
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    if (v2_ && req.get_header_value("X-aws-ec2-metadata-token") != "TOKEN-1") {
      res.status = 401;
      return;
    }
    const std::string role = req.matches[1];
    if (role.empty()) {
      if (role_.empty()) {
        res.status = 404;
        return;
      }
      res.set_content(role_ + "\n", "text/plain");
      return;
    }
    ++credential_requests_;
    if (failing_) {
      res.status = 500;
      return;
    }
    res.set_content("{\"Code\":\"Success\",\"LastUpdated\":\"2026-01-15T08:00:00Z\",\"Type\":\"AWS-HMAC\","
                    "\"AccessKeyId\":\"" + key_ + "\",\"SecretAccessKey\":\"SECRET\",\"Token\":\"SESSION\","
                    "\"Expiration\":\"" + FormatIsoUtc(expiration_) + "\"}",
                    "text/plain");
  }

  void Set(const std::string& key, Seconds expiration) {
    std::lock_guard<std::mutex> lock(mu_);
    key_ = key;
    expiration_ = expiration;
  }
  void SetFailing(bool failing) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = failing;
  }
  void SetRole(const std::string& role) {
    std::lock_guard<std::mutex> lock(mu_);
    role_ = role;
  }
  int credential_requests() const { return credential_requests_; }
  int token_requests() const { return token_requests_; }
  std::string url() const { return server_.url(); }

 private:
  bool v2_;
  LoopbackServer server_;
  std::mutex mu_;
  std::string role_ = "web-role";
  std::string key_ = "ASIA-ROLE-1";
  Seconds expiration_ = kNow + 6 * kHour;
  bool failing_ = false;
  std::atomic<int> credential_requests_{0};
  std::atomic<int> token_requests_{0};
};

class TempFiles {
 public:
  TempFiles() {
    std::string tmpl = "/tmp/shoal-aws-creds-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
  }
  ~TempFiles() { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Every chain in these tests: no real home directory, IMDS where the test says.
std::map<std::string, std::string> BaseEnv(const TempFiles& files, const std::string& imds) {
  return {{"HOME", files.dir()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds}};
}

Result<Credentials> GetOnce(std::map<std::string, std::string> vars, ChainOptions options = {}) {
  ManualClock clock(kNow);
  CredentialsChain chain(MapEnv(std::move(vars)), options, &clock, nullptr, nullptr);
  return chain.Get();
}

TEST(CredentialsTest, EnvironmentComesFirst) {
  TempFiles files;
  FakeImds imds;
  auto vars = BaseEnv(files, imds.url());
  vars["AWS_ACCESS_KEY_ID"] = "AKID-ENV";
  vars["AWS_SECRET_ACCESS_KEY"] = "SECRET-ENV";
  vars["AWS_SESSION_TOKEN"] = "TOKEN-ENV";
  vars["AWS_SHARED_CREDENTIALS_FILE"] = files.Write("credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n");
  auto credentials = GetOnce(vars);
  ASSERT_TRUE(credentials.ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKID-ENV");
  EXPECT_EQ(credentials->session_token, "TOKEN-ENV");
  EXPECT_EQ(credentials->source, "env");
  EXPECT_EQ(credentials->expiration, kNever);
  EXPECT_EQ(imds.token_requests(), 0);
}

TEST(CredentialsTest, HalfAnEnvironmentPairIsAnError) {
  TempFiles files;
  auto vars = BaseEnv(files, "http://127.0.0.1:1");
  vars["AWS_ACCESS_KEY_ID"] = "AKID-ENV";
  auto credentials = GetOnce(vars);
  EXPECT_EQ(credentials.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(credentials.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(CredentialsTest, ProfileFromTheSharedFiles) {
  TempFiles files;
  FakeImds imds;
  auto vars = BaseEnv(files, imds.url());
  vars["AWS_SHARED_CREDENTIALS_FILE"] =
      files.Write("credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=B\n"
                                 "[prod]\naws_access_key_id = AKID-PROD\naws_secret_access_key = SECRET-PROD\n"
                                 "aws_session_token = TOKEN-PROD\n");
  vars["AWS_PROFILE"] = "prod";
  auto credentials = GetOnce(vars);
  ASSERT_TRUE(credentials.ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKID-PROD");
  EXPECT_EQ(credentials->session_token, "TOKEN-PROD");
  EXPECT_EQ(credentials->source, "profile prod");
  // The option beats AWS_PROFILE.
  auto asked = GetOnce(vars, ChainOptions{"default"});
  EXPECT_EQ(asked->access_key_id, "A");
  EXPECT_EQ(imds.token_requests(), 0);
}

TEST(CredentialsTest, ConfigFileProfileSectionsWork) {
  TempFiles files;
  auto vars = BaseEnv(files, "http://127.0.0.1:1");
  vars["AWS_CONFIG_FILE"] =
      files.Write("config", "[profile ops]\naws_access_key_id = AKID-OPS\naws_secret_access_key = S\n");
  auto credentials = GetOnce(vars, ChainOptions{"ops"});
  ASSERT_TRUE(credentials.ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "AKID-OPS");
}

TEST(CredentialsTest, ANamedProfileThatDoesNotExistIsAnError) {
  TempFiles files;
  FakeImds imds;
  auto vars = BaseEnv(files, imds.url());
  vars["AWS_PROFILE"] = "nope";
  auto credentials = GetOnce(vars);
  EXPECT_EQ(credentials.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(credentials.status().message().find("\"nope\""), std::string::npos);
  EXPECT_EQ(imds.token_requests(), 0);  // no silent fall-through to the instance role
}

TEST(CredentialsTest, UnsupportedProfileSourcesAreRefusedByName) {
  TempFiles files;
  auto vars = BaseEnv(files, "http://127.0.0.1:1");
  vars["AWS_CONFIG_FILE"] = files.Write("config", "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = b\n");
  auto credentials = GetOnce(vars);
  EXPECT_EQ(credentials.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(credentials.status().message().find("role_arn"), std::string::npos);
}

TEST(CredentialsTest, InstanceRoleThroughImdsV2) {
  TempFiles files;
  FakeImds imds;
  auto credentials = GetOnce(BaseEnv(files, imds.url()));
  ASSERT_TRUE(credentials.ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIA-ROLE-1");
  EXPECT_EQ(credentials->secret_access_key, "SECRET");
  EXPECT_EQ(credentials->session_token, "SESSION");
  EXPECT_EQ(credentials->expiration, kNow + 6 * kHour);
  EXPECT_EQ(credentials->source, "imds role web-role");
  EXPECT_EQ(imds.token_requests(), 1);
}

TEST(CredentialsTest, InstanceRoleRefreshedBeforeItExpires) {
  TempFiles files;
  FakeImds imds;
  imds.Set("ASIA-ROLE-1", kNow + kHour);
  ManualClock clock(kNow);
  MemoryLogger log;
  CredentialsChain chain(MapEnv(BaseEnv(files, imds.url())), {}, &clock, nullptr, &log);
  ASSERT_EQ(chain.Get()->access_key_id, "ASIA-ROLE-1");
  clock.Set(kNow + 40 * kMinute);  // 20 minutes left: still cached
  ASSERT_EQ(chain.Get()->access_key_id, "ASIA-ROLE-1");
  EXPECT_EQ(imds.credential_requests(), 1);
  imds.Set("ASIA-ROLE-2", kNow + 7 * kHour);
  clock.Set(kNow + 46 * kMinute);  // 14 minutes left: inside the 15-minute margin
  ASSERT_EQ(chain.Get()->access_key_id, "ASIA-ROLE-2");
  EXPECT_EQ(imds.credential_requests(), 2);
}

TEST(CredentialsTest, AFailedRefreshKeepsValidCredentialsAndWaitsBeforeTryingAgain) {
  TempFiles files;
  FakeImds imds;
  imds.Set("ASIA-ROLE-1", kNow + kHour);
  ManualClock clock(kNow);
  MemoryLogger log;
  CredentialsChain chain(MapEnv(BaseEnv(files, imds.url())), {}, &clock, nullptr, &log);
  ASSERT_TRUE(chain.Get().ok());
  imds.SetFailing(true);
  clock.Set(kNow + 50 * kMinute);
  auto kept = chain.Get();
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(kept->access_key_id, "ASIA-ROLE-1");
  ASSERT_EQ(log.events().back().event, "aws_credentials_refresh_failed");
  const int asked = imds.credential_requests();
  clock.Set(kNow + 50 * kMinute + 30);
  ASSERT_TRUE(chain.Get().ok());
  EXPECT_EQ(imds.credential_requests(), asked);  // no new try within a minute
  clock.Set(kNow + kHour);  // expired, IMDS still failing
  auto expired = chain.Get();
  EXPECT_EQ(expired.status().code(), StatusCode::kUnavailable);
}

TEST(CredentialsTest, ImdsV1WhenTheTokenIsNotOffered) {
  TempFiles files;
  FakeImds imds(/*v2=*/false);
  auto credentials = GetOnce(BaseEnv(files, imds.url()));
  ASSERT_TRUE(credentials.ok()) << credentials.status().message();
  EXPECT_EQ(credentials->access_key_id, "ASIA-ROLE-1");
  auto vars = BaseEnv(files, imds.url());
  vars["AWS_EC2_METADATA_V1_DISABLED"] = "true";
  EXPECT_EQ(GetOnce(vars).status().code(), StatusCode::kUnavailable);
}

TEST(CredentialsTest, DisabledImdsIsNeverAsked) {
  TempFiles files;
  FakeImds imds;
  auto vars = BaseEnv(files, imds.url());
  vars["AWS_EC2_METADATA_DISABLED"] = "true";
  auto credentials = GetOnce(vars);
  EXPECT_EQ(credentials.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(credentials.status().message().find("IMDS is disabled"), std::string::npos);
  EXPECT_EQ(imds.token_requests(), 0);
}

TEST(CredentialsTest, NoRoleAndNoImdsAreTypedErrors) {
  TempFiles files;
  FakeImds imds;
  imds.SetRole("");
  EXPECT_EQ(GetOnce(BaseEnv(files, imds.url())).status().code(), StatusCode::kPermissionDenied);
  LoopbackServer closed;
  const int port = closed.Start();
  closed.Stop();  // nothing listens there now
  auto unreachable = GetOnce(BaseEnv(files, "http://127.0.0.1:" + std::to_string(port)));
  EXPECT_EQ(unreachable.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(unreachable.status().message().find("imds"), std::string::npos);
}

TEST(CredentialsTest, ARoleNameThatWouldChangeThePathIsRefused) {
  TempFiles files;
  FakeImds imds;
  imds.SetRole("../../latest/user-data");
  EXPECT_EQ(GetOnce(BaseEnv(files, imds.url())).status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace shoal::aws
