// TLS through CurlHttpClient against an httplib HTTPS server on loopback
// with a self-signed certificate made here: refused by default (the peer
// is verified), accepted when its CA file is given, or when a test turns
// verification off.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <httplib.h>

#include "adapters/aws/http.h"

namespace shoal::aws {
namespace {

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool added = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return added;
}

// A P-256 key and a self-signed certificate for 127.0.0.1, as PEM files in `dir`.
bool MakeCertificate(const std::string& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  bool ok = key != nullptr && cert != nullptr;
  if (ok) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    ok = AddExtension(cert, NID_subject_alt_name, "IP:127.0.0.1") &&
         AddExtension(cert, NID_basic_constraints, "critical,CA:TRUE") && X509_sign(cert, key, EVP_sha256()) > 0;
  }
  if (ok) {
    FILE* out = std::fopen((dir + "/cert.pem").c_str(), "w");
    ok = out != nullptr && PEM_write_X509(out, cert) == 1;
    if (out != nullptr) std::fclose(out);
    out = std::fopen((dir + "/key.pem").c_str(), "w");
    ok = ok && out != nullptr && PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (out != nullptr) std::fclose(out);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/shoal-aws-tls-XXXXXX";
    dir_ = mkdtemp(tmpl.data());
    ASSERT_TRUE(MakeCertificate(dir_));
    server_ = std::make_unique<httplib::SSLServer>((dir_ + "/cert.pem").c_str(), (dir_ + "/key.pem").c_str());
    ASSERT_TRUE(server_->is_valid());
    server_->Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("secure", "text/plain"); });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    std::filesystem::remove_all(dir_);
  }
  HttpRequest Get() const {
    HttpRequest request;
    request.url = "https://127.0.0.1:" + std::to_string(port_) + "/";
    return request;
  }

  std::string dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(TlsTest, AnUnknownCertificateIsRefusedByDefault) {
  CurlHttpClient http;
  HttpOutcome outcome = http.Send(Get());
  EXPECT_EQ(outcome.failure, HttpFailure::kConnect) << outcome.error;
}

TEST_F(TlsTest, ItsCaFileMakesItTrusted) {
  HttpOptions options;
  options.ca_file = dir_ + "/cert.pem";
  CurlHttpClient http(options);
  HttpOutcome outcome = http.Send(Get());
  ASSERT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.response.body, "secure");
}

TEST_F(TlsTest, VerificationCanBeTurnedOff) {
  HttpOptions options;
  options.verify_tls = false;
  CurlHttpClient http(options);
  HttpOutcome outcome = http.Send(Get());
  ASSERT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.response.body, "secure");
}

}  // namespace
}  // namespace shoal::aws
