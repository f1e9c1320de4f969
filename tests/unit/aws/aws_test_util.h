// Fakes the AWS client's unit tests share: a clock that moves only when
// told, a sleeper that records waits and advances instantly, an HTTP client
// that answers from a script, and an httplib server on a loopback port.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include "adapters/aws/http.h"
#include "adapters/aws/sleeper.h"
#include "ports/clock.h"

namespace shoal::aws::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Seconds now) : now_(now) {}
  Seconds Now() const override { return now_.load(); }
  void Set(Seconds now) { now_ = now; }

 private:
  std::atomic<Seconds> now_;
};

class FakeSleeper final : public Sleeper {
 public:
  double Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Sleep(double seconds) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(seconds);
    if (seconds > 0 && advance_on_sleep_) now_ += seconds;
  }
  // Off: sleeps are recorded but time stands still, as when several
  // threads took their turn before any of them slept.
  void SetAdvanceOnSleep(bool advance) {
    std::lock_guard<std::mutex> lock(mu_);
    advance_on_sleep_ = advance;
  }
  void Advance(double seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += seconds;
  }
  std::vector<double> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  double now_ = 1000;
  bool advance_on_sleep_ = true;
  std::vector<double> sleeps_;
};

// Answers each Send with the next scripted outcome (the last one repeats)
// and keeps every request it was sent.
class ScriptedHttp final : public HttpClient {
 public:
  HttpOutcome Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (script_.size() > 1) {
      HttpOutcome next = script_.front();
      script_.pop_front();
      return next;
    }
    return script_.empty() ? Answer(200, "") : script_.front();
  }
  void Push(HttpOutcome outcome) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(outcome));
  }
  // Forgets what is left of the script (the repeating last answer too).
  void ClearScript() {
    std::lock_guard<std::mutex> lock(mu_);
    script_.clear();
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

  static HttpOutcome Answer(long status, std::string body, Headers headers = {}) {
    HttpOutcome outcome;
    outcome.response.status = status;
    outcome.response.body = std::move(body);
    outcome.response.headers = std::move(headers);
    return outcome;
  }
  static HttpOutcome Failure(HttpFailure failure, std::string error) {
    HttpOutcome outcome;
    outcome.failure = failure;
    outcome.error = std::move(error);
    return outcome;
  }

 private:
  std::mutex mu_;
  std::deque<HttpOutcome> script_;
  std::vector<HttpRequest> requests_;
};

// An httplib server on 127.0.0.1:<free port>, in its own thread; routes are
// added through server() before Start().
class LoopbackServer {
 public:
  ~LoopbackServer() { Stop(); }
  httplib::Server& server() { return server_; }
  int Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return port_;
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace shoal::aws::testing
