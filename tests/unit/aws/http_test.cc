// libcurl through CurlHttpClient against an httplib server on loopback:
// what goes out, what comes back, connection reuse, and each way of failing.
#include "adapters/aws/http.h"

#include <gtest/gtest.h>

#include "aws_test_util.h"

namespace shoal::aws {
namespace {

using testing::LoopbackServer;

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Got-Type", req.get_header_value("Content-Type"));
      res.set_header("X-Got-Expect", req.has_header("Expect") ? "yes" : "no");
      res.set_content(req.method + " " + req.body, "text/plain");
    });
    server_.server().Put("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " " + req.body, "text/plain");
    });
    server_.server().Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5000, 'x'), "text/plain");
    });
    server_.server().Get("/big-chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](std::size_t, httplib::DataSink& sink) {
        const std::string chunk(1000, 'y');
        for (int i = 0; i < 5; ++i) sink.write(chunk.data(), chunk.size());
        sink.done();
        return true;
      });
    });
    server_.server().Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      res.set_content("late", "text/plain");
    });
    server_.server().Get("/status/503", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_header("X-Amz-Request-Id", "abc");
      res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
    });
    server_.Start();
  }

  LoopbackServer server_;
};

TEST_F(HttpTest, SendsMethodHeadersAndBodyAndReadsTheAnswer) {
  CurlHttpClient http;
  HttpRequest request;
  request.method = "POST";
  request.url = server_.url() + "/echo";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = std::string(4096, 'b');  // big enough that curl would ask for 100-continue
  HttpOutcome outcome = http.Send(request);
  ASSERT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_EQ(outcome.response.body, "POST " + request.body);
  EXPECT_EQ(outcome.response.Header("X-GOT-TYPE"), "application/x-www-form-urlencoded");
  EXPECT_EQ(outcome.response.Header("x-got-expect"), "no");
  for (const auto& header : outcome.response.headers) {
    for (char c : header.first) EXPECT_FALSE(c >= 'A' && c <= 'Z') << header.first;
  }
  request.method = "PUT";
  request.body = "";
  outcome = http.Send(request);
  EXPECT_EQ(outcome.response.body, "PUT ");
}

TEST_F(HttpTest, ErrorStatusesAreResponsesNotFailures) {
  CurlHttpClient http;
  HttpRequest request;
  request.url = server_.url() + "/status/503";
  HttpOutcome outcome = http.Send(request);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.response.status, 503);
  EXPECT_EQ(outcome.response.Header("x-amz-request-id"), "abc");
}

TEST_F(HttpTest, ConsecutiveCallsReuseTheConnection) {
  CurlHttpClient http;
  HttpRequest request;
  request.method = "POST";
  request.url = server_.url() + "/echo";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(http.Send(request).ok());
  EXPECT_EQ(http.connections_opened(), 1);
}

TEST_F(HttpTest, BodiesOverTheCapAreCut) {
  HttpOptions options;
  options.max_response_bytes = 4096;
  CurlHttpClient http(options);
  for (const char* path : {"/big", "/big-chunked"}) {
    HttpRequest request;
    request.url = server_.url() + path;
    HttpOutcome outcome = http.Send(request);
    EXPECT_EQ(outcome.failure, HttpFailure::kTooLarge) << path << ": " << outcome.error;
    EXPECT_NE(outcome.error.find("4096"), std::string::npos);
    request.max_response_bytes = 10000;  // a caller may allow more for one request
    EXPECT_TRUE(http.Send(request).ok()) << path;
  }
}

TEST_F(HttpTest, ASlowAnswerTimesOut) {
  HttpOptions options;
  options.total_timeout_ms = 100;
  CurlHttpClient http(options);
  HttpRequest request;
  request.url = server_.url() + "/slow";
  HttpOutcome outcome = http.Send(request);
  EXPECT_EQ(outcome.failure, HttpFailure::kTimeout) << outcome.error;
}

TEST_F(HttpTest, NobodyListeningIsAConnectFailure) {
  LoopbackServer closed;
  const int port = closed.Start();
  closed.Stop();
  CurlHttpClient http;
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  HttpOutcome outcome = http.Send(request);
  EXPECT_EQ(outcome.failure, HttpFailure::kConnect) << outcome.error;
}

TEST_F(HttpTest, OnlyHttpAndHttpsAreSpoken) {
  CurlHttpClient http;
  HttpRequest request;
  request.url = "file:///etc/passwd";
  HttpOutcome outcome = http.Send(request);
  EXPECT_FALSE(outcome.ok());
  EXPECT_TRUE(outcome.response.body.empty());
}


}  // namespace
}  // namespace shoal::aws
