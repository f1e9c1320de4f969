// Waiting, for the retry backoff and the client-side rate limit. Injected so
// unit tests run instantly on a fake that only advances a number.
#pragma once

namespace shoal::aws {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Seconds on a monotonic clock (any origin); only differences matter.
  virtual double Now() = 0;
  virtual void Sleep(double seconds) = 0;
};

// std::chrono::steady_clock and std::this_thread::sleep_for. Thread-safe.
class SteadySleeper final : public Sleeper {
 public:
  double Now() override;
  void Sleep(double seconds) override;
};

}  // namespace shoal::aws
