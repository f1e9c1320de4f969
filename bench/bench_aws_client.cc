// The AWS client's own costs, apart from AWS's latency:
//   Sign         — one SigV4 signature of a RunInstances form POST with a
//                  session token (SHA-256 of the body and the canonical
//                  request, five HMACs).
//   HttpPooled   — one request through CurlHttpClient to a loopback
//                  keep-alive server, reusing the pooled connection.
//   HttpFresh    — the same with a new client each time: a new connection
//                  per request, what the pool saves.
#include <chrono>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <httplib.h>

#include "adapters/aws/http.h"
#include "adapters/aws/signer.h"

namespace shoal::aws {
namespace {

void Sign(benchmark::State& state) {
  const Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::string(800, 'T'),
                                kNever, "bench"};
  HttpRequest request;
  request.method = "POST";
  request.url = "https://ec2.eu-west-1.amazonaws.com/";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body =
      "Action=RunInstances&Version=2016-11-15&ImageId=ami-0abcdef1234567890&InstanceType=m5.large&MinCount=1"
      "&MaxCount=1&ClientToken=web-17-0&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key="
      "shoal%3Agroup&TagSpecification.1.Tag.1.Value=web";
  const SigningParams params{"ec2", "eu-west-1"};
  Seconds now = 1768465800;
  for (auto _ : state) {
    if (!SignRequest(request, credentials, ++now, params).ok()) state.SkipWithError("signing failed");
  }
}
BENCHMARK(Sign);

class Server {
 public:
  Server() {
    // Without it httplib writes a response's head and body as two small
    // segments, and a reused connection stalls on the delayed ACK (~40 ms).
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000000);
    server_.Post("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("<DescribeRegionsResponse/>", "text/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~Server() {
    server_.stop();
    thread_.join();
  }
  HttpRequest Request() const {
    HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(port_) + "/";
    request.body = "Action=DescribeRegions&Version=2016-11-15";
    return request;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

void HttpPooled(benchmark::State& state) {
  Server server;
  CurlHttpClient http;
  const HttpRequest request = server.Request();
  for (auto _ : state) {
    if (!http.Send(request).ok()) state.SkipWithError("request failed");
  }
  state.counters["connections"] = static_cast<double>(http.connections_opened());
}
BENCHMARK(HttpPooled)->UseRealTime();

void HttpFresh(benchmark::State& state) {
  Server server;
  const HttpRequest request = server.Request();
  long connections = 0;
  for (auto _ : state) {
    CurlHttpClient http;
    if (!http.Send(request).ok()) state.SkipWithError("request failed");
    connections += http.connections_opened();
  }
  state.counters["connections"] = static_cast<double>(connections);
}
BENCHMARK(HttpFresh)->UseRealTime();

}  // namespace
}  // namespace shoal::aws

BENCHMARK_MAIN();
